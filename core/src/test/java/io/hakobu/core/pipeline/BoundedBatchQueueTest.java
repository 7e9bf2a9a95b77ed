package io.hakobu.core.pipeline;

import static io.hakobu.core.pipeline.PipelineFixtures.await;
import static io.hakobu.core.pipeline.PipelineFixtures.batch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class BoundedBatchQueueTest {

    private static Batch b(int entries, long bytes) {
        return batch("s", "s", 0, entries, bytes, BatchAck.none());
    }

    @Test
    void offerRespectsBothLimitsAndPollFreesSpace() {
        BoundedBatchQueue q = new BoundedBatchQueue(10, 100);
        Batch first = b(6, 10);
        assertTrue(q.offer(first));
        assertFalse(q.offer(b(5, 10)), "entries would exceed 10");
        assertTrue(q.offer(b(4, 10)));
        assertEquals(10, q.entries());
        assertEquals(20, q.bytes());

        BoundedBatchQueue byBytes = new BoundedBatchQueue(1000, 100);
        assertTrue(byBytes.offer(b(1, 60)));
        assertFalse(byBytes.offer(b(1, 41)), "bytes would exceed 100");
        assertTrue(byBytes.offer(b(1, 40)));

        assertSame(first, q.poll());
        assertEquals(4, q.entries());
        assertEquals(10, q.bytes());
        assertTrue(q.offer(b(5, 10)));
    }

    @Test
    void oversizedBatchIsAdmittedOnlyWhenEmpty() {
        BoundedBatchQueue q = new BoundedBatchQueue(10, 100);
        assertTrue(q.offer(b(1, 1)));
        Batch huge = b(50, 1000);
        assertFalse(q.offer(huge));
        q.poll();
        assertTrue(q.isEmpty());
        assertTrue(q.offer(huge), "an empty queue takes a batch larger than its limits");
        assertEquals(50, q.entries());
        assertFalse(q.offer(b(1, 1)), "nothing else fits beside it");
        assertSame(huge, q.poll());
        assertTrue(q.isEmpty());
    }

    @Test
    void emptyBatchesAreBoundedBySlots() {
        BoundedBatchQueue q = new BoundedBatchQueue(10, 100);
        int taken = 0;
        while (q.offer(b(0, 0))) {
            taken++;
            assertTrue(taken <= 1 << 20, "unbounded");
        }
        assertEquals(16, taken);
        assertEquals(0, q.entries());
        assertFalse(q.isEmpty());
        assertEquals(16, q.drain(x -> { }, 100));
        assertTrue(q.isEmpty());
    }

    @Test
    void drainToStopsBeforeByteLimitButAlwaysTakesOne() {
        BoundedBatchQueue q = new BoundedBatchQueue(100, 10_000);
        q.offer(b(1, 300));
        q.offer(b(1, 300));
        q.offer(b(1, 300));
        List<Batch> out = new ArrayList<>();
        assertEquals(2, q.drainTo(out, 10, 600));
        assertEquals(1, q.drainTo(out, 10, 1));
        assertEquals(0, q.drainTo(out, 10, 1));
        assertEquals(3, out.size());
        assertTrue(q.isEmpty());

        for (int i = 0; i < 5; i++) {
            q.offer(b(1, 1));
        }
        out.clear();
        assertEquals(3, q.drainTo(out, 3, Long.MAX_VALUE), "batch limit");
        assertEquals(2, q.drain(out::add, 10));
        assertNull(q.poll());
        assertNull(q.peek());
    }

    @Test
    void blockedProducerWaitsUntilConsumerFreesSpace() throws Exception {
        BoundedBatchQueue q = new BoundedBatchQueue(2, 1000);
        assertTrue(q.offer(b(2, 10)));
        Batch waiting = b(1, 10);
        CountDownLatch offered = new CountDownLatch(1);
        AtomicReference<Boolean> result = new AtomicReference<>();
        Thread producer = new Thread(() -> {
            try {
                result.set(q.offer(waiting, 30, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                result.set(null);
            }
            offered.countDown();
        });
        producer.start();
        await(() -> producer.getState() == Thread.State.TIMED_WAITING || producer.getState() == Thread.State.WAITING,
                "producer waits");
        assertFalse(offered.await(200, TimeUnit.MILLISECONDS), "producer must block while the queue is full");
        assertEquals(2, q.entries());

        assertTrue(q.poll() != null);
        assertTrue(offered.await(5, TimeUnit.SECONDS), "producer admitted once space was freed");
        assertEquals(Boolean.TRUE, result.get());
        assertSame(waiting, q.poll());
        producer.join();
    }

    @Test
    void timedOfferTimesOutAndGiveUpReleasesWaiters() throws Exception {
        BoundedBatchQueue q = new BoundedBatchQueue(1, 1000);
        assertTrue(q.offer(b(1, 1)));
        long t0 = System.nanoTime();
        assertFalse(q.offer(b(1, 1), 20, TimeUnit.MILLISECONDS));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(20));

        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch returned = new CountDownLatch(1);
        AtomicReference<Boolean> result = new AtomicReference<>();
        Thread producer = new Thread(() -> {
            try {
                result.set(q.offer(b(1, 1), Long.MAX_VALUE, TimeUnit.NANOSECONDS, stop::get));
            } catch (InterruptedException e) {
                result.set(null);
            }
            returned.countDown();
        });
        producer.start();
        await(() -> producer.getState() == Thread.State.TIMED_WAITING, "producer waits");
        stop.set(true);
        q.wakeProducers();
        assertTrue(returned.await(5, TimeUnit.SECONDS));
        assertEquals(Boolean.FALSE, result.get());
        assertEquals(1, q.entries(), "the abandoned batch was not taken");
    }

    @Test
    void consumerParksUntilAProducerOffers() throws Exception {
        BoundedBatchQueue q = new BoundedBatchQueue(100, 1000);
        AtomicReference<Batch> got = new AtomicReference<>();
        CountDownLatch received = new CountDownLatch(1);
        Thread consumer = new Thread(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                q.awaitNotEmpty(10, TimeUnit.SECONDS);
                Batch x = q.poll();
                if (x != null) {
                    got.set(x);
                    received.countDown();
                    return;
                }
            }
        });
        consumer.start();
        await(() -> consumer.getState() == Thread.State.TIMED_WAITING, "consumer parks");
        Batch x = b(1, 1);
        long t0 = System.nanoTime();
        assertTrue(q.offer(x));
        assertTrue(received.await(5, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "woken by the offer, not the timeout");
        assertSame(x, got.get());
        consumer.join();
    }

    /**
     * 4 producers x 50 000 batches through a small queue: every batch arrives exactly once, in
     * per-producer order, and the limits are never exceeded.
     */
    @Test
    void manyProducersNoLossNoDuplicatesBoundsHold() throws Exception {
        final int producers = 4;
        final int perProducer = 50_000;
        final long maxEvents = 64;
        final long maxBytes = 4_000;
        BoundedBatchQueue q = new BoundedBatchQueue(maxEvents, maxBytes);
        AtomicReference<String> violation = new AtomicReference<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            String stream = "p" + p;
            Thread t = new Thread(() -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                try {
                    go.await();
                    for (int i = 0; i < perProducer; i++) {
                        Batch x = batch("s", stream, i, 1 + rnd.nextInt(3), 1 + rnd.nextInt(100), BatchAck.none());
                        if (!q.offer(x, 30, TimeUnit.SECONDS)) {
                            violation.compareAndSet(null, "offer timed out");
                            return;
                        }
                    }
                } catch (InterruptedException e) {
                    violation.compareAndSet(null, "interrupted");
                }
            }, "producer-" + p);
            threads.add(t);
            t.start();
        }
        long[] next = new long[producers];
        long total = 0;
        List<Batch> out = new ArrayList<>();
        go.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (total < (long) producers * perProducer && violation.get() == null) {
            assertTrue(System.nanoTime() < deadline, "consumer timed out at " + total);
            long e = q.entries();
            long by = q.bytes();
            if (e > maxEvents || by > maxBytes) {
                violation.compareAndSet(null, "bounds exceeded: entries=" + e + " bytes=" + by);
            }
            if (q.drainTo(out, 16, Long.MAX_VALUE) == 0) {
                q.awaitNotEmpty(100, TimeUnit.MILLISECONDS);
                continue;
            }
            for (Batch x : out) {
                LogEntryRef ref = LogEntryRef.of(x);
                int p = Integer.parseInt(ref.stream.substring(1));
                if (ref.position != next[p]) {
                    violation.compareAndSet(null, "producer " + p + " expected " + next[p] + " got " + ref.position);
                }
                next[p] = ref.position + 1;
                total++;
            }
            out.clear();
        }
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(10));
        }
        assertNull(violation.get());
        for (int p = 0; p < producers; p++) {
            assertEquals(perProducer, next[p], "producer " + p);
        }
        assertTrue(q.isEmpty());
        assertEquals(0, q.entries());
        assertEquals(0, q.bytes());
    }

    @Test
    void rejectsBadLimits() {
        assertThrows(IllegalArgumentException.class, () -> new BoundedBatchQueue(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new BoundedBatchQueue(1, 0));
    }

    private record LogEntryRef(String stream, long position) {
        static LogEntryRef of(Batch b) {
            return new LogEntryRef(b.entries().get(0).stream(), b.entries().get(0).position());
        }
    }
}
