package io.hakobu.core.pipeline;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The pipeline's shutdown phases as seen by its runners: running, then <em>stopping</em> (sources
 * are asked to return; a deadline is known), then <em>draining</em> (every source has returned or
 * was given up on; sink runners finish what is queued and exit).
 *
 * <p>Thread-safe. State only moves forward.
 */
final class ShutdownSignal {
    private final CountDownLatch stopping = new CountDownLatch(1);
    private volatile boolean draining;
    /** {@link System#nanoTime()} by which work must end; meaningful once stopping. */
    private volatile long deadlineNanos;

    /** Enters the stopping phase with the given deadline. Called once, before {@link #beginDrain()}. */
    void beginStop(long deadlineNanos) {
        this.deadlineNanos = deadlineNanos;
        stopping.countDown(); // publishes the deadline
    }

    void beginDrain() {
        draining = true;
    }

    boolean isStopping() {
        return stopping.getCount() == 0;
    }

    boolean isDraining() {
        return draining;
    }

    /** Waits up to {@code millis} for the stopping phase; returns early when it begins. */
    void awaitStop(long millis) throws InterruptedException {
        stopping.await(millis, TimeUnit.MILLISECONDS);
    }

    /** Nanoseconds left before the deadline; {@link Long#MAX_VALUE} while not stopping. */
    long remainingNanos(long nowNanos) {
        return isStopping() ? deadlineNanos - nowNanos : Long.MAX_VALUE;
    }

    boolean deadlinePassed(long nowNanos) {
        return remainingNanos(nowNanos) <= 0;
    }
}
