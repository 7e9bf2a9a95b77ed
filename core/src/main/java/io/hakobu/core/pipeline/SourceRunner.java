package io.hakobu.core.pipeline;

import io.hakobu.core.checkpoint.CheckpointStore;
import io.hakobu.core.pipeline.ComponentStatus.Kind;
import io.hakobu.core.pipeline.ComponentStatus.State;
import io.hakobu.core.telemetry.ComponentMetrics;
import io.hakobu.core.telemetry.Counter;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns one source: its thread ({@code hakobu-source-<id>}), on which {@link Source#run} is called
 * once, and its {@link SourceContext}, which routes emitted batches to the sinks that take this
 * source as an input (fan-out in the order the sinks were added).
 *
 * <p>{@link #emit} is thread-safe; a source may emit from helper threads as well.
 */
final class SourceRunner implements SourceContext, Runnable {
    private static final Logger log = LoggerFactory.getLogger(SourceRunner.class);

    private final String id;
    private final String type;
    private final Source source;
    private final NodeInfo node;
    private final CheckpointStore checkpoints;
    private final ComponentMetrics metrics;
    private final ShutdownSignal shutdown;
    private final List<SinkRunner> routes;
    private final CountDownLatch sourcesRunning;
    private final Counter eventsOut;
    private final Counter bytesOut;

    final Thread thread;
    private final AtomicBoolean finished = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile State state = State.STARTING;
    private volatile String lastError;

    SourceRunner(String id, String type, Source source, NodeInfo node, CheckpointStore checkpoints,
            ComponentMetrics metrics, ShutdownSignal shutdown, List<SinkRunner> routes, CountDownLatch sourcesRunning) {
        this.id = id;
        this.type = type;
        this.source = source;
        this.node = node;
        this.checkpoints = checkpoints;
        this.metrics = metrics;
        this.shutdown = shutdown;
        this.routes = List.copyOf(routes);
        this.sourcesRunning = sourcesRunning;
        this.eventsOut = metrics.counter("events_out_total");
        this.bytesOut = metrics.counter("bytes_out_total");
        this.thread = new Thread(this, "hakobu-source-" + id);
        this.thread.setDaemon(true);
    }

    // ---- SourceContext -----------------------------------------------------------------------

    @Override
    public String id() {
        return id;
    }

    @Override
    public NodeInfo node() {
        return node;
    }

    /**
     * Retains one share of the batch's ack per routed sink, offers the batch to each sink in
     * turn, and completes the caller's own share once every sink took (or dropped) it, so the ack
     * completes when the last sink resolves its share. Routed nowhere: completes as DELIVERED.
     */
    @Override
    public boolean emit(Batch batch) throws InterruptedException {
        Objects.requireNonNull(batch, "batch");
        eventsOut.add(batch.size());
        bytesOut.add(batch.bytes());
        BatchAck ack = batch.ack();
        if (routes.isEmpty()) {
            ack.complete(DeliveryStatus.DELIVERED);
            return true;
        }
        ack.retain(routes.size());
        for (SinkRunner sink : routes) {
            if (!sink.accept(batch, this)) {
                // Stopping while blocked: the caller's share and those of the sinks not reached
                // stay open, so the ack never completes and the source never checkpoints past it.
                return false;
            }
        }
        ack.complete(DeliveryStatus.DELIVERED); // the caller's share
        return true;
    }

    @Override
    public boolean isStopping() {
        return shutdown.isStopping();
    }

    @Override
    public void idle(long millis) throws InterruptedException {
        if (millis > 0) {
            shutdown.awaitStop(millis);
        }
    }

    @Override
    public CheckpointStore checkpoints() {
        return checkpoints;
    }

    @Override
    public ComponentMetrics metrics() {
        return metrics;
    }

    // ---- runner thread -----------------------------------------------------------------------

    @Override
    public void run() {
        state = State.RUNNING;
        try {
            source.run(this);
            state = State.STOPPED;
            log.info("source={} status=finished stopping={}", id, shutdown.isStopping());
        } catch (InterruptedException e) {
            if (shutdown.isStopping()) {
                state = State.STOPPED;
                log.info("source={} status=interrupted", id);
            } else {
                fail(e);
            }
        } catch (Throwable e) {
            fail(e);
            if (e instanceof VirtualMachineError) {
                throw (VirtualMachineError) e;
            }
        } finally {
            markFinished();
        }
    }

    private void fail(Throwable e) {
        lastError = e.toString();
        state = State.FAILED;
        log.error("source={} status=failed error=\"{}\"", id, e.toString(), e);
    }

    // ---- views for the pipeline --------------------------------------------------------------

    /** Counts this source as finished (once), whether its run returned or it never started. */
    void markFinished() {
        if (finished.compareAndSet(false, true)) {
            sourcesRunning.countDown();
        }
    }

    boolean isFinished() {
        return finished.get();
    }

    /** Calls {@link Source#close()} once; logs and swallows what it throws. */
    void closeSource() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            source.close();
        } catch (Throwable e) {
            log.warn("source={} status=close_failed error=\"{}\"", id, e.toString(), e);
            if (lastError == null) {
                lastError = "close failed: " + e;
            }
            if (e instanceof VirtualMachineError) {
                throw (VirtualMachineError) e;
            }
        }
        if (state != State.FAILED) {
            state = State.STOPPED;
        }
    }

    List<String> routeIds() {
        return routes.stream().map(SinkRunner::id).toList();
    }

    ComponentStatus status() {
        return new ComponentStatus(id, Kind.SOURCE, type, state, lastError, 0, 0);
    }
}
