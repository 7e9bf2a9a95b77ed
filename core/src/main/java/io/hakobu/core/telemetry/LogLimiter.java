package io.hakobu.core.telemetry;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Decides whether a repeated warning should be logged: at most once per key (e.g. peer host and
 * reason) per interval. A fleet of misconfigured agents retrying every few seconds would otherwise
 * flood the aggregator's log; the metrics still count every occurrence. Thread-safe; the number
 * of keys remembered is bounded (when full, it forgets them all, which at worst logs a repeat).
 */
public final class LogLimiter {
    private static final int MAX_KEYS = 4096;

    private final long intervalNanos;
    private final ConcurrentHashMap<String, Long> last = new ConcurrentHashMap<>();

    public LogLimiter(long interval, TimeUnit unit) {
        this.intervalNanos = unit.toNanos(interval);
    }

    /** True when {@code key} was not allowed within the interval (and remembers now). */
    public boolean allow(String key) {
        long now = System.nanoTime();
        Long prev = last.get(key);
        if (prev != null && now - prev < intervalNanos) {
            return false;
        }
        if (last.size() >= MAX_KEYS) {
            last.clear();
        }
        last.put(key, now);
        return true;
    }
}
