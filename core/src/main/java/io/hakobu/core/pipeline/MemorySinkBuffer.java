package io.hakobu.core.pipeline;

import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** {@code buffer.type: memory}: a {@link BoundedBatchQueue}; batches go to the sink as they were emitted. */
final class MemorySinkBuffer implements SinkBuffer {
    private final BoundedBatchQueue queue;

    MemorySinkBuffer(BufferConfig config) {
        this.queue = new BoundedBatchQueue(config);
    }

    @Override
    public void open() {
        // nothing to prepare
    }

    @Override
    public boolean offer(Batch batch) {
        return queue.offer(batch);
    }

    @Override
    public boolean offer(Batch batch, long timeout, TimeUnit unit, BooleanSupplier giveUp) throws InterruptedException {
        return queue.offer(batch, timeout, unit, giveUp);
    }

    @Override
    public void wakeProducers() {
        queue.wakeProducers();
    }

    @Override
    public int drainTo(Collection<? super Batch> out, int maxBatches, long maxBytes) {
        return queue.drainTo(out, maxBatches, maxBytes);
    }

    @Override
    public boolean awaitNotEmpty(long timeout, TimeUnit unit) {
        return queue.awaitNotEmpty(timeout, unit);
    }

    @Override
    public boolean isEmpty() {
        return queue.isEmpty();
    }

    @Override
    public long entries() {
        return queue.entries();
    }

    @Override
    public long bytes() {
        return queue.bytes();
    }

    @Override
    public void close() {
        // nothing held outside the heap
    }
}
