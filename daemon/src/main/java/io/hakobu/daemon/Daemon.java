package io.hakobu.daemon;

import io.hakobu.core.checkpoint.CheckpointStore;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Pipeline;
import io.hakobu.core.pipeline.Sink;
import io.hakobu.core.pipeline.Source;
import io.hakobu.core.telemetry.Metrics;
import io.hakobu.daemon.config.HakobuConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running hakobu: the pipeline built from a validated configuration, plus the HTTP API.
 * {@link #start()} then {@link #stop()} (graceful, within {@code node.shutdown_grace}).
 */
public final class Daemon {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

    private final HakobuConfig config;
    private final Metrics metrics = new Metrics();
    private Pipeline pipeline;
    private ApiServer api;
    private boolean stopped;
    private DataDirLock dataDirLock;

    public Daemon(HakobuConfig config) {
        this.config = config;
    }

    public Metrics metrics() {
        return metrics;
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    public HakobuConfig config() {
        return config;
    }

    public synchronized void start() throws Exception {
        try {
            Files.createDirectories(config.dataDir());
        } catch (IOException e) {
            throw new IOException("cannot create node.data_dir " + config.dataDir() + ": " + e.getMessage(), e);
        }
        if (!Files.isWritable(config.dataDir())) {
            throw new IOException("node.data_dir " + config.dataDir() + " is not writable");
        }
        dataDirLock = DataDirLock.acquire(config.dataDir());
        NodeInfo node = new NodeInfo(config.nodeName(), config.dataDir());
        CheckpointStore checkpoints = new CheckpointStore(config.dataDir().resolve("checkpoints"));
        Pipeline.Builder b = Pipeline.builder(node, metrics, checkpoints);
        for (HakobuConfig.SourceSpec s : config.sources().values()) {
            Source source = s.factory().create(s.id(), s.config(), node);
            b.addSource(s.id(), s.type(), source);
        }
        for (HakobuConfig.SinkSpec s : config.sinks().values()) {
            Sink sink = s.factory().create(s.id(), s.config(), node);
            b.addSink(s.id(), s.type(), sink, s.inputs(), s.buffer());
        }
        warnAboutOrphanedBuffers();
        pipeline = b.build();
        pipeline.start();
        if (config.apiListen() != null) {
            api = ApiServer.start(config.apiListen(), pipeline, metrics);
        }
        LOG.info("event=started node={} data_dir={} sources={} sinks={} api={}", config.nodeName(), config.dataDir(),
                config.sources().keySet(), config.sinks().keySet(), config.apiListen() == null ? "off" : config.apiListen());
    }

    /**
     * A disk buffer whose sink was removed from the configuration, or switched to a memory buffer,
     * still holds entries nobody will deliver: say so at every start rather than forget them.
     */
    private void warnAboutOrphanedBuffers() {
        Path root = config.dataDir().resolve("buffer");
        if (!Files.isDirectory(root)) {
            return;
        }
        try (java.util.stream.Stream<Path> dirs = Files.list(root)) {
            for (Path d : dirs.toList()) {
                String id = d.getFileName().toString();
                HakobuConfig.SinkSpec s = config.sinks().get(id);
                if (s != null && s.buffer().isDisk() || !Files.isDirectory(d)) {
                    continue;
                }
                io.hakobu.core.buffer.BufferInspector.Report r = io.hakobu.core.buffer.BufferInspector.inspect(d);
                if (r.unackedEntries() > 0) {
                    LOG.warn("event=buffer_orphaned dir={} unacked_events={} reason=\"{}\" hint=\"deliver them with "
                            + "'hakobu buffer replay', then delete the directory\"", d, r.unackedEntries(),
                            s == null ? "no sink '" + id + "' in the configuration" : "sink '" + id + "' now has a memory buffer");
                }
            }
        } catch (IOException e) {
            LOG.warn("event=buffer_scan_failed dir={} error=\"{}\"", root, e.toString());
        }
    }

    /** Graceful stop: sources, drain, sinks, checkpoints. Returns true if everything drained in time. */
    public synchronized boolean stop() {
        if (stopped) {
            return true;
        }
        stopped = true;
        LOG.info("event=stopping grace={}", config.shutdownGrace());
        long t0 = System.nanoTime();
        boolean drained = pipeline == null || pipeline.stop(config.shutdownGrace());
        if (api != null) {
            api.stop();
        }
        if (dataDirLock != null) {
            dataDirLock.release();
        }
        LOG.info("event=stopped drained={} took_ms={}", drained, Duration.ofNanos(System.nanoTime() - t0).toMillis());
        return drained;
    }
}
