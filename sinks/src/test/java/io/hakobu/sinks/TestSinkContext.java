package io.hakobu.sinks;

import io.hakobu.core.checkpoint.CheckpointStore;
import io.hakobu.core.event.LogEntry;
import io.hakobu.core.pipeline.Batch;
import io.hakobu.core.pipeline.BatchAck;
import io.hakobu.core.pipeline.DeliveryStatus;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Sink;
import io.hakobu.core.pipeline.SinkContext;
import io.hakobu.core.telemetry.ComponentMetrics;
import io.hakobu.core.telemetry.Metrics;
import java.nio.file.Path;
import java.util.List;

/**
 * A {@link SinkContext} for sink tests: real metrics and a real {@link CheckpointStore} under
 * {@code dataDir/checkpoints}, like the pipeline gives. A new context is a new process: fresh
 * metrics, same data directory.
 */
public final class TestSinkContext implements SinkContext {
    private final String id;
    private final NodeInfo node;
    private final CheckpointStore checkpoints;
    private final ComponentMetrics metrics;
    private volatile boolean stopping;

    public TestSinkContext(String id, String type, Path dataDir) {
        this.id = id;
        this.node = new NodeInfo("test-node", dataDir);
        this.checkpoints = new CheckpointStore(dataDir.resolve("checkpoints"));
        this.metrics = new Metrics().component(id, type);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public NodeInfo node() {
        return node;
    }

    @Override
    public CheckpointStore checkpoints() {
        return checkpoints;
    }

    @Override
    public ComponentMetrics metrics() {
        return metrics;
    }

    @Override
    public boolean isStopping() {
        return stopping;
    }

    public void stopping(boolean value) {
        stopping = value;
    }

    /** A counter's value. */
    public long count(String name) {
        return metrics.count(name);
    }

    /** A gauge's value. */
    public long gauge(String name) {
        return metrics.gaugeValue(name);
    }

    /** A batch from {@code sourceId} nobody acknowledges to. */
    public static Batch batch(String sourceId, List<LogEntry> entries) {
        return Batch.of(sourceId, entries, BatchAck.none());
    }

    /** Calls {@link Sink#write} and waits for its status. */
    public static DeliveryStatus write(Sink sink, Batch... batches) throws Exception {
        return sink.write(List.of(batches)).toCompletableFuture().join();
    }
}
