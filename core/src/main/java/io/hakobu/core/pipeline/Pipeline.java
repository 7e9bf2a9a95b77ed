package io.hakobu.core.pipeline;

import io.hakobu.core.checkpoint.CheckpointStore;
import io.hakobu.core.telemetry.Metrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running topology: sources, sinks, the bounded buffer in front of each sink, and the routes
 * between them.
 *
 * <h2>Data flow</h2>
 * Each source runs on its own thread ({@code hakobu-source-<id>}) and emits {@link Batch}es
 * through its {@link SourceContext}. An emit retains one share of the batch's {@link BatchAck}
 * per sink that takes the source as an input and offers the batch to each of those sinks' buffers
 * (limits from {@link BufferConfig}: a {@link BoundedBatchQueue} in memory, or a disk buffer whose
 * writer completes the share once the batch is fsynced, see {@link DiskSinkBuffer}) in the order
 * the sinks were added.
 * A full {@link WhenFull#BLOCK} buffer makes the emit wait, which pauses the source; a full
 * {@link WhenFull#DROP_NEWEST} buffer drops the batch for that sink, counted, and completes its
 * share as {@code REJECTED}. Each sink has a runner thread ({@code hakobu-sink-<id>}) that writes
 * what its buffer holds, in order, and completes the shares with the sink's final status,
 * retrying {@code ERRORED} writes with exponential backoff and jitter. A batch's ack therefore
 * completes once every sink it went to has delivered or rejected it; {@link OrderedAcker} turns
 * those completions into a checkpoint position.
 *
 * <h2>Lifecycle</h2>
 * {@link #start()} once, then {@link #stop(Duration)} (idempotent), from any thread but not from a
 * component's own thread (stop joins those threads); the two are serialised. Components are closed exactly once by {@code stop}, whether or not they started,
 * so {@code close()} must tolerate a component that never started or failed to start.
 *
 * <h2>Metrics</h2>
 * Per source ({@code Metrics.component(id, type)}): {@code events_out_total}, {@code bytes_out_total}.
 * Per sink: {@code events_in_total}, {@code bytes_in_total} (batches admitted to the buffer),
 * {@code events_delivered_total}, {@code events_rejected_total}, {@code retries_total},
 * {@code events_dropped_total{reason="buffer_full",intentional="true"}}, and the gauges
 * {@code buffer_events}, {@code buffer_bytes}, {@code last_delivery_timestamp_seconds}.
 *
 * <p>All threads are daemon threads: a component stuck past the shutdown deadline cannot keep the
 * JVM alive.
 */
public final class Pipeline {
    private static final Logger log = LoggerFactory.getLogger(Pipeline.class);

    /** Extra time {@link #stop} gives the sink runners after the deadline to call {@link Sink#close()}. */
    static final Duration CLOSE_ALLOWANCE = Duration.ofSeconds(5);

    private final List<SourceRunner> sources;
    private final List<SinkRunner> sinks;
    private final ShutdownSignal shutdown;
    private final CountDownLatch sourcesRunning;

    private boolean started;
    private Boolean stopResult;

    private Pipeline(List<SourceRunner> sources, List<SinkRunner> sinks, ShutdownSignal shutdown,
            CountDownLatch sourcesRunning) {
        this.sources = List.copyOf(sources);
        this.sinks = List.copyOf(sinks);
        this.shutdown = shutdown;
        this.sourcesRunning = sourcesRunning;
    }

    /** Starts describing a pipeline for this node. */
    public static Builder builder(NodeInfo node, Metrics metrics, CheckpointStore checkpoints) {
        return new Builder(node, metrics, checkpoints);
    }

    /**
     * Starts every sink runner, waits until each {@link Sink#start} returned, then starts one
     * thread per source. Blocks while a sink's {@code start} blocks.
     *
     * @throws IllegalStateException if already started, or if a sink's {@code start} threw (the
     *     cause); in that case the pipeline has been stopped and every component closed
     * @throws InterruptedException if interrupted while waiting for the sinks (the pipeline is stopped)
     */
    public synchronized void start() throws Exception {
        if (started || stopResult != null) {
            throw new IllegalStateException("pipeline already " + (stopResult != null ? "stopped" : "started"));
        }
        started = true;
        for (SinkRunner sink : sinks) {
            sink.thread.start();
        }
        Throwable failure = null;
        String failedId = null;
        try {
            for (SinkRunner sink : sinks) {
                try {
                    sink.started.get();
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause();
                        failedId = sink.id();
                    } else {
                        failure.addSuppressed(e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            stop(Duration.ZERO);
            throw e;
        }
        if (failure != null) {
            stop(Duration.ZERO);
            throw new IllegalStateException("sink " + failedId + " failed to start: " + failure, failure);
        }
        for (SourceRunner source : sources) {
            source.thread.start();
        }
        log.info("status=started sources={} sinks={}", sources.size(), sinks.size());
    }

    /**
     * Stops gracefully, in topology order, within {@code grace}:
     * <ol>
     *   <li>sources are asked to stop ({@link SourceContext#isStopping()}, {@link SourceContext#idle}
     *       returns, emits blocked on a full buffer return false) and their threads are joined;
     *       a source still running at the deadline is interrupted and left behind;</li>
     *   <li>sink runners write what their buffers hold until the buffers are empty or the
     *       deadline passes (a write or backoff still pending then is abandoned: its acks stay
     *       incomplete, so sources re-read those entries after a restart);</li>
     *   <li>each runner calls {@link Sink#close()} on its own thread (given up to
     *       {@link #CLOSE_ALLOWANCE} beyond the deadline);</li>
     *   <li>{@link Source#close()} is called for every source, on this thread, so sources persist
     *       checkpoints that include the acks completed while draining.</li>
     * </ol>
     * Idempotent: later calls return the first call's result at once. Never throws; component
     * failures are logged. Also valid before or without {@link #start()} (closes everything).
     *
     * @return true when every source returned and every buffer drained before the deadline
     */
    public synchronized boolean stop(Duration grace) {
        if (stopResult != null) {
            return stopResult;
        }
        long startNanos = System.nanoTime();
        long graceNanos = Math.max(0, saturatedNanos(grace));
        long deadline = startNanos + Math.min(graceNanos, Long.MAX_VALUE / 4);
        log.info("status=stopping grace_ms={}", TimeUnit.NANOSECONDS.toMillis(graceNanos));
        boolean clean = true;
        boolean interrupted = false;

        shutdown.beginStop(deadline);
        for (SinkRunner sink : sinks) {
            sink.wakeProducers();
            sink.wake(); // re-evaluate a pending backoff against the deadline
        }

        // (1) sources
        for (SourceRunner source : sources) {
            if (source.thread.getState() == Thread.State.NEW) {
                source.markFinished();
                continue;
            }
            try {
                if (!join(source.thread, deadline)) {
                    clean = false;
                    log.warn("source={} status=still_running reason=shutdown_deadline action=interrupt", source.id());
                    source.thread.interrupt();
                }
            } catch (InterruptedException e) {
                interrupted = true;
                clean = false;
            }
        }

        // (2) drain, (3) close sinks on their runner threads
        shutdown.beginDrain();
        sinks.forEach(SinkRunner::wake);
        long closeDeadline = deadline + CLOSE_ALLOWANCE.toNanos();
        for (SinkRunner sink : sinks) {
            if (sink.thread.getState() == Thread.State.NEW) {
                sink.closeUnstarted();
                continue;
            }
            try {
                if (!join(sink.thread, closeDeadline)) {
                    clean = false;
                    log.warn("sink={} status=still_running reason=close_deadline queued_events={}", sink.id(), sink.queue().entries());
                    continue;
                }
            } catch (InterruptedException e) {
                interrupted = true;
                clean = false;
                continue;
            }
            clean &= sink.drained();
        }

        // (4) sources persist what was acknowledged
        for (SourceRunner source : sources) {
            source.closeSource();
        }

        log.info("status=stopped drained={} elapsed_ms={}", clean,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
        stopResult = clean;
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return clean;
    }

    /** True once every source's {@link Source#run} has returned (or thrown), e.g. stdin at EOF. */
    public boolean sourcesFinished() {
        return sourcesRunning.getCount() == 0;
    }

    /** Waits until {@link #sourcesFinished()} (or until {@link #stop} gave up on the sources). */
    public void awaitSourcesFinished() throws InterruptedException {
        sourcesRunning.await();
    }

    /** As {@link #awaitSourcesFinished()}, at most {@code timeout}; returns whether they finished. */
    public boolean awaitSourcesFinished(Duration timeout) throws InterruptedException {
        return sourcesRunning.await(saturatedNanos(timeout), TimeUnit.NANOSECONDS);
    }

    /**
     * True when every sink buffer is empty and no write is in flight: everything emitted so far has
     * been resolved (a snapshot; an emit in progress is not seen). Any thread.
     */
    public boolean idle() {
        for (SinkRunner sink : sinks) {
            if (!sink.isIdle()) {
                return false;
            }
        }
        return true;
    }

    /** True once {@link #stop} has begun. */
    public boolean isStopping() {
        return shutdown.isStopping();
    }

    /** One entry per component: sources first, then sinks, each in the order they were added. */
    public List<ComponentStatus> status() {
        List<ComponentStatus> out = new ArrayList<>(sources.size() + sinks.size());
        for (SourceRunner source : sources) {
            out.add(source.status());
        }
        for (SinkRunner sink : sinks) {
            out.add(sink.status());
        }
        return out;
    }

    /** The ids of the sinks each source feeds, in fan-out order (for logs and {@code hakobu check}). */
    public Map<String, List<String>> routes() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (SourceRunner source : sources) {
            out.put(source.id(), source.routeIds());
        }
        return Collections.unmodifiableMap(out);
    }

    private static boolean join(Thread thread, long deadlineNanos) throws InterruptedException {
        long remaining = deadlineNanos - System.nanoTime();
        TimeUnit.NANOSECONDS.timedJoin(thread, remaining);
        return !thread.isAlive();
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /**
     * Describes the topology. Not thread-safe; use once. Ids are checked here as well as in the
     * config layer: duplicates and unknown inputs throw {@link IllegalArgumentException}.
     */
    public static final class Builder {
        private final NodeInfo node;
        private final Metrics metrics;
        private final CheckpointStore checkpoints;
        private final Map<String, SourceSpec> sources = new LinkedHashMap<>();
        private final Map<String, SinkSpec> sinks = new LinkedHashMap<>();
        private Duration minBackoff = Duration.ofMillis(100);
        private Duration maxBackoff = Duration.ofSeconds(30);

        private record SourceSpec(String id, String type, Source source) { }

        private record SinkSpec(String id, String type, Sink sink, List<String> inputs, BufferConfig buffer) { }

        private Builder(NodeInfo node, Metrics metrics, CheckpointStore checkpoints) {
            this.node = Objects.requireNonNull(node, "node");
            this.metrics = Objects.requireNonNull(metrics, "metrics");
            this.checkpoints = Objects.requireNonNull(checkpoints, "checkpoints");
        }

        /** Adds a source ({@code sources.<id>}). */
        public Builder addSource(String id, String type, Source source) {
            requireId(id);
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(source, "source");
            if (sources.putIfAbsent(id, new SourceSpec(id, type, source)) != null) {
                throw new IllegalArgumentException("duplicate source id '" + id + "'");
            }
            return this;
        }

        /**
         * Adds a sink ({@code sinks.<id>}) fed by the sources named in {@code inputs} (already
         * expanded by the config layer: an empty list means the sink receives nothing).
         */
        public Builder addSink(String id, String type, Sink sink, List<String> inputs, BufferConfig buffer) {
            requireId(id);
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(sink, "sink");
            Objects.requireNonNull(buffer, "buffer");
            List<String> in = List.copyOf(new LinkedHashSet<>(Objects.requireNonNull(inputs, "inputs")));
            if (sinks.putIfAbsent(id, new SinkSpec(id, type, sink, in, buffer)) != null) {
                throw new IllegalArgumentException("duplicate sink id '" + id + "'");
            }
            return this;
        }

        /** Retry backoff of sink writes: the first delay and the cap (default 100 ms and 30 s). */
        public Builder retryBackoff(Duration initial, Duration max) {
            if (initial.toMillis() < 1 || max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("need 1ms <= initial <= max: " + initial + ", " + max);
            }
            this.minBackoff = initial;
            this.maxBackoff = max;
            return this;
        }

        /**
         * Builds the pipeline; nothing runs until {@link Pipeline#start()}.
         *
         * @throws IllegalArgumentException if a sink names an unknown source
         */
        public Pipeline build() {
            ShutdownSignal shutdown = new ShutdownSignal();
            Map<String, List<SinkRunner>> routes = new LinkedHashMap<>();
            sources.keySet().forEach(id -> routes.put(id, new ArrayList<>()));
            List<SinkRunner> sinkRunners = new ArrayList<>();
            for (SinkSpec spec : sinks.values()) {
                for (String input : spec.inputs()) {
                    if (!sources.containsKey(input)) {
                        throw new IllegalArgumentException("sink '" + spec.id() + "' has unknown input '" + input
                                + "'; sources are " + sources.keySet());
                    }
                }
                SinkRunner runner = new SinkRunner(spec.id(), spec.type(), spec.sink(), spec.buffer(), node, checkpoints,
                        metrics.component(spec.id(), spec.type()), shutdown, minBackoff.toMillis(), maxBackoff.toMillis());
                sinkRunners.add(runner);
                spec.inputs().forEach(input -> routes.get(input).add(runner));
            }
            CountDownLatch sourcesRunning = new CountDownLatch(sources.size());
            List<SourceRunner> sourceRunners = new ArrayList<>();
            for (SourceSpec spec : sources.values()) {
                sourceRunners.add(new SourceRunner(spec.id(), spec.type(), spec.source(), node, checkpoints,
                        metrics.component(spec.id(), spec.type()), shutdown, routes.get(spec.id()), sourcesRunning));
            }
            return new Pipeline(sourceRunners, sinkRunners, shutdown, sourcesRunning);
        }

        private static void requireId(String id) {
            if (id == null || id.isEmpty()) {
                throw new IllegalArgumentException("component id must not be empty");
            }
        }
    }
}
