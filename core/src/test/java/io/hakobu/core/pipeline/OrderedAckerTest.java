package io.hakobu.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class OrderedAckerTest {

    @Test
    void advancesOnlyOverTheContiguousCompletedPrefix() {
        List<Long> seen = new ArrayList<>();
        OrderedAcker<Long> acker = new OrderedAcker<>(seen::add);
        BatchAck a0 = acker.register(10L);
        BatchAck a1 = acker.register(20L);
        BatchAck a2 = acker.register(30L);
        assertNull(acker.acknowledged());
        assertEquals(3, acker.outstanding());

        a1.complete(DeliveryStatus.DELIVERED);
        assertNull(acker.acknowledged(), "a0 still pending");
        a2.complete(DeliveryStatus.REJECTED);
        assertNull(acker.acknowledged());
        a0.complete(DeliveryStatus.DELIVERED);
        assertEquals(30L, acker.acknowledged(), "rejected is final too");
        assertEquals(List.of(30L), seen, "one callback for the whole prefix");
        assertTrue(acker.isDrained());

        BatchAck a3 = acker.register(40L);
        a3.complete(DeliveryStatus.DELIVERED);
        assertEquals(List.of(30L, 40L), seen);
    }

    @Test
    void sharesRetainedForFanOutMustAllComplete() {
        OrderedAcker<String> acker = new OrderedAcker<>();
        BatchAck ack = acker.register("c1").retain(2);
        ack.complete(DeliveryStatus.DELIVERED);
        ack.complete(DeliveryStatus.DELIVERED);
        assertNull(acker.acknowledged());
        ack.complete(DeliveryStatus.DELIVERED);
        assertEquals("c1", acker.acknowledged());
    }

    @Test
    void erroredCompletionBlocksTheCheckpointForGood() {
        OrderedAcker<Long> acker = new OrderedAcker<>();
        BatchAck a0 = acker.register(0L);
        BatchAck a1 = acker.register(1L);
        BatchAck a2 = acker.register(2L);
        a0.complete(DeliveryStatus.DELIVERED);
        a1.complete(DeliveryStatus.ERRORED);
        a2.complete(DeliveryStatus.DELIVERED);
        assertEquals(0L, acker.acknowledged());
        assertTrue(acker.isBlocked());
        acker.register(3L).complete(DeliveryStatus.DELIVERED);
        assertEquals(0L, acker.acknowledged());
        assertEquals(0, acker.outstanding(), "nothing kept once blocked");
    }

    @Test
    void listenerFailureDoesNotStopProgress() {
        OrderedAcker<Long> acker = new OrderedAcker<>(p -> {
            throw new IllegalStateException("boom");
        });
        acker.register(1L).complete(DeliveryStatus.DELIVERED);
        acker.register(2L).complete(DeliveryStatus.DELIVERED);
        assertEquals(2L, acker.acknowledged());
    }

    /**
     * Registers N positions, completes them in a random order from 8 threads, and checks every
     * callback: positions strictly increase, never run ahead of a pending batch, the listener is
     * never re-entered, and the final position is the last one.
     */
    @Test
    void randomOutOfOrderCompletionFromManyThreads() throws Exception {
        for (long seed : new long[] {1, 2, 3}) {
            runRandomized(new Random(seed), 20_000, 8);
        }
    }

    private static void runRandomized(Random rnd, int n, int threads) throws Exception {
        AtomicIntegerArray done = new AtomicIntegerArray(n);
        AtomicReference<String> violation = new AtomicReference<>();
        AtomicBoolean inListener = new AtomicBoolean();
        long[] last = {-1};
        List<Long> callbacks = new CopyOnWriteArrayList<>();
        OrderedAcker<Long> acker = new OrderedAcker<>(p -> {
            if (!inListener.compareAndSet(false, true)) {
                violation.compareAndSet(null, "listener re-entered");
            }
            if (p <= last[0]) {
                violation.compareAndSet(null, "went backwards: " + last[0] + " -> " + p);
            }
            for (long i = last[0] + 1; i <= p; i++) {
                if (done.get((int) i) == 0) {
                    violation.compareAndSet(null, "acknowledged " + p + " but " + i + " is pending");
                }
            }
            last[0] = p;
            callbacks.add(p);
            inListener.set(false);
        });
        List<BatchAck> acks = new ArrayList<>(n);
        for (long i = 0; i < n; i++) {
            acks.add(acker.register(i));
        }
        List<Integer> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        Collections.shuffle(order, rnd);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int from = t * n / threads;
            int to = (t + 1) * n / threads;
            Thread w = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int k = from; k < to; k++) {
                    int i = order.get(k);
                    done.set(i, 1); // before completing: the listener may only see completed ones
                    acks.get(i).complete(i % 7 == 0 ? DeliveryStatus.REJECTED : DeliveryStatus.DELIVERED);
                }
            });
            workers.add(w);
            w.start();
        }
        go.countDown();
        for (Thread w : workers) {
            w.join();
        }
        assertNull(violation.get());
        assertEquals((long) n - 1, acker.acknowledged());
        assertEquals((long) n - 1, callbacks.get(callbacks.size() - 1));
        assertTrue(acker.isDrained());
        assertFalse(acker.isBlocked());
    }
}
