package io.hakobu.core.pipeline;

import java.util.Collection;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.MpscChunkedArrayQueue;

/**
 * A multi-producer, single-consumer queue of {@link Batch}es bounded both by the number of
 * entries ({@link Batch#size()}) and by their bytes ({@link Batch#bytes()}): the buffer in front of
 * one sink.
 *
 * <h2>Bounds</h2>
 * A producer reserves a batch's entries and bytes with compare-and-set on two counters before it
 * enqueues the batch, and the consumer releases them when it takes the batch out. A batch is
 * admitted when both counters stay within their limits after adding it, <em>or</em> when the
 * counter it would overflow is zero: a batch larger than a whole limit still gets in once the
 * queue has drained, so nothing can deadlock. Hence {@link #entries()} never exceeds
 * {@code max(maxEvents, size of the largest single batch)}, and likewise for bytes. The number of
 * batches is also capped (by a power of two at least {@code min(maxEvents, 2^20)}), which only
 * matters for batches without entries.
 *
 * <h2>When full</h2>
 * {@link #offer(Batch)} never blocks: it returns {@code false} and leaves the policy to the
 * caller (JCTools style). {@link #offer(Batch, long, TimeUnit, BooleanSupplier)} waits for space;
 * this is how {@link WhenFull#BLOCK} pauses a source, while {@link WhenFull#DROP_NEWEST} simply
 * counts the refused batch as dropped. A waiting producer sleeps on a condition and is signalled
 * when the consumer frees space (no busy spin); every individual wait is also bounded in time, and
 * {@link #wakeProducers()} releases waiters whose give-up condition has turned true. Waiting
 * producers are not served in FIFO order: a large batch may wait while smaller ones keep fitting.
 *
 * <h2>Wake-ups</h2>
 * The consumer parks in {@link #awaitNotEmpty(long, TimeUnit)} and a producer that enqueues a
 * batch unparks it. Both sides publish with a volatile write before re-checking the other side's
 * state, so a wake-up cannot be lost.
 *
 * <h2>Threads</h2>
 * {@code offer*}, {@link #wakeProducers()}, {@link #wakeConsumer()}, {@link #entries()},
 * {@link #bytes()} and {@link #isEmpty()} may be called from any thread. {@link #poll()},
 * {@link #peek()}, {@link #drain}, {@link #drainTo} and {@link #awaitNotEmpty} must be called
 * from the single consumer thread only (one thread at a time, with a happens-before edge between
 * successive consumers).
 */
public final class BoundedBatchQueue {
    /** Upper bound of one producer wait; waits are signalled, this only limits the damage of a bug. */
    private static final long MAX_PRODUCER_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final int MAX_BATCH_SLOTS = 1 << 20;
    private static final int CHUNK_SLOTS = 1024;

    private final long maxEvents;
    private final long maxBytes;
    private final MessagePassingQueue<Batch> queue;
    private final AtomicLong events = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();

    /** The consumer thread while it is parked in {@link #awaitNotEmpty}, else null. */
    private volatile Thread parkedConsumer;

    private final ReentrantLock producerLock = new ReentrantLock();
    private final Condition spaceFreed = producerLock.newCondition();
    private final AtomicInteger waitingProducers = new AtomicInteger();

    /**
     * @param maxEvents the most entries held (at least 1)
     * @param maxBytes the most bytes held (at least 1)
     */
    public BoundedBatchQueue(long maxEvents, long maxBytes) {
        if (maxEvents < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("limits must be positive: maxEvents=" + maxEvents + " maxBytes=" + maxBytes);
        }
        this.maxEvents = maxEvents;
        this.maxBytes = maxBytes;
        int slots = (int) Math.min(MAX_BATCH_SLOTS, Math.max(16, maxEvents));
        slots = Integer.highestOneBit(slots - 1) << 1; // round up to a power of two
        this.queue = new MpscChunkedArrayQueue<>(Math.min(CHUNK_SLOTS, slots / 2), slots);
    }

    /** A queue with the limits of {@code config} (its {@link BufferConfig#whenFull()} is the caller's business). */
    public BoundedBatchQueue(BufferConfig config) {
        this(config.maxEvents(), config.maxBytes());
    }

    public long maxEvents() {
        return maxEvents;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /**
     * Entries reserved by batches in the queue, including a batch a producer is enqueuing right
     * now. Any thread.
     */
    public long entries() {
        return events.get();
    }

    /** Bytes reserved by batches in the queue, as {@link #entries()}. Any thread. */
    public long bytes() {
        return bytes.get();
    }

    /**
     * True when no batch is queued or being enqueued. Exact when producers are quiescent, otherwise
     * a snapshot. Any thread.
     */
    public boolean isEmpty() {
        return events.get() == 0 && bytes.get() == 0 && queue.isEmpty();
    }

    /**
     * Enqueues the batch if it fits (see the class javadoc); never blocks. Wakes the consumer if it
     * is parked. Any thread.
     *
     * @return false when the queue is full; the batch was not taken
     */
    public boolean offer(Batch batch) {
        Objects.requireNonNull(batch, "batch");
        long n = batch.size();
        long b = Math.max(0, batch.bytes());
        if (!reserve(events, n, maxEvents)) {
            return false;
        }
        if (!reserve(bytes, b, maxBytes)) {
            events.addAndGet(-n);
            signalProducersIfWaiting(); // our transient reservation may have turned someone away
            return false;
        }
        if (!queue.offer(batch)) { // only when the batch slots are exhausted (empty batches)
            release(n, b);
            signalProducersIfWaiting();
            return false;
        }
        // The queue's producer-index CAS precedes this volatile read; awaitNotEmpty writes
        // parkedConsumer before it re-reads the producer index: one of the two sees the other.
        Thread consumer = parkedConsumer;
        if (consumer != null) {
            LockSupport.unpark(consumer);
        }
        return true;
    }

    /**
     * Enqueues the batch, waiting while the queue is full until the consumer frees enough space,
     * the timeout elapses, or {@code giveUp} returns true. Any thread.
     *
     * <p>{@code giveUp} is checked before every wait under the producer lock; whoever makes it
     * true must then call {@link #wakeProducers()} so that current waiters notice at once.
     *
     * @param timeout how long to wait at most; {@code Long.MAX_VALUE} nanoseconds or more is "forever"
     * @return true when the batch was enqueued; false on timeout or give-up (the batch was not taken)
     * @throws InterruptedException if interrupted while waiting (the batch was not taken)
     */
    public boolean offer(Batch batch, long timeout, TimeUnit unit, BooleanSupplier giveUp) throws InterruptedException {
        if (offer(batch)) {
            return true;
        }
        long timeoutNanos = unit.toNanos(timeout);
        boolean forever = timeoutNanos >= Long.MAX_VALUE / 2;
        long deadline = forever ? 0 : System.nanoTime() + timeoutNanos;
        waitingProducers.incrementAndGet(); // published before we re-check the counters
        producerLock.lockInterruptibly();
        try {
            for (;;) {
                if (offer(batch)) {
                    return true;
                }
                if (giveUp.getAsBoolean()) {
                    return false;
                }
                long wait = MAX_PRODUCER_WAIT_NANOS;
                if (!forever) {
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        return false;
                    }
                    wait = Math.min(wait, remaining);
                }
                spaceFreed.awaitNanos(wait);
            }
        } finally {
            producerLock.unlock();
            waitingProducers.decrementAndGet();
        }
    }

    /** As {@link #offer(Batch, long, TimeUnit, BooleanSupplier)} without a give-up condition. */
    public boolean offer(Batch batch, long timeout, TimeUnit unit) throws InterruptedException {
        return offer(batch, timeout, unit, () -> false);
    }

    /** Wakes every producer waiting for space so it re-checks its give-up condition. Any thread. */
    public void wakeProducers() {
        producerLock.lock();
        try {
            spaceFreed.signalAll();
        } finally {
            producerLock.unlock();
        }
    }

    /** Unparks the consumer if it waits in {@link #awaitNotEmpty}. Any thread. */
    public void wakeConsumer() {
        Thread consumer = parkedConsumer;
        if (consumer != null) {
            LockSupport.unpark(consumer);
        }
    }

    /** Takes the oldest batch, or returns null when the queue is empty. Consumer thread only. */
    public Batch poll() {
        Batch batch = queue.poll();
        if (batch != null) {
            release(batch.size(), Math.max(0, batch.bytes()));
            signalProducersIfWaiting();
        }
        return batch;
    }

    /** The oldest batch without taking it, or null. Consumer thread only. */
    public Batch peek() {
        return queue.peek();
    }

    /**
     * Takes up to {@code maxBatches} batches, oldest first, and hands each to {@code sink}.
     * Consumer thread only.
     *
     * @return the number of batches taken
     */
    public int drain(Consumer<? super Batch> sink, int maxBatches) {
        int taken = 0;
        Batch batch;
        while (taken < maxBatches && (batch = queue.poll()) != null) {
            release(batch.size(), Math.max(0, batch.bytes()));
            taken++;
            sink.accept(batch);
        }
        if (taken > 0) {
            signalProducersIfWaiting();
        }
        return taken;
    }

    /**
     * Moves batches, oldest first, into {@code out} until {@code maxBatches} are taken or the next
     * batch would bring the total bytes taken above {@code maxBytes}; the first batch is always
     * taken, whatever its size. Consumer thread only.
     *
     * @return the number of batches taken
     */
    public int drainTo(Collection<? super Batch> out, int maxBatches, long maxBytes) {
        int taken = 0;
        long takenBytes = 0;
        while (taken < maxBatches) {
            Batch head = queue.peek();
            if (head == null) {
                break;
            }
            long b = Math.max(0, head.bytes());
            if (taken > 0 && takenBytes + b > maxBytes) {
                break;
            }
            queue.poll(); // the single consumer: this is head
            release(head.size(), b);
            takenBytes += b;
            taken++;
            out.add(head);
        }
        if (taken > 0) {
            signalProducersIfWaiting();
        }
        return taken;
    }

    /**
     * Parks the consumer until a batch is available, {@link #wakeConsumer()} is called, the timeout
     * elapses, or spuriously. Callers loop. Consumer thread only.
     *
     * @return true when the queue is not empty on return
     */
    public boolean awaitNotEmpty(long timeout, TimeUnit unit) {
        if (!queue.isEmpty()) {
            return true;
        }
        parkedConsumer = Thread.currentThread();
        try {
            if (!queue.isEmpty()) { // re-check after publishing ourselves: no lost wake-up
                return true;
            }
            LockSupport.parkNanos(this, unit.toNanos(timeout));
            return !queue.isEmpty();
        } finally {
            parkedConsumer = null;
        }
    }

    @Override
    public String toString() {
        return "BoundedBatchQueue{entries=" + entries() + "/" + maxEvents + ", bytes=" + bytes() + "/" + maxBytes + "}";
    }

    private static boolean reserve(AtomicLong counter, long amount, long limit) {
        if (amount == 0) {
            return true;
        }
        for (;;) {
            long current = counter.get();
            long next = current + amount;
            if (next > limit && current != 0) {
                return false;
            }
            if (counter.compareAndSet(current, next)) {
                return true;
            }
        }
    }

    private void release(long n, long b) {
        if (n != 0) {
            events.addAndGet(-n);
        }
        if (b != 0) {
            bytes.addAndGet(-b);
        }
    }

    /*
     * A waiting producer increments waitingProducers and then re-checks the counters under the
     * lock before it waits; we release the counters and then read waitingProducers. Either we see
     * the waiter (and signal under the lock, which it holds until it waits), or it sees the space.
     */
    private void signalProducersIfWaiting() {
        if (waitingProducers.get() > 0) {
            producerLock.lock();
            try {
                spaceFreed.signalAll();
            } finally {
                producerLock.unlock();
            }
        }
    }
}
