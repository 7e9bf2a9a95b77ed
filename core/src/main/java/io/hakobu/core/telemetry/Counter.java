package io.hakobu.core.telemetry;

import java.util.concurrent.atomic.LongAdder;

/** A monotonic counter; cheap to increment from many threads. */
public final class Counter {
    private final LongAdder adder = new LongAdder();

    public void inc() {
        adder.increment();
    }

    public void add(long n) {
        adder.add(n);
    }

    public long get() {
        return adder.sum();
    }
}
