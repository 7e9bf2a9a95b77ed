package io.hakobu.core.pipeline;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * A consumer of entries (file, stdout, later S3, search, Kafka, the native protocol).
 *
 * <p>Thread contract: {@link #start}, {@link #write} and {@link #close} are called from the
 * sink's own runner thread only, one call at a time; batches arrive in the order they were
 * emitted by each source. The runner waits for the stage returned by {@code write} before it
 * calls {@code write} again.
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

    CompletionStage<DeliveryStatus> write(List<Batch> batches) throws Exception;

    /** Called after the last write (drained or deadline passed): flush, persist, release. */
    default void close() throws Exception {
    }
}
