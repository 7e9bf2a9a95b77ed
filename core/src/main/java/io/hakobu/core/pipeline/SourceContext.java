package io.hakobu.core.pipeline;

import io.hakobu.core.checkpoint.CheckpointStore;
import io.hakobu.core.telemetry.ComponentMetrics;

/** What the pipeline gives a running {@link Source}. Thread-safe. */
public interface SourceContext {
    /** The source's id in the configuration ({@code sources.<id>}). */
    String id();

    NodeInfo node();

    /**
     * Hands the batch to every sink this source is routed to, in order. Blocks while a sink whose
     * buffer uses {@code when_full: block} is full: this is how a full sink pauses its sources.
     * A sink with {@code drop_newest} drops the batch instead (counted) and completes its share
     * as {@link DeliveryStatus#REJECTED}.
     *
     * @return true when every routed sink took (or explicitly dropped) the batch; false when the
     *     pipeline began stopping while it waited, in which case the batch's acknowledgement will
     *     never complete and the source must not checkpoint past it.
     */
    boolean emit(Batch batch) throws InterruptedException;

    /** True once the pipeline asked sources to stop. */
    boolean isStopping();

    /** Waits up to {@code millis} or until stopping, whichever comes first (for idle polling). */
    void idle(long millis) throws InterruptedException;

    /** Checkpoints of this node ({@code data_dir/checkpoints}). */
    CheckpointStore checkpoints();

    ComponentMetrics metrics();
}
