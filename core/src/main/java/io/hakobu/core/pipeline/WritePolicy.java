package io.hakobu.core.pipeline;

import java.util.concurrent.TimeUnit;

/**
 * How a {@link SinkRunner} feeds one sink: how many writes may be in flight at once, and how long
 * to wait for more data before a small write.
 *
 * <p>{@code maxInFlight > 1} lets the runner call {@link Sink#write} again before earlier stages
 * completed (a sink with network round trips keeps its pipe full). The runner still applies
 * results in write order: a batch's acknowledgement is completed only after every earlier write
 * resolved, so the buffer's acknowledgements stay ordered. When a write fails, the runner waits
 * until nothing is in flight and retries that write alone until it resolves, before it applies
 * any later write's result; a later write that failed is then retried the same way. A sink that
 * opts in must therefore never let a later write take effect in a way that makes an earlier
 * write's retry wrong (the {@code hakobu} sink fails its sends only when it is closed).
 *
 * <p>{@code lingerNanos > 0}: when a drain brings less than {@code lingerBytes}, the runner waits
 * up to the linger time for more before it writes (not while the pipeline drains). Results of
 * writes in flight are applied after the linger, so acknowledgements are late by at most that.
 *
 * @param maxInFlight writes handed to the sink and not yet resolved, at least 1
 * @param lingerNanos longest wait for more data before a write smaller than {@code lingerBytes}
 * @param lingerBytes a drain of at least this many bytes is written at once
 * @param maxWriteBytes the most bytes ({@link Batch#bytes()}) one write takes (at least one batch
 *     is always taken); with {@code maxInFlight} it bounds the memory a sink holds in flight
 */
public record WritePolicy(int maxInFlight, long lingerNanos, long lingerBytes, long maxWriteBytes) {
    /** The default size of one write: 8 MiB. */
    public static final long DEFAULT_WRITE_BYTES = 8L << 20;
    /** One write at a time, no linger: the default. */
    public static final WritePolicy SERIAL = new WritePolicy(1, 0, 0);

    public WritePolicy(int maxInFlight, long lingerNanos, long lingerBytes) {
        this(maxInFlight, lingerNanos, lingerBytes, DEFAULT_WRITE_BYTES);
    }

    public WritePolicy {
        if (maxWriteBytes < 1) {
            throw new IllegalArgumentException("maxWriteBytes must be positive: " + maxWriteBytes);
        }
        if (maxInFlight < 1 || maxInFlight > 1024) {
            throw new IllegalArgumentException("maxInFlight must be in 1..1024: " + maxInFlight);
        }
        if (lingerNanos < 0 || lingerNanos > TimeUnit.MINUTES.toNanos(1) || lingerBytes < 0) {
            throw new IllegalArgumentException("linger must be in 0..1min and lingerBytes >= 0");
        }
    }
}
