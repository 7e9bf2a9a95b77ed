package io.hakobu.core.pipeline;

import io.hakobu.core.checkpoint.CheckpointStore;
import io.hakobu.core.pipeline.ComponentStatus.Kind;
import io.hakobu.core.pipeline.ComponentStatus.State;
import io.hakobu.core.telemetry.ComponentMetrics;
import io.hakobu.core.telemetry.Counter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns one sink: its buffer, its thread ({@code hakobu-sink-<id>}) and its retries.
 *
 * <p>The runner thread calls {@link Sink#start}, then loops: take up to {@link #MAX_WRITE_BATCHES}
 * batches (about {@link WritePolicy#maxWriteBytes()}) from the buffer (waiting up to the sink's linger for
 * more when little is there), {@link Sink#write} them, and while the sink's {@link WritePolicy}
 * allows another write in flight, go on taking and writing. Completed writes are applied in write
 * order: every batch's share is completed with the final status; a write that returned
 * {@code ERRORED} (or failed) is retried alone, with exponential backoff and jitter, once nothing
 * else is in flight, until it resolves. Once the pipeline drains, it exits when the buffer is empty
 * and nothing is in flight (or the deadline passed) and calls {@link Sink#close}.
 *
 * <p>Producers ({@link SourceRunner}s) only call {@link #accept(Batch, SourceRunner)}.
 */
final class SinkRunner implements SinkContext, Runnable {
    private static final Logger log = LoggerFactory.getLogger(SinkRunner.class);

    static final int MAX_WRITE_BATCHES = 64;
    /** Safety net for parks; every real wake-up is signalled. */
    private static final long MAX_PARK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final String id;
    private final String type;
    private final Sink sink;
    private final BufferConfig buffer;
    private final SinkBuffer queue;
    private final NodeInfo node;
    private final CheckpointStore checkpoints;
    private final ComponentMetrics metrics;
    private final ShutdownSignal shutdown;
    private final long minBackoffMillis;
    private final long maxBackoffMillis;

    private final Counter eventsIn;
    private final Counter bytesIn;
    private final Counter eventsDelivered;
    private final Counter eventsRejected;
    private final Counter eventsDropped;
    private final Counter retries;
    private volatile long lastDeliveryEpochSeconds;

    final Thread thread;
    /** Completes when {@link Sink#start} returned (exceptionally if it threw). */
    final CompletableFuture<Void> started = new CompletableFuture<>();
    private volatile State state = State.STARTING;
    private volatile String lastError;
    /** True from before a drain until its batches are resolved (see {@link #isIdle()}). */
    private volatile boolean busy;
    /** Set when the runner exits having written everything it was given. */
    private volatile boolean drained;
    private volatile boolean closed;

    SinkRunner(String id, String type, Sink sink, BufferConfig buffer, NodeInfo node, CheckpointStore checkpoints,
            ComponentMetrics metrics, ShutdownSignal shutdown, long minBackoffMillis, long maxBackoffMillis) {
        this.id = id;
        this.type = type;
        this.sink = sink;
        this.buffer = buffer;
        this.queue = buffer.isDisk()
                ? new DiskSinkBuffer(id, buffer, node.dataDir().resolve("buffer").resolve(id), shutdown, metrics)
                : new MemorySinkBuffer(buffer);
        this.node = node;
        this.checkpoints = checkpoints;
        this.metrics = metrics;
        this.shutdown = shutdown;
        this.minBackoffMillis = minBackoffMillis;
        this.maxBackoffMillis = maxBackoffMillis;
        this.eventsIn = metrics.counter("events_in_total");
        this.bytesIn = metrics.counter("bytes_in_total");
        this.eventsDelivered = metrics.counter("events_delivered_total");
        this.eventsRejected = metrics.counter("events_rejected_total");
        this.eventsDropped = metrics.counter("events_dropped_total", "reason", "buffer_full", "intentional", "true");
        this.retries = metrics.counter("retries_total");
        metrics.gauge("buffer_events", queue::entries);
        metrics.gauge("buffer_bytes", queue::bytes);
        metrics.gauge("last_delivery_timestamp_seconds", () -> lastDeliveryEpochSeconds);
        this.thread = new Thread(this, "hakobu-sink-" + id);
        this.thread.setDaemon(true);
    }

    // ---- SinkContext -------------------------------------------------------------------------

    @Override
    public String id() {
        return id;
    }

    @Override
    public NodeInfo node() {
        return node;
    }

    @Override
    public CheckpointStore checkpoints() {
        return checkpoints;
    }

    @Override
    public ComponentMetrics metrics() {
        return metrics;
    }

    @Override
    public boolean isStopping() {
        return shutdown.isStopping();
    }

    // ---- producer side -----------------------------------------------------------------------

    /**
     * Hands one share of {@code batch} to this sink; the caller has already retained that share.
     * Called on the emitting source's thread.
     *
     * @return false when the pipeline began stopping while this waited for space (the share stays
     *     incomplete)
     */
    boolean accept(Batch batch, SourceRunner from) throws InterruptedException {
        boolean taken = buffer.whenFull() == WhenFull.BLOCK
                ? queue.offer(batch, Long.MAX_VALUE, TimeUnit.NANOSECONDS, shutdown::isStopping)
                : queue.offer(batch);
        if (taken) {
            eventsIn.add(batch.size());
            bytesIn.add(batch.bytes());
            return true;
        }
        if (buffer.whenFull() == WhenFull.BLOCK) {
            return false; // stopping
        }
        eventsDropped.add(batch.size());
        if (log.isDebugEnabled()) {
            log.debug("sink={} status=dropped reason=buffer_full source={} events={} bytes={}",
                    id, from.id(), batch.size(), batch.bytes());
        }
        complete(batch, DeliveryStatus.REJECTED);
        return true;
    }

    /** Releases producers blocked on a full buffer so they notice that the pipeline stops. */
    void wakeProducers() {
        queue.wakeProducers();
    }

    // ---- runner thread -----------------------------------------------------------------------

    @Override
    public void run() {
        try {
            queue.open();
        } catch (Throwable e) {
            fail("buffer failed to open", e);
            started.completeExceptionally(e);
            awaitDrainQuietly();
            closeSink();
            return;
        }
        try {
            sink.start(this);
        } catch (Throwable e) {
            fail("start failed", e);
            started.completeExceptionally(e);
            awaitDrainQuietly();
            closeSink();
            return;
        }
        state = State.RUNNING;
        started.complete(null);
        try {
            loop();
        } catch (Throwable e) {
            fail("runner failed", e);
            if (e instanceof VirtualMachineError) {
                throw (VirtualMachineError) e;
            }
        } finally {
            closeSink();
        }
    }

    /** One write handed to the sink: its batches and, once the stage completed, its outcome. */
    private static final class Write {
        final List<Batch> batches;
        final CompletableFuture<DeliveryStatus> result = new CompletableFuture<>();

        Write(List<Batch> batches) {
            this.batches = batches;
        }
    }

    /** The outcome of a completed write: a final status, or why it must be retried. */
    private record Outcome(DeliveryStatus status, String error, Throwable cause) {
    }

    private void loop() {
        WritePolicy policy = sink.writePolicy();
        if (policy == null) {
            policy = WritePolicy.SERIAL;
        }
        queue.readEncoded(sink.acceptsEncoded());
        ArrayDeque<Write> inFlight = new ArrayDeque<>();
        List<Batch> taken = new ArrayList<>();
        for (;;) {
            // apply finished writes, strictly in write order
            Write head;
            while ((head = inFlight.peekFirst()) != null && head.result.isDone()) {
                inFlight.pollFirst();
                Outcome o = outcome(head.result);
                if (o.error() == null) {
                    resolve(head.batches, o.status());
                } else if (!recover(head.batches, o, inFlight)) {
                    abandon(inFlight);
                    return;
                }
            }
            busy = !inFlight.isEmpty();
            if (shutdown.isDraining()) {
                boolean late = shutdown.deadlinePassed(System.nanoTime());
                if (inFlight.isEmpty() && (queue.isEmpty() || late)) {
                    drained = queue.isEmpty();
                    if (!drained) {
                        abandon(inFlight);
                    }
                    return;
                }
                if (late) {
                    abandon(inFlight); // writes in flight and what is queued stay unacknowledged
                    return;
                }
            }
            boolean room = inFlight.size() < policy.maxInFlight();
            if (room) {
                busy = true; // before the drain: see isIdle()
                if (queue.drainTo(taken, MAX_WRITE_BATCHES, policy.maxWriteBytes()) > 0) {
                    if (policy.lingerNanos() > 0) {
                        linger(taken, policy);
                    }
                    inFlight.addLast(issue(Collections.unmodifiableList(new ArrayList<>(taken))));
                    taken.clear();
                    continue;
                }
                busy = !inFlight.isEmpty();
            }
            // park until a write completes (its callback unparks us) or, with room, data arrives
            long park = MAX_PARK_NANOS;
            if (shutdown.isDraining()) {
                park = Math.max(1, Math.min(TimeUnit.MILLISECONDS.toNanos(1), shutdown.remainingNanos(System.nanoTime())));
            }
            if (room) {
                // while draining: a producer is between its reservation and its enqueue, or a disk
                // buffer's writer is finishing its last group
                queue.awaitNotEmpty(park, TimeUnit.NANOSECONDS);
            } else {
                LockSupport.parkNanos(this, park);
            }
        }
    }

    /** Tops up a small drain for up to the policy's linger (not once the pipeline stops). */
    private void linger(List<Batch> taken, WritePolicy policy) {
        long bytes = 0;
        for (Batch b : taken) {
            bytes += b.bytes();
        }
        long until = System.nanoTime() + policy.lingerNanos();
        while (bytes < policy.lingerBytes() && taken.size() < MAX_WRITE_BATCHES && bytes < policy.maxWriteBytes()
                && !shutdown.isStopping()) {
            long left = until - System.nanoTime();
            if (left <= 0) {
                return;
            }
            if (!queue.awaitNotEmpty(left, TimeUnit.NANOSECONDS)) {
                continue; // woken by a completing write, or the time is up: re-check
            }
            int before = taken.size();
            queue.drainTo(taken, MAX_WRITE_BATCHES - taken.size(), policy.maxWriteBytes() - bytes);
            for (int i = before; i < taken.size(); i++) {
                bytes += taken.get(i).bytes();
            }
        }
    }

    /** Hands {@code batches} to the sink; a write that throws is a completed, failed write. */
    private Write issue(List<Batch> batches) {
        Write w = new Write(batches);
        try {
            CompletionStage<DeliveryStatus> stage = sink.write(batches);
            if (stage == null) {
                throw new IllegalStateException("write returned null");
            }
            stage.whenComplete((s, e) -> {
                if (e != null) {
                    w.result.completeExceptionally(e);
                } else {
                    w.result.complete(s);
                }
                LockSupport.unpark(thread);
            });
        } catch (Throwable e) {
            if (e instanceof VirtualMachineError) {
                throw (VirtualMachineError) e;
            }
            w.result.completeExceptionally(e);
        }
        return w;
    }

    private static Outcome outcome(CompletableFuture<DeliveryStatus> done) {
        try {
            DeliveryStatus status = done.get();
            if (status == null) {
                return new Outcome(null, "write completed with a null status", null);
            }
            return status == DeliveryStatus.ERRORED ? new Outcome(null, "write returned ERRORED", null) : new Outcome(status, null, null);
        } catch (Throwable e) {
            if (e instanceof VirtualMachineError) {
                throw (VirtualMachineError) e;
            }
            Throwable cause = unwrap(e);
            return new Outcome(null, cause.toString(), cause);
        }
    }

    /**
     * A write failed: wait until nothing else is in flight (later results stay queued in
     * {@code inFlight}), then write these batches alone with backoff until they resolve.
     *
     * @return true when the batches were resolved; false when the shutdown deadline passed first
     */
    private boolean recover(List<Batch> batches, Outcome failed, ArrayDeque<Write> inFlight) {
        for (Write w : inFlight) {
            if (!awaitDone(w)) {
                return false;
            }
        }
        Outcome o = failed;
        int attempt = 0;
        for (;;) {
            attempt++;
            retries.inc();
            lastError = o.error();
            long backoffMillis = backoffMillis(attempt, minBackoffMillis, maxBackoffMillis, ThreadLocalRandom.current().nextDouble());
            log.warn("sink={} status=retry attempt={} backoff_ms={} batches={} events={} error=\"{}\"",
                    id, attempt, backoffMillis, batches.size(), countEvents(batches), o.error());
            if (o.cause() != null && log.isDebugEnabled()) {
                log.debug("sink={} status=retry attempt={} stack trace follows", id, attempt, o.cause());
            }
            if (!sleep(backoffMillis)) {
                return false;
            }
            Write again = issue(batches);
            if (!awaitDone(again)) {
                return false; // deadline passed while the write was in flight
            }
            o = outcome(again.result);
            if (o.error() == null) {
                resolve(batches, o.status());
                return true;
            }
        }
    }

    private void abandon(ArrayDeque<Write> inFlight) {
        log.warn("sink={} status=abandoned reason=shutdown_deadline queued_events={} writes_in_flight={}", id, queue.entries(),
                inFlight.size());
    }

    /**
     * Waits for a write issued by {@link #issue} (whose completion unparks this thread); stop
     * wakes us to re-check the deadline.
     *
     * @return false if the shutdown deadline passed first
     */
    private boolean awaitDone(Write w) {
        while (!w.result.isDone()) {
            long remaining = shutdown.remainingNanos(System.nanoTime());
            if (remaining <= 0) {
                return false;
            }
            LockSupport.parkNanos(this, Math.min(remaining, MAX_PARK_NANOS));
        }
        return true;
    }

    /** Sleeps the backoff; false when the shutdown deadline comes first. Woken early by stop. */
    private boolean sleep(long millis) {
        long wakeAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (;;) {
            long now = System.nanoTime();
            if (shutdown.remainingNanos(now) <= wakeAt - now) {
                return false; // the next attempt would start after the deadline
            }
            if (now - wakeAt >= 0) {
                return true;
            }
            LockSupport.parkNanos(this, Math.min(wakeAt - now, MAX_PARK_NANOS));
        }
    }

    private void resolve(List<Batch> batches, DeliveryStatus status) {
        long events = countEvents(batches);
        if (status == DeliveryStatus.DELIVERED) {
            eventsDelivered.add(events);
            lastDeliveryEpochSeconds = System.currentTimeMillis() / 1000;
        } else {
            eventsRejected.add(events);
            log.warn("sink={} status=rejected batches={} events={}", id, batches.size(), events);
        }
        lastError = status == DeliveryStatus.REJECTED ? "write rejected " + events + " events" : null;
        for (Batch b : batches) {
            complete(b, status);
        }
    }

    private void complete(Batch batch, DeliveryStatus status) {
        try {
            batch.ack().complete(status);
        } catch (RuntimeException e) {
            log.warn("sink={} status=ack_failed source={} error=\"{}\"", id, batch.sourceId(), e.toString(), e);
        }
    }

    private void awaitDrainQuietly() {
        while (!shutdown.isDraining()) {
            LockSupport.parkNanos(this, MAX_PARK_NANOS);
        }
    }

    private void closeSink() {
        try {
            sink.close();
        } catch (Throwable e) {
            log.warn("sink={} status=close_failed error=\"{}\"", id, e.toString(), e);
            if (lastError == null) {
                lastError = "close failed: " + e;
            }
            if (e instanceof VirtualMachineError) {
                throw (VirtualMachineError) e;
            }
        } finally {
            try {
                queue.close(); // a disk buffer persists what is staged and syncs its ledger
            } catch (RuntimeException e) {
                log.warn("sink={} status=buffer_close_failed error=\"{}\"", id, e.toString(), e);
            }
            closed = true;
            if (state != State.FAILED) {
                state = State.STOPPED;
            }
        }
    }

    private void fail(String what, Throwable e) {
        lastError = what + ": " + e;
        state = State.FAILED;
        log.error("sink={} status=failed reason=\"{}\" error=\"{}\"", id, what, e.toString(), e);
    }

    // ---- views for the pipeline --------------------------------------------------------------

    /** Wakes the runner thread wherever it parks (queue, write, backoff) so it re-reads the phase. */
    void wake() {
        LockSupport.unpark(thread);
    }

    /** Called (by stop) when the runner thread never ran: close on the caller's thread. */
    void closeUnstarted() {
        closeSink();
    }

    /** True when the buffer is empty and no write is in flight. */
    boolean isIdle() {
        return queue.isEmpty() && !busy; // order matters: counters first, then busy
    }

    boolean drained() {
        return drained;
    }

    boolean closed() {
        return closed;
    }

    SinkBuffer queue() {
        return queue;
    }

    ComponentStatus status() {
        Throwable broken = queue.failure();
        if (broken != null && state != State.FAILED) {
            return new ComponentStatus(id, Kind.SINK, type, State.FAILED, "buffer failed: " + broken, queue.entries(),
                    queue.bytes(), queue.condition());
        }
        String error = lastError;
        if (error == null && state == State.RUNNING) {
            error = sinkProblem();
        }
        return new ComponentStatus(id, Kind.SINK, type, state, error, queue.entries(), queue.bytes(), queue.condition());
    }

    private String sinkProblem() {
        try {
            return sink.problem();
        } catch (RuntimeException e) {
            return "problem() failed: " + e;
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** {@link Backoff#atLeastMin}: the delay before retry {@code attempt}. */
    static long backoffMillis(int attempt, long minMillis, long maxMillis, double random) {
        return Backoff.atLeastMin(attempt, minMillis, maxMillis, random);
    }

    private static long countEvents(List<Batch> batches) {
        long n = 0;
        for (Batch b : batches) {
            n += b.size();
        }
        return n;
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
