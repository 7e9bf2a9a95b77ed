package io.hakobu.core.pipeline;

import static io.hakobu.core.pipeline.PipelineFixtures.await;
import static io.hakobu.core.pipeline.PipelineFixtures.batch;
import static io.hakobu.core.pipeline.PipelineFixtures.builder;
import static io.hakobu.core.pipeline.PipelineFixtures.eventLog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.pipeline.PipelineFixtures.ScriptedSink;
import io.hakobu.core.telemetry.Metrics;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link WritePolicy}: several writes in flight, results applied in write order, linger. */
@Timeout(30)
class PipelinedWritesTest {
    private final Metrics metrics = new Metrics();
    private final Queue<String> events = eventLog();
    private final List<Pipeline> pipelines = new ArrayList<>();
    /** Positions whose ack completed, in completion order. */
    private final Queue<Long> acked = new ConcurrentLinkedQueue<>();
    /** Write stages handed out by the sink, in write order; the test completes them. */
    private final List<CompletableFuture<DeliveryStatus>> stages = new CopyOnWriteArrayList<>();
    private final BlockingQueue<Batch> toEmit = new LinkedBlockingQueue<>();

    @AfterEach
    void stopAll() {
        stages.forEach(s -> s.complete(DeliveryStatus.DELIVERED));
        pipelines.forEach(p -> p.stop(Duration.ZERO));
    }

    /** A source that emits whatever the test puts in {@link #toEmit}, one batch at a time. */
    private Source feeder() {
        return ctx -> {
            while (!ctx.isStopping()) {
                Batch b = toEmit.poll(10, TimeUnit.MILLISECONDS);
                if (b != null) {
                    ctx.emit(b);
                }
            }
        };
    }

    private Batch numbered(long position) {
        return batch("src", position, new BatchAck(s -> acked.add(position)));
    }

    private ScriptedSink gatedSink(WritePolicy policy) {
        ScriptedSink sink = new ScriptedSink("sink", events, b -> {
            CompletableFuture<DeliveryStatus> f = new CompletableFuture<>();
            stages.add(f);
            return f;
        });
        sink.policy = policy;
        return sink;
    }

    private Pipeline started(ScriptedSink sink) throws Exception {
        Pipeline p = builder(metrics).addSource("src", "test", feeder())
                .addSink("sink", "test", sink, List.of("src"), BufferConfig.DEFAULT).build();
        pipelines.add(p);
        p.start();
        return p;
    }

    /** Emits position {@code i} and waits until the sink has been handed {@code writes} writes. */
    private void emitAndAwaitWrites(ScriptedSink sink, long i, int writes) {
        toEmit.add(numbered(i));
        await(() -> sink.writes.size() == writes, "write " + writes);
    }

    /** Asserts that {@code invariant} holds throughout {@code millis} (checked every millisecond). */
    private static void holdsFor(long millis, BooleanSupplier invariant, String what) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() - end < 0) {
            assertTrue(invariant.getAsBoolean(), what);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    @Test
    void writesOverlapUpToThePolicyAndAcknowledgeInWriteOrder() throws Exception {
        ScriptedSink sink = gatedSink(new WritePolicy(3, 0, 0));
        Pipeline p = started(sink);
        for (int i = 0; i < 3; i++) {
            emitAndAwaitWrites(sink, i, i + 1); // each write goes out while the earlier ones are in flight
        }
        toEmit.add(numbered(3));
        await(() -> metrics.component("sink", "test").count("events_in_total") == 4, "fourth batch buffered");
        holdsFor(200, () -> sink.writes.size() == 3, "no fourth write while three are in flight");

        stages.get(1).complete(DeliveryStatus.DELIVERED); // the second write finishes first
        holdsFor(200, acked::isEmpty, "the second write's result waits for the first");
        stages.get(0).complete(DeliveryStatus.DELIVERED);
        await(() -> acked.size() == 2, "first two acknowledged");
        assertEquals(List.of(0L, 1L), new ArrayList<>(acked));
        await(() -> sink.writes.size() == 4, "a slot freed: the fourth write goes out");
        stages.get(3).complete(DeliveryStatus.DELIVERED);
        holdsFor(100, () -> acked.size() == 2, "the fourth waits for the third");
        stages.get(2).complete(DeliveryStatus.DELIVERED);
        await(() -> acked.size() == 4, "all acknowledged");
        assertEquals(List.of(0L, 1L, 2L, 3L), new ArrayList<>(acked));
        assertEquals(4, metrics.component("sink", "test").count("events_delivered_total"));
        assertTrue(p.stop(Duration.ofSeconds(5)));
    }

    @Test
    void aFailedWriteIsRetriedAloneBeforeLaterResultsApply() throws Exception {
        ScriptedSink sink = gatedSink(new WritePolicy(3, 0, 0));
        Pipeline p = started(sink);
        for (int i = 0; i < 3; i++) {
            emitAndAwaitWrites(sink, i, i + 1);
        }
        stages.get(0).completeExceptionally(new IOException("connection reset"));
        stages.get(2).complete(DeliveryStatus.DELIVERED);
        // the retry waits until nothing else is in flight
        holdsFor(200, () -> sink.writes.size() == 3, "no retry while the second write is in flight");
        stages.get(1).completeExceptionally(new IOException("connection reset"));
        await(() -> sink.writes.size() == 4, "the first write retried");
        assertSame(sink.writes.get(0), sink.writes.get(3), "the same batches are retried");
        assertTrue(acked.isEmpty(), "nothing is acknowledged before the first write resolves");
        stages.get(3).complete(DeliveryStatus.DELIVERED);
        await(() -> sink.writes.size() == 5, "then the second write retried, alone");
        assertSame(sink.writes.get(1), sink.writes.get(4));
        assertEquals(List.of(0L), new ArrayList<>(acked));
        stages.get(4).complete(DeliveryStatus.DELIVERED);
        await(() -> acked.size() == 3, "all acknowledged");
        assertEquals(List.of(0L, 1L, 2L), new ArrayList<>(acked), "the third write's earlier success applied last");
        assertEquals(5, sink.writes.size(), "the delivered third write is not written again");
        assertEquals(2, metrics.component("sink", "test").count("retries_total"));
        assertTrue(p.stop(Duration.ofSeconds(5)));
    }

    @Test
    void lingerWaitsForMoreDataBeforeASmallWrite() throws Exception {
        ScriptedSink sink = ScriptedSink.delivering("sink", events);
        sink.policy = new WritePolicy(1, TimeUnit.SECONDS.toNanos(20), 1 << 20);
        Pipeline p = started(sink);
        toEmit.add(numbered(0));
        await(() -> metrics.component("sink", "test").count("events_in_total") == 1, "first batch buffered");
        assertTrue(sink.writes.isEmpty(), "lingering");
        toEmit.add(numbered(1));
        // the linger ends when the pipeline stops (or after 20 s: longer than this test may take)
        await(() -> metrics.component("sink", "test").count("events_in_total") == 2, "second batch buffered");
        assertTrue(p.stop(Duration.ofSeconds(5)));
        assertEquals(1, sink.writes.size());
        assertEquals(2, sink.writes.get(0).size(), "both batches in one write");
        assertEquals(List.of(0L, 1L), new ArrayList<>(acked));
    }

    @Test
    void aDrainOfLingerBytesIsWrittenAtOnce() throws Exception {
        ScriptedSink sink = ScriptedSink.delivering("sink", events);
        sink.policy = new WritePolicy(1, TimeUnit.MINUTES.toNanos(1), 10); // numbered() batches are 10 bytes
        Pipeline p = started(sink);
        toEmit.add(numbered(0));
        await(() -> acked.size() == 1, "written without waiting for the linger");
        assertTrue(p.stop(Duration.ofSeconds(5)));
    }

    @Test
    void theSinksProblemShowsAsItsLastErrorWhileItLasts() throws Exception {
        ScriptedSink sink = gatedSink(new WritePolicy(2, 0, 0));
        Pipeline p = started(sink);
        emitAndAwaitWrites(sink, 0, 1);
        sink.problem = "cannot reach any aggregator for 60 s";
        ComponentStatus st = p.status().stream().filter(s -> s.id().equals("sink")).findFirst().orElseThrow();
        assertEquals("cannot reach any aggregator for 60 s", st.lastError());
        sink.problem = null;
        stages.get(0).complete(DeliveryStatus.DELIVERED);
        await(() -> acked.size() == 1, "delivered");
        assertNull(p.status().stream().filter(s -> s.id().equals("sink")).findFirst().orElseThrow().lastError());
        assertTrue(p.stop(Duration.ofSeconds(5)));
    }

    @Test
    void policyLimitsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new WritePolicy(0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new WritePolicy(1, -1, 0));
    }
}
