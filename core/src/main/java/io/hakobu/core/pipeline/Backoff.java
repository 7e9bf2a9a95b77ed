package io.hakobu.core.pipeline;

/**
 * Exponential backoff with "equal jitter", shared by every retry loop (sink runner, disk buffer,
 * S3 uploads, protocol reconnects): the ceiling doubles from {@code min} per attempt up to
 * {@code max}, and the delay is uniform in [ceiling/2, ceiling], so a fleet that failed together
 * does not retry together, yet never waits much less than the ceiling.
 */
public final class Backoff {
    private Backoff() {
    }

    /**
     * @param attempt 1 for the first retry
     * @param random uniform in [0, 1)
     * @return the delay in milliseconds, in [ceiling/2, ceiling] and at least 1
     */
    public static long millis(int attempt, long minMillis, long maxMillis, double random) {
        int shift = Math.min(Math.max(attempt - 1, 0), 30);
        long ceiling = minMillis << shift;
        if (ceiling <= 0 || ceiling > maxMillis || (ceiling >> shift) != minMillis) {
            ceiling = maxMillis;
        }
        long half = ceiling / 2;
        return Math.max(1, Math.min(ceiling, half + (long) (random * (ceiling - half + 1))));
    }

    /** Like {@link #millis}, but never below {@code minMillis}. */
    public static long atLeastMin(int attempt, long minMillis, long maxMillis, double random) {
        return Math.max(minMillis, millis(attempt, minMillis, maxMillis, random));
    }
}
