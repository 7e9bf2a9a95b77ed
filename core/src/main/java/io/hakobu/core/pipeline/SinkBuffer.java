package io.hakobu.core.pipeline;

import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The buffer in front of one sink, as its {@link SinkRunner} sees it: producers (source threads)
 * offer batches, the runner thread drains them and completes each drained batch's ack once the
 * sink is done with it. {@link BoundedBatchQueue}'s threading rules apply to every implementation.
 */
interface SinkBuffer {
    /** Prepares the buffer (a disk buffer recovers its files and starts its writer); runner thread. */
    void open() throws Exception;

    /** Enqueues without waiting; false when full (the batch was not taken). */
    boolean offer(Batch batch);

    /** Enqueues, waiting for space (see {@link BoundedBatchQueue#offer(Batch, long, TimeUnit, BooleanSupplier)}). */
    boolean offer(Batch batch, long timeout, TimeUnit unit, BooleanSupplier giveUp) throws InterruptedException;

    void wakeProducers();

    /** Whether batches read back from disk may stay encoded ({@link Batch#encoded()}); runner thread. */
    default void readEncoded(boolean on) {
    }

    /** Moves batches for the sink into {@code out}; runner thread. */
    int drainTo(Collection<? super Batch> out, int maxBatches, long maxBytes);

    boolean awaitNotEmpty(long timeout, TimeUnit unit);

    /** True when nothing is waiting and everything taken has been acknowledged. */
    boolean isEmpty();

    /** Entries held (not yet acknowledged by the sink). */
    long entries();

    /** Bytes held (estimated in memory; encoded on disk). */
    long bytes();

    /** Something the operator must know (e.g. the disk is full), or null. */
    default String condition() {
        return null;
    }

    /** Why the buffer stopped working for good (e.g. its writer thread died), or null. */
    default Throwable failure() {
        return null;
    }

    /** Releases resources; runner thread, after the last drain. */
    void close();
}
