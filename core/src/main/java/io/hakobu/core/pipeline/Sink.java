package io.hakobu.core.pipeline;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * A consumer of entries (file, stdout, later S3, search, Kafka, the native protocol).
 *
 * <p>Thread contract: {@link #start}, {@link #writePolicy}, {@link #write} and {@link #close} are
 * called from the sink's own runner thread only, one call at a time; batches arrive in the order
 * they were emitted by each source. By default the runner waits for the stage returned by
 * {@code write} before it calls {@code write} again; a sink whose {@link #writePolicy} allows
 * more gets up to that many writes in flight (see {@link WritePolicy} for the ordering rules).
 *
 * <p>Acknowledgement contract: the sink never touches {@link BatchAck}s itself. The runner
 * completes each batch's share with the status of the stage: {@code DELIVERED} or
 * {@code REJECTED} end the batch; {@code ERRORED} (or an exception, or an exceptionally completed
 * stage) makes the runner retry the same batches with backoff until they are delivered or the
 * pipeline stops.
 */
public interface Sink {
    default void start(SinkContext ctx) throws Exception {
    }

    /** Read once, after {@link #start}: writes in flight and linger. */
    default WritePolicy writePolicy() {
        return WritePolicy.SERIAL;
    }

    /**
     * True when the sink can take batches read from its disk buffer still encoded (one record
     * each, {@link Batch#encoded()}): the buffer then skips decoding them. Such a sink must still
     * accept ordinary batches (the buffer hands those over when it has them in memory). Read once,
     * after {@link #start}.
     */
    default boolean acceptsEncoded() {
        return false;
    }

    CompletionStage<DeliveryStatus> write(List<Batch> batches) throws Exception;

    /**
     * A problem the sink has while its writes are still in flight (e.g. "cannot reach any
     * endpoint for 60 s"), shown as the sink's last error in {@code /status} and making
     * {@code /health} degraded; null when there is none. Any thread.
     */
    default String problem() {
        return null;
    }

    /** Called after the last write (drained or deadline passed): flush, persist, release. */
    default void close() throws Exception {
    }
}
