package io.hakobu.daemon.source.hakobu;

import io.hakobu.core.config.ConfigMap;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Source;
import io.hakobu.core.pipeline.SourceFactory;
import io.hakobu.daemon.sink.hakobu.HakobuConfigs;
import io.hakobu.protocol.FrameCodec;
import io.netty.handler.ssl.SslContext;

/** {@code type: hakobu}: receives batches from agents over the native protocol. */
public final class HakobuSourceFactory implements SourceFactory<HakobuSourceConfig> {

    @Override
    public String type() {
        return "hakobu";
    }

    @Override
    public String description() {
        return "receives entries from hakobu agents over the native protocol (acknowledged once durable, idempotent, TLS)";
    }

    @Override
    public HakobuSourceConfig parse(ConfigMap cfg) {
        int problemsBefore = cfg.problems().size();
        String listen = cfg.requiredString("listen");
        HakobuConfigs.HostPort hp = null;
        if (listen != null) {
            try {
                hp = HakobuConfigs.hostPort(listen, true);
            } catch (IllegalArgumentException e) {
                cfg.problem("listen", e.getMessage());
            }
        }
        SslContext ssl = HakobuConfigs.serverTls(cfg);
        String token = HakobuConfigs.token(cfg);
        long maxFrame = cfg.size("max_frame_bytes", 64L << 20);
        if (maxFrame < FrameCodec.MIN_MAX_FRAME_BYTES || maxFrame > (1L << 30)) {
            cfg.problem("max_frame_bytes", "expected a size between 64KiB and 1GiB");
            maxFrame = 64L << 20;
        }
        long maxPending = cfg.size("max_pending_bytes", 32L << 20);
        if (maxPending < (64 << 10) || maxPending > (4L << 30)) {
            cfg.problem("max_pending_bytes", "expected a size between 64KiB and 4GiB");
            maxPending = 32L << 20;
        }
        long idle = cfg.duration("idle_timeout", java.time.Duration.ofSeconds(60)).toMillis();
        if (idle < 1000) {
            cfg.problem("idle_timeout", "expected at least 1s");
            idle = 60_000;
        }
        int threads = (int) cfg.integer("io_threads", Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())), 1, 64);
        cfg.finish();
        if (hp == null || cfg.problems().size() > problemsBefore) {
            return null;
        }
        return new HakobuSourceConfig(hp.host(), hp.port(), ssl, token, (int) maxFrame, maxPending, idle, threads);
    }

    @Override
    public Source create(String id, HakobuSourceConfig config, NodeInfo node) {
        return new HakobuSource(id, config, node);
    }
}
