package io.hakobu.core.pipeline;

import static io.hakobu.core.pipeline.PipelineFixtures.await;
import static io.hakobu.core.pipeline.PipelineFixtures.batch;
import static io.hakobu.core.pipeline.PipelineFixtures.builder;
import static io.hakobu.core.pipeline.PipelineFixtures.eventLog;
import static io.hakobu.core.pipeline.PipelineFixtures.list;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.pipeline.ComponentStatus.Kind;
import io.hakobu.core.pipeline.ComponentStatus.State;
import io.hakobu.core.pipeline.PipelineFixtures.CountingSource;
import io.hakobu.core.pipeline.PipelineFixtures.RecordingAck;
import io.hakobu.core.pipeline.PipelineFixtures.ScriptedSink;
import io.hakobu.core.telemetry.ComponentMetrics;
import io.hakobu.core.telemetry.Metrics;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class PipelineTest {
    private final Metrics metrics = new Metrics();
    private final Queue<String> events = eventLog();
    private final List<Pipeline> pipelines = new ArrayList<>();

    @AfterEach
    void stopAll() {
        pipelines.forEach(p -> p.stop(Duration.ZERO));
    }

    private Pipeline started(Pipeline.Builder b) throws Exception {
        Pipeline p = b.build();
        pipelines.add(p);
        p.start();
        return p;
    }

    private ComponentMetrics sinkMetrics(String id) {
        return metrics.component(id, "test");
    }

    /** A source that emits the given batches once (recording each emit's result), then waits for stop. */
    private static Source emitting(List<Batch> batches, List<Boolean> results) {
        return ctx -> {
            for (Batch b : batches) {
                results.add(ctx.emit(b));
            }
            while (!ctx.isStopping()) {
                ctx.idle(10_000);
            }
        };
    }

    @Test
    void fanOutAckCompletesOnlyWhenBothSinksDelivered() throws Exception {
        CompletableFuture<DeliveryStatus> slow = new CompletableFuture<>();
        ScriptedSink fast = ScriptedSink.delivering("fast", events);
        ScriptedSink gated = new ScriptedSink("gated", events, b -> slow);
        RecordingAck ack = new RecordingAck();
        List<Boolean> results = new CopyOnWriteArrayList<>();
        Pipeline p = started(builder(metrics)
                .addSource("src", "test", emitting(List.of(batch("src", 1, ack.ack)), results))
                .addSink("fast", "test", fast, List.of("src"), BufferConfig.DEFAULT)
                .addSink("gated", "test", gated, List.of("src"), BufferConfig.DEFAULT));

        await(() -> sinkMetrics("fast").count("events_delivered_total") == 1 && gated.writes.size() == 1,
                "fast delivered, gated writing");
        assertFalse(ack.ack.isDone(), "one sink is still writing");
        assertEquals(0, ack.completions.get());
        assertFalse(p.idle());

        slow.complete(DeliveryStatus.DELIVERED);
        await(() -> ack.completions.get() == 1, "ack completes");
        assertEquals(DeliveryStatus.DELIVERED, ack.status);
        assertEquals(List.of(true), results);
        await(p::idle, "idle");
        assertEquals(1, metrics.component("src", "test").count("events_out_total"));
        assertEquals(Map.of("src", List.of("fast", "gated")), p.routes());
        assertTrue(p.stop(Duration.ofSeconds(5)));
        assertEquals(1, ack.completions.get(), "acked exactly once");
    }

    @Test
    void sourceRoutedNowhereCompletesAsDelivered() throws Exception {
        RecordingAck ack = new RecordingAck();
        List<Boolean> results = new CopyOnWriteArrayList<>();
        ScriptedSink other = ScriptedSink.delivering("other", events);
        started(builder(metrics)
                .addSource("lonely", "test", emitting(List.of(batch("lonely", 1, ack.ack)), results))
                .addSource("fed", "test", emitting(List.of(), results))
                .addSink("other", "test", other, List.of("fed"), BufferConfig.DEFAULT));
        await(() -> ack.completions.get() == 1, "ack completes");
        assertEquals(DeliveryStatus.DELIVERED, ack.status);
        assertTrue(other.writes.isEmpty());
    }

    @Test
    void blockBufferPausesTheSourceUntilTheSinkFreesSpace() throws Exception {
        CompletableFuture<DeliveryStatus> gate = new CompletableFuture<>();
        ScriptedSink sink = new ScriptedSink("sink", events, b -> gate);
        CountingSource source = new CountingSource("src", 20, events);
        Pipeline p = started(builder(metrics)
                .addSource("src", "test", source)
                .addSink("sink", "test", sink, List.of("src"), new BufferConfig(3, 1 << 20, WhenFull.BLOCK)));

        // The first write (1-3 batches) is in flight, three more wait in the buffer, the next emit blocks.
        await(() -> sink.writes.size() == 1 && sinkMetrics("sink").gaugeValue("buffer_events") == 3
                && source.runThread != null && source.runThread.getState() == Thread.State.TIMED_WAITING,
                "source blocked on a full buffer");
        int emitted = source.emitResults.size();
        assertFalse(source.emittedAll.await(200, TimeUnit.MILLISECONDS), "the source must stay paused");
        assertEquals(emitted, source.emitResults.size());
        // the first write holds whatever the runner drained (a drain may also take a batch that
        // arrived while it was draining), the buffer holds three more, the next emit is blocked
        int inFlight = sink.writes.get(0).size();
        assertEquals(inFlight + 3, emitted, "in flight + three buffered");
        assertEquals(0, sinkMetrics("sink").count("events_dropped_total", "reason", "buffer_full", "intentional", "true"));

        sink.responder = b -> CompletableFuture.completedFuture(DeliveryStatus.DELIVERED);
        gate.complete(DeliveryStatus.DELIVERED);
        assertTrue(source.emittedAll.await(10, TimeUnit.SECONDS));
        await(() -> Long.valueOf(19).equals(source.acker.acknowledged()), "all acknowledged");
        assertEquals(20, sink.writtenBatches());
        assertTrue(p.stop(Duration.ofSeconds(5)));
        assertFalse(source.emitResults.contains(false));
    }

    @Test
    void dropNewestDropsAndCountsWhenFull() throws Exception {
        CompletableFuture<DeliveryStatus> gate = new CompletableFuture<>();
        ScriptedSink sink = new ScriptedSink("sink", events, b -> gate);
        List<RecordingAck> acks = new ArrayList<>();
        List<Batch> batches = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            RecordingAck a = new RecordingAck();
            acks.add(a);
            batches.add(batch("src", i, a.ack));
        }
        // The first batch goes out on its own so the runner is surely busy writing it.
        RecordingAck firstAck = new RecordingAck();
        CountDownLatch firstWritten = new CountDownLatch(1);
        List<Boolean> results = new CopyOnWriteArrayList<>();
        Source source = ctx -> {
            results.add(ctx.emit(batch("src", -1, firstAck.ack)));
            firstWritten.await();
            for (Batch b : batches) {
                results.add(ctx.emit(b));
            }
            while (!ctx.isStopping()) {
                ctx.idle(10_000);
            }
        };
        Pipeline p = started(builder(metrics)
                .addSource("src", "test", source)
                .addSink("sink", "test", sink, List.of("src"), new BufferConfig(2, 1 << 20, WhenFull.DROP_NEWEST)));
        await(() -> sink.writes.size() == 1, "first write in flight");
        firstWritten.countDown();
        await(() -> results.size() == 11, "all emits returned");
        assertFalse(results.contains(false), "drop_newest never blocks or fails an emit");

        ComponentMetrics m = sinkMetrics("sink");
        assertEquals(8, m.count("events_dropped_total", "reason", "buffer_full", "intentional", "true"));
        assertEquals(3, m.count("events_in_total"));
        for (int i = 2; i < 10; i++) {
            assertEquals(DeliveryStatus.REJECTED, acks.get(i).status, "dropped batch " + i + " is rejected");
        }
        assertFalse(acks.get(0).ack.isDone());

        sink.responder = b -> CompletableFuture.completedFuture(DeliveryStatus.DELIVERED);
        gate.complete(DeliveryStatus.DELIVERED);
        await(() -> acks.get(1).completions.get() == 1, "buffered batches delivered");
        assertEquals(DeliveryStatus.DELIVERED, acks.get(0).status);
        assertEquals(DeliveryStatus.DELIVERED, firstAck.status);
        assertTrue(p.stop(Duration.ofSeconds(5)));
    }

    @Test
    void erroredTwiceThenDeliveredRetriesTheSameBatchesAndAcksOnce() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        ScriptedSink sink = new ScriptedSink("sink", events, b -> {
            switch (calls.incrementAndGet()) {
                case 1:
                    return CompletableFuture.completedFuture(DeliveryStatus.ERRORED);
                case 2:
                    return CompletableFuture.failedFuture(new IOException("connection refused"));
                default:
                    return CompletableFuture.completedFuture(DeliveryStatus.DELIVERED);
            }
        });
        RecordingAck ack = new RecordingAck();
        Pipeline p = started(builder(metrics)
                .addSource("src", "test", emitting(List.of(batch("src", 1, ack.ack)), new CopyOnWriteArrayList<>()))
                .addSink("sink", "test", sink, List.of("src"), BufferConfig.DEFAULT));
        await(() -> ack.completions.get() == 1, "delivered after retries");
        assertEquals(DeliveryStatus.DELIVERED, ack.status);
        assertEquals(3, sink.writes.size());
        assertSame(sink.writes.get(0), sink.writes.get(1), "the same list is retried");
        assertSame(sink.writes.get(0), sink.writes.get(2));
        assertEquals(2, sinkMetrics("sink").count("retries_total"));
        assertEquals(1, sinkMetrics("sink").count("events_delivered_total"));
        assertTrue(sinkMetrics("sink").gaugeValue("last_delivery_timestamp_seconds") > 0);
        ComponentStatus st = p.status().get(1);
        assertNull(st.lastError(), "cleared by the successful write");
        assertTrue(p.stop(Duration.ofSeconds(5)));
        assertEquals(1, ack.completions.get());
    }

    @Test
    void writeThatThrowsIsRetriedToo() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        ScriptedSink sink = new ScriptedSink("sink", events, b -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("not connected");
            }
            return CompletableFuture.completedFuture(DeliveryStatus.DELIVERED);
        });
        RecordingAck ack = new RecordingAck();
        Pipeline p = started(builder(metrics)
                .addSource("src", "test", emitting(List.of(batch("src", 1, ack.ack)), new CopyOnWriteArrayList<>()))
                .addSink("sink", "test", sink, List.of("src"), BufferConfig.DEFAULT));
        await(() -> ack.completions.get() == 1, "delivered after retry");
        assertEquals(1, sinkMetrics("sink").count("retries_total"));
        assertTrue(p.stop(Duration.ofSeconds(5)));
    }

    @Test
    void rejectedCompletesTheAckAsRejected() throws Exception {
        ScriptedSink sink = new ScriptedSink("sink", events,
                b -> CompletableFuture.completedFuture(DeliveryStatus.REJECTED));
        CountingSource source = new CountingSource("src", 3, events);
        Pipeline p = started(builder(metrics)
                .addSource("src", "test", source)
                .addSink("sink", "test", sink, List.of("src"), BufferConfig.DEFAULT));
        await(() -> Long.valueOf(2).equals(source.acker.acknowledged()), "rejected batches count as final");
        assertEquals(3, sinkMetrics("sink").count("events_rejected_total"));
        assertEquals(0, sinkMetrics("sink").count("retries_total"));
        assertNotNull(p.status().get(1).lastError());
        assertTrue(p.stop(Duration.ofSeconds(5)));
    }

    @Test
    void gracefulStopDrainsQueuedBatchesThenClosesSinksThenSources() throws Exception {
        // Sink a holds its first write until stop has begun, so the rest is still queued then.
        CompletableFuture<DeliveryStatus> gate = new CompletableFuture<>();
        Executor slowly = CompletableFuture.delayedExecutor(2, TimeUnit.MILLISECONDS);
        AtomicInteger calls = new AtomicInteger();
        ScriptedSink a = new ScriptedSink("a", events, batches -> calls.incrementAndGet() == 1 ? gate
                : CompletableFuture.supplyAsync(() -> DeliveryStatus.DELIVERED, slowly));
        ScriptedSink b = ScriptedSink.delivering("b", events);
        CountingSource source = new CountingSource("src", 200, events);
        Pipeline p = started(builder(metrics)
                .addSource("src", "test", source)
                .addSink("a", "test", a, List.of("src"), BufferConfig.DEFAULT)
                .addSink("b", "test", b, List.of("src"), BufferConfig.DEFAULT));
        assertTrue(source.emittedAll.await(10, TimeUnit.SECONDS));
        assertTrue(sinkMetrics("a").gaugeValue("buffer_events") > 0, "batches queued when stop begins");
        Thread opener = new Thread(() -> {
            await(p::isStopping, "stopping");
            gate.complete(DeliveryStatus.DELIVERED);
        });
        opener.start();
        assertTrue(p.stop(Duration.ofSeconds(10)), "drained before the deadline");
        opener.join();

        assertEquals(200, a.writtenBatches());
        assertEquals(200, b.writtenBatches());
        assertEquals(199L, source.acknowledgedAtClose, "source.close sees every ack completed while draining");
        List<String> log = list(events);
        int srcClose = log.indexOf("src.close");
        assertTrue(srcClose > log.indexOf("a.close") && srcClose > log.indexOf("b.close"), log.toString());
        assertTrue(a.closeThread.getName().equals("hakobu-sink-a") && a.startThread == a.closeThread);
        assertEquals("hakobu-source-src", source.runThread.getName());
        assertTrue(p.stop(Duration.ZERO), "idempotent");
        assertEquals(1, log.stream().filter("a.close"::equals).count());
        for (ComponentStatus st : p.status()) {
            assertEquals(State.STOPPED, st.state(), st.toString());
        }
    }

    @Test
    void stopGivesUpOnAStuckWriteAtTheDeadline() throws Exception {
        ScriptedSink stuck = new ScriptedSink("stuck", events, b -> new CompletableFuture<>());
        CountingSource source = new CountingSource("src", 5, events);
        Pipeline p = started(builder(metrics)
                .addSource("src", "test", source)
                .addSink("stuck", "test", stuck, List.of("src"), BufferConfig.DEFAULT));
        assertTrue(source.emittedAll.await(10, TimeUnit.SECONDS));
        await(() -> stuck.writes.size() == 1, "write in flight");
        long t0 = System.nanoTime();
        assertFalse(p.stop(Duration.ofMillis(200)), "not drained");
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
        assertEquals(0, stuck.closed.getCount(), "close still called");
        assertNull(source.acknowledgedAtClose, "nothing acknowledged");
        assertEquals(List.of("stuck.start", "stuck.close", "src.close"), list(events));
    }

    @Test
    void stopReleasesASourceBlockedOnAFullBuffer() throws Exception {
        ScriptedSink stuck = new ScriptedSink("stuck", events, b -> new CompletableFuture<>());
        CountingSource source = new CountingSource("src", 100, events);
        source.waitForStop = false;
        Pipeline p = started(builder(metrics)
                .addSource("src", "test", source)
                .addSink("stuck", "test", stuck, List.of("src"), new BufferConfig(2, 1 << 20, WhenFull.BLOCK)));
        await(() -> source.runThread != null && stuck.writes.size() == 1
                && sinkMetrics("stuck").gaugeValue("buffer_events") == 2
                && source.runThread.getState() == Thread.State.TIMED_WAITING, "source blocked");
        assertFalse(p.stop(Duration.ofMillis(100)));
        assertTrue(source.emittedAll.await(0, TimeUnit.SECONDS), "emit returned");
        assertEquals(Boolean.FALSE, source.emitResults.get(source.emitResults.size() - 1));
        assertTrue(p.sourcesFinished());
    }

    @Test
    void failingSourceIsMarkedFailedAndOthersKeepRunning() throws Exception {
        ScriptedSink sink = ScriptedSink.delivering("sink", events);
        CountingSource good = new CountingSource("good", 3, events);
        Source bad = ctx -> {
            throw new IOException("cannot open /dev/nope");
        };
        Pipeline p = started(builder(metrics)
                .addSource("bad", "test", bad)
                .addSource("good", "test", good)
                .addSink("sink", "test", sink, List.of("bad", "good"), BufferConfig.DEFAULT));
        await(() -> p.status().get(0).state() == State.FAILED, "bad failed");
        await(() -> Long.valueOf(2).equals(good.acker.acknowledged()), "good delivered");
        ComponentStatus badStatus = p.status().get(0);
        assertEquals(Kind.SOURCE, badStatus.kind());
        assertTrue(badStatus.lastError().contains("cannot open /dev/nope"), badStatus.lastError());
        assertFalse(badStatus.healthy());
        assertEquals(State.RUNNING, p.status().get(1).state());
        assertEquals(State.RUNNING, p.status().get(2).state());
        assertFalse(p.sourcesFinished(), "good still runs");
        p.stop(Duration.ofSeconds(5));
        assertEquals(State.FAILED, p.status().get(0).state());
    }

    @Test
    void sourcesFinishedWhenEverySourceReturned() throws Exception {
        ScriptedSink sink = ScriptedSink.delivering("sink", events);
        CountingSource eof = new CountingSource("stdin", 50, events);
        eof.waitForStop = false;
        Pipeline p = started(builder(metrics)
                .addSource("stdin", "test", eof)
                .addSink("sink", "test", sink, List.of("stdin"), BufferConfig.DEFAULT));
        assertTrue(p.awaitSourcesFinished(Duration.ofSeconds(10)));
        assertTrue(p.sourcesFinished());
        await(p::idle, "idle");
        assertEquals(50, sink.writtenBatches());
        assertEquals(State.STOPPED, p.status().get(0).state());
        assertTrue(p.stop(Duration.ofSeconds(5)));
        assertEquals(49L, eof.acknowledgedAtClose);
    }

    @Test
    void sinkStartFailureFailsStartAndClosesEverything() {
        ScriptedSink ok = ScriptedSink.delivering("ok", events);
        Sink broken = new Sink() {
            @Override
            public void start(SinkContext ctx) throws IOException {
                throw new IOException("bucket missing");
            }

            @Override
            public CompletableFuture<DeliveryStatus> write(List<Batch> batches) {
                throw new AssertionError("never written");
            }

            @Override
            public void close() {
                events.add("broken.close");
            }
        };
        CountingSource source = new CountingSource("src", 1, events);
        Pipeline p = builder(metrics)
                .addSource("src", "test", source)
                .addSink("ok", "test", ok, List.of("src"), BufferConfig.DEFAULT)
                .addSink("broken", "test", broken, List.of("src"), BufferConfig.DEFAULT)
                .build();
        IllegalStateException e = assertThrows(IllegalStateException.class, p::start);
        assertTrue(e.getMessage().contains("broken") && e.getMessage().contains("bucket missing"), e.getMessage());
        assertNull(source.runThread, "sources never ran");
        List<String> log = list(events);
        assertTrue(log.contains("ok.close") && log.contains("broken.close") && log.contains("src.close"), log.toString());
        assertEquals(State.FAILED, p.status().get(2).state());
        assertFalse(p.stop(Duration.ZERO));
        assertThrows(IllegalStateException.class, p::start);
    }

    @Test
    void stopBeforeStartClosesComponents() {
        ScriptedSink sink = ScriptedSink.delivering("sink", events);
        CountingSource source = new CountingSource("src", 1, events);
        Pipeline p = builder(metrics)
                .addSource("src", "test", source)
                .addSink("sink", "test", sink, List.of("src"), BufferConfig.DEFAULT)
                .build();
        assertTrue(p.stop(Duration.ofSeconds(1)));
        assertEquals(List.of("sink.close", "src.close"), list(events));
        assertTrue(p.sourcesFinished());
    }

    @Test
    void builderRejectsUnknownInputsAndDuplicates() {
        Pipeline.Builder b = builder(metrics).addSource("a", "test", ctx -> { });
        assertThrows(IllegalArgumentException.class, () -> b.addSource("a", "test", ctx -> { }));
        b.addSink("s", "test", ScriptedSink.delivering("s", events), List.of("nope"), BufferConfig.DEFAULT);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> builder(metrics).addSink("s", "t", ScriptedSink.delivering("s", events), List.of(), BufferConfig.DEFAULT)
                        .addSink("s", "t", ScriptedSink.delivering("s", events), List.of(), BufferConfig.DEFAULT));
    }

    @Test
    void idleWaitsWakeEarlyOnStop() throws Exception {
        CountDownLatch idling = new CountDownLatch(1);
        AtomicReference<Long> waitedNanos = new AtomicReference<>();
        Source sleepy = ctx -> {
            long t0 = System.nanoTime();
            idling.countDown();
            ctx.idle(60_000);
            waitedNanos.set(System.nanoTime() - t0);
        };
        Pipeline p = started(builder(metrics).addSource("sleepy", "test", sleepy));
        assertTrue(idling.await(5, TimeUnit.SECONDS));
        assertTrue(p.stop(Duration.ofSeconds(5)));
        assertTrue(waitedNanos.get() < TimeUnit.SECONDS.toNanos(10));
    }

    /**
     * Three sources fan out to a flaky asynchronous sink and a small blocking one: every ack
     * completes exactly once and every source's checkpoint reaches its last position.
     */
    @Test
    void manySourcesThroughFlakyAndSlowSinksAllAcknowledged() throws Exception {
        Executor async = CompletableFuture.delayedExecutor(100, TimeUnit.MICROSECONDS);
        ScriptedSink flaky = new ScriptedSink("flaky", events, batches -> CompletableFuture.supplyAsync(
                () -> Math.random() < 0.2 ? DeliveryStatus.ERRORED : DeliveryStatus.DELIVERED, async));
        ScriptedSink small = ScriptedSink.delivering("small", events);
        List<CountingSource> sources = new ArrayList<>();
        Pipeline.Builder b = builder(metrics);
        for (int i = 0; i < 3; i++) {
            CountingSource s = new CountingSource("src" + i, 500, events);
            sources.add(s);
            b.addSource(s.id, "test", s);
        }
        List<String> all = List.of("src0", "src1", "src2");
        b.addSink("flaky", "test", flaky, all, BufferConfig.DEFAULT);
        b.addSink("small", "test", small, all, new BufferConfig(5, 1 << 20, WhenFull.BLOCK));
        Pipeline p = started(b);
        for (CountingSource s : sources) {
            await(() -> Long.valueOf(499).equals(s.acker.acknowledged()), s.id + " fully acknowledged");
            assertFalse(s.emitResults.contains(false));
        }
        await(p::idle, "idle");
        assertEquals(1500, sinkMetrics("flaky").count("events_delivered_total"));
        assertEquals(1500, sinkMetrics("small").count("events_delivered_total"));
        assertEquals(1500, small.writtenBatches());
        assertTrue(p.stop(Duration.ofSeconds(5)));
    }

    @Test
    void backoffGrowsExponentiallyWithJitterWithinBounds() {
        assertEquals(100, SinkRunner.backoffMillis(1, 100, 30_000, 0.0));
        assertEquals(100, SinkRunner.backoffMillis(1, 100, 30_000, 0.999));
        assertEquals(400, SinkRunner.backoffMillis(3, 100, 30_000, 0.0) * 2);
        assertEquals(400, SinkRunner.backoffMillis(3, 100, 30_000, 0.9999));
        for (int attempt = 1; attempt < 100; attempt++) {
            long d = SinkRunner.backoffMillis(attempt, 100, 30_000, Math.random());
            assertTrue(d >= 100 && d <= 30_000, attempt + " -> " + d);
        }
        assertTrue(SinkRunner.backoffMillis(60, 100, 30_000, 0.0) >= 15_000);
    }

    @Test
    void whenFullParsesConfigWords() {
        assertEquals(WhenFull.BLOCK, WhenFull.parse("block"));
        assertEquals(WhenFull.DROP_NEWEST, WhenFull.parse("drop_newest"));
        assertEquals("drop_newest", WhenFull.DROP_NEWEST.configName());
        assertThrows(IllegalArgumentException.class, () -> WhenFull.parse("drop"));
        assertThrows(IllegalArgumentException.class, () -> WhenFull.parse(null));
        assertThrows(IllegalArgumentException.class, () -> new BufferConfig(0, 1, WhenFull.BLOCK));
        assertEquals(16L << 20, BufferConfig.DEFAULT.maxBytes());
        assertEquals(8192, BufferConfig.DEFAULT.maxEvents());
    }
}
