package io.hakobu.core.pipeline;

import io.hakobu.core.checkpoint.CheckpointStore;
import io.hakobu.core.telemetry.ComponentMetrics;

/** What the pipeline gives a {@link Sink}. */
public interface SinkContext {
    String id();

    NodeInfo node();

    CheckpointStore checkpoints();

    ComponentMetrics metrics();

    boolean isStopping();
}
