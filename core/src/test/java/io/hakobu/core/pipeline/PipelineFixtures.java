package io.hakobu.core.pipeline;

import static org.junit.jupiter.api.Assertions.fail;

import io.hakobu.core.checkpoint.CheckpointStore;
import io.hakobu.core.event.LogEntry;
import io.hakobu.core.telemetry.Metrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/** Test-only fakes and helpers for the pipeline runtime tests. */
final class PipelineFixtures {
    static final NodeInfo NODE = new NodeInfo("test-node", Path.of("/nonexistent/hakobu-test"));

    private PipelineFixtures() {
    }

    static CheckpointStore checkpoints() {
        return new CheckpointStore(NODE.dataDir().resolve("checkpoints"));
    }

    static Pipeline.Builder builder(Metrics metrics) {
        return Pipeline.builder(NODE, metrics, checkpoints()).retryBackoff(Duration.ofMillis(1), Duration.ofMillis(5));
    }

    /** A batch of {@code n} entries, the first of which carries ({@code stream}, {@code position}). */
    static Batch batch(String source, String stream, long position, int n, long bytes, BatchAck ack) {
        LogEntry e = new LogEntry().add("MESSAGE", "m").origin(stream, position);
        return new Batch(source, Collections.nCopies(n, e), bytes, ack);
    }

    static Batch batch(String source, long position, BatchAck ack) {
        return batch(source, source, position, 1, 10, ack);
    }

    /** Polls {@code condition} until it holds or {@code timeout} passes (no fixed sleeps). */
    static void await(Duration timeout, BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + timeout + " waiting for: " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    static void await(BooleanSupplier condition, String what) {
        await(Duration.ofSeconds(10), condition, what);
    }

    /** An ack that records each completion of its last share. */
    static final class RecordingAck {
        final AtomicInteger completions = new AtomicInteger();
        volatile DeliveryStatus status;
        final BatchAck ack = new BatchAck(s -> {
            status = s;
            completions.incrementAndGet();
        });
    }

    /**
     * A sink whose answer to each write is decided by {@code responder} (called on the runner
     * thread). Records every write call and the lifecycle.
     */
    static final class ScriptedSink implements Sink {
        final String name;
        final List<List<Batch>> writes = new CopyOnWriteArrayList<>();
        final Queue<String> events;
        volatile Function<List<Batch>, CompletionStage<DeliveryStatus>> responder;
        final CountDownLatch closed = new CountDownLatch(1);
        volatile Thread startThread;
        volatile Thread closeThread;
        volatile WritePolicy policy = WritePolicy.SERIAL;
        volatile String problem;
        volatile boolean acceptsEncoded;

        ScriptedSink(String name, Queue<String> events, Function<List<Batch>, CompletionStage<DeliveryStatus>> responder) {
            this.name = name;
            this.events = events;
            this.responder = responder;
        }

        static ScriptedSink delivering(String name, Queue<String> events) {
            return new ScriptedSink(name, events, b -> CompletableFuture.completedFuture(DeliveryStatus.DELIVERED));
        }

        @Override
        public void start(SinkContext ctx) {
            startThread = Thread.currentThread();
            events.add(name + ".start");
        }

        @Override
        public WritePolicy writePolicy() {
            return policy;
        }

        @Override
        public String problem() {
            return problem;
        }

        @Override
        public boolean acceptsEncoded() {
            return acceptsEncoded;
        }

        @Override
        public CompletionStage<DeliveryStatus> write(List<Batch> batches) {
            writes.add(batches);
            return responder.apply(batches);
        }

        @Override
        public void close() {
            closeThread = Thread.currentThread();
            events.add(name + ".close");
            closed.countDown();
        }

        int writtenBatches() {
            int n = 0;
            for (List<Batch> w : writes) {
                n += w.size();
            }
            return n;
        }
    }

    /**
     * A source that emits the positions {@code 0..count-1} as one-entry batches whose acks come
     * from an {@link OrderedAcker}, then waits until the pipeline stops.
     */
    static final class CountingSource implements Source {
        final String id;
        final int count;
        final Queue<String> events;
        final OrderedAcker<Long> acker = new OrderedAcker<>();
        final List<Boolean> emitResults = new CopyOnWriteArrayList<>();
        final CountDownLatch emittedAll = new CountDownLatch(1);
        volatile Thread runThread;
        /** {@link OrderedAcker#acknowledged()} as seen by {@link #close()}. */
        volatile Long acknowledgedAtClose;
        volatile boolean waitForStop = true;
        /** The size estimate each one-entry batch declares. */
        volatile long batchBytes = 10;

        CountingSource(String id, int count, Queue<String> events) {
            this.id = id;
            this.count = count;
            this.events = events;
        }

        @Override
        public void run(SourceContext ctx) throws Exception {
            runThread = Thread.currentThread();
            for (long i = 0; i < count && !ctx.isStopping(); i++) {
                boolean ok = ctx.emit(batch(ctx.id(), ctx.id(), i, 1, batchBytes, acker.register(i)));
                emitResults.add(ok);
                if (!ok) {
                    break;
                }
            }
            emittedAll.countDown();
            while (waitForStop && !ctx.isStopping()) {
                ctx.idle(10_000);
            }
        }

        @Override
        public void close() {
            acknowledgedAtClose = acker.acknowledged();
            events.add(id + ".close");
        }
    }

    static Queue<String> eventLog() {
        return new ConcurrentLinkedQueue<>();
    }

    static List<String> list(Queue<String> q) {
        return new ArrayList<>(q);
    }
}
