package io.hakobu.daemon.source.hakobu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hakobu.core.buffer.RecordCodec;
import io.hakobu.core.checkpoint.CheckpointStore;
import io.hakobu.core.pipeline.Batch;
import io.hakobu.core.pipeline.BatchAck;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Source;
import io.hakobu.core.pipeline.SourceContext;
import io.hakobu.core.telemetry.ComponentMetrics;
import io.hakobu.core.telemetry.Counter;
import io.hakobu.protocol.BatchPayload;
import io.hakobu.protocol.ForwardServer;
import io.hakobu.protocol.Frame;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code type: hakobu}: the aggregator end of the native protocol.
 *
 * <h2>Threads and data flow</h2>
 * <ol>
 *   <li>Event loops ({@link ForwardServer}) decompress each BATCH and check every record as
 *       decoding would ({@link BatchPayload#check}: a malformed one is BAD_PAYLOAD), and decide,
 *       per stream (agent node + the agent's stream id), whether it is new: records at or below
 *       the stream's <em>accepted</em> mark were already taken (committed, or in flight on an
 *       older connection) and are not taken again. New records become one {@link Batch} in the
 *       handoff ({@link Batch#received}), whose streams take the origin
 *       {@code <agent node>/<agent source>/}: disk buffers store the records byte for byte under
 *       a new header that says so, and the entries are decoded only for a sink that asks for
 *       them (a file sink writing NDJSON never does).</li>
 *   <li>The source thread ({@link #run}) emits the handoff's batches into the pipeline; emit blocks
 *       while a sink's buffer is full.</li>
 *   <li>When a batch's {@link BatchAck} completes (every routed sink's disk buffer fsynced it), the
 *       stream's <em>durable</em> mark advances over the completed prefix.</li>
 *   <li>The committer thread saves every stream's durable mark in one checkpoint
 *       ({@code checkpoints/source-<id>.json}, atomic, fsynced) and only then sends the cumulative
 *       ACKs (group commit: one save covers every completion since the last one).</li>
 * </ol>
 *
 * <h2>Backpressure</h2>
 * The handoff is bounded by {@code max_pending_bytes}: above it the connection that added a batch
 * stops reading (auto-read off) until the handoff is below half of it. It can exceed the bound by
 * what paused connections had already read (one socket read and one frame each).
 */
final class HakobuSource implements Source, ForwardServer.Handler {
    private static final Logger log = LoggerFactory.getLogger(HakobuSource.class);
    private static final int STATE_VERSION = 1;
    /** Streams not written for this long are forgotten (an agent that comes back starts a new epoch or resends harmlessly). */
    private static final long FORGET_AFTER_MILLIS = TimeUnit.DAYS.toMillis(30);

    private final String id;
    private final HakobuSourceConfig config;
    private final NodeInfo node;
    private final Map<String, Stream> streams = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<Batch> handoff = new LinkedBlockingQueue<>(); // bounded by bytes: see class doc
    private final AtomicLong pendingBytes = new AtomicLong();
    private final Set<ForwardServer.Connection> paused = ConcurrentHashMap.newKeySet();
    private final ThreadLocal<BatchPayload> payloads = ThreadLocal.withInitial(BatchPayload::new);
    private final Object commitLock = new Object();
    private final Set<Stream> dirty = new LinkedHashSet<>(); // guarded by commitLock
    private volatile boolean committerStop;
    private Thread committer;
    private CheckpointStore checkpoints;
    private ForwardServer server;

    private Counter eventsIn;
    private Counter batchesIn;
    private Counter duplicateBatches;
    private Counter duplicateEvents;
    private Counter readsPaused;
    private Counter checkpointFailures;
    private Counter checkpointSaves;

    /** Per stream state; every field guarded by the object's monitor. */
    static final class Stream {
        final String key;
        final String node;
        final String stream;
        /** Saved in the checkpoint and acknowledged. */
        long committed;
        /** Highest record taken into the pipeline. */
        long accepted;
        /** Highest record such that it and everything before it is durable in every sink. */
        long durable;
        long lastUsedMillis;
        final ArrayDeque<Piece> inflight = new ArrayDeque<>();
        final List<Waiter> waiters = new ArrayList<>();
        ForwardServer.Connection conn;

        Stream(String key, String node, String stream, long committed) {
            this.key = key;
            this.node = node;
            this.stream = stream;
            this.committed = committed;
            this.accepted = committed;
            this.durable = committed;
            this.lastUsedMillis = System.currentTimeMillis();
        }
    }

    static final class Piece {
        final long lastSeq;
        boolean done;

        Piece(long lastSeq) {
            this.lastSeq = lastSeq;
        }
    }

    record Waiter(ForwardServer.Connection conn, long seq) { }

    HakobuSource(String id, HakobuSourceConfig config, NodeInfo node) {
        this.id = id;
        this.config = config;
        this.node = node;
    }

    private static String key(String node, String stream) {
        return node + '\u0000' + stream;
    }

    @Override
    public void run(SourceContext ctx) throws Exception {
        ComponentMetrics m = ctx.metrics();
        eventsIn = m.counter("events_received_total");
        batchesIn = m.counter("batches_received_total");
        duplicateBatches = m.counter("batches_duplicate_total");
        duplicateEvents = m.counter("events_duplicate_total");
        readsPaused = m.counter("reads_paused_total");
        checkpointFailures = m.counter("checkpoint_failures_total");
        checkpointSaves = m.counter("checkpoint_saves_total");
        m.gauge("pending_bytes", pendingBytes::get);
        m.gauge("streams", () -> streams.size());
        checkpoints = ctx.checkpoints();
        load();
        committer = new Thread(this::commitLoop, "hakobu-" + id + "-commit");
        committer.setDaemon(true);
        committer.start();
        server = new ForwardServer(new ForwardServer.Settings(id, config.host(), config.port(), node.name(), config.token(), config.ssl(),
                config.maxFrameBytes(), config.idleTimeoutMillis(), config.ioThreads()), this, m);
        try {
            server.start();
            while (!ctx.isStopping()) {
                Batch b = handoff.poll(100, TimeUnit.MILLISECONDS);
                if (b == null) {
                    continue;
                }
                boolean taken = ctx.emit(b);
                release(b.bytes());
                if (!taken) {
                    break; // stopping: the batch is never acknowledged, the agent sends it again
                }
            }
        } finally {
            server.close();
            int left = handoff.size();
            handoff.clear();
            if (left > 0) {
                log.info("source={} event=stopped unemitted_batches={} (agents send them again)", id, left);
            }
        }
    }

    private void release(long bytes) {
        long now = pendingBytes.addAndGet(-bytes);
        if (now <= config.maxPendingBytes() / 2 && !paused.isEmpty()) {
            for (Iterator<ForwardServer.Connection> it = paused.iterator(); it.hasNext();) {
                ForwardServer.Connection c = it.next();
                it.remove();
                c.resumeReading();
            }
        }
    }

    // ---- event loop side ---------------------------------------------------------------------

    @Override
    public void onBatch(ForwardServer.Connection conn, Frame.Batch frame) {
        batchesIn.inc();
        String k = key(conn.node(), frame.stream());
        Stream st = streams.computeIfAbsent(k, x -> new Stream(x, conn.node(), frame.stream(), -1));
        Batch batch;
        synchronized (st) {
            st.conn = conn;
            st.lastUsedMillis = System.currentTimeMillis();
            if (frame.lastSeq() <= st.committed) {
                duplicateBatches.inc();
                duplicateEvents.add(frame.entries());
                conn.send(new Frame.Ack(st.stream, st.committed));
                server.ackSent();
                return;
            }
            if (frame.lastSeq() <= st.accepted) {
                duplicateBatches.inc();
                duplicateEvents.add(frame.entries());
                st.waiters.add(new Waiter(conn, frame.lastSeq()));
                return;
            }
            // checked as decoding would, without making entries: the disk buffers store the records
            // as they are, and sinks that want entries decode them (Batch.entries)
            List<BatchPayload.Record> records = payloads.get().check(frame, config.maxRawBytes()); // throws ProtocolException
            List<RecordCodec.Region> regions = new ArrayList<>(records.size());
            long entries = 0;
            long skipped = 0;
            long fields = 0;
            String prefix = conn.node() + "/";
            for (BatchPayload.Record r : records) {
                if (r.seq() <= st.accepted) {
                    skipped += r.size();
                    continue;
                }
                // every stream of the record is renamed <agent node>/<agent source>/<stream>
                regions.add(new RecordCodec.Region(r.raw(), r.rawOffset(), r.rawLength(), prefix + r.sourceId() + "/"));
                entries += r.size();
                fields += r.fields();
            }
            if (skipped > 0) {
                duplicateEvents.add(skipped);
            }
            Piece piece = new Piece(frame.lastSeq());
            st.accepted = frame.lastSeq();
            st.inflight.add(piece);
            eventsIn.add(entries);
            BatchAck ack = new BatchAck(status -> completed(st, piece));
            batch = Batch.received(id, heapBytes(frame.rawLength(), entries, fields), ack, regions);
        }
        handoff.add(batch);
        if (pendingBytes.addAndGet(batch.bytes()) > config.maxPendingBytes()) {
            // pause first, then publish: a release() that takes the connection out of the set
            // after this point always finds it paused and resumes it
            conn.pauseReading();
            if (paused.add(conn)) {
                readsPaused.inc();
            }
            if (pendingBytes.get() <= config.maxPendingBytes() / 2 && paused.remove(conn)) {
                conn.resumeReading(); // the emitter drained it meanwhile
            }
        }
    }

    /** Per decoded entry on top of its share of the frame's bytes: the entry object and its field arrays. */
    static final int ENTRY_HEAP_BYTES = 96;
    static final int FIELD_HEAP_BYTES = 16;

    /**
     * The heap a batch holds once its entries are decoded (they may be, by any sink that asks):
     * the decompressed frame they are slices of, plus each entry's object and arrays (for a
     * 22-field nginx entry about 450 bytes: the object and its arrays of names, values and slice
     * bounds). Every bound downstream (this source's {@code max_pending_bytes}, the buffers'
     * staging and memory cache) counts batches by this.
     */
    static long heapBytes(int rawLength, long entries, long fields) {
        return rawLength + ENTRY_HEAP_BYTES * entries + FIELD_HEAP_BYTES * fields;
    }

    @Override
    public void onClosed(ForwardServer.Connection conn) {
        paused.remove(conn);
    }

    // ---- acknowledgements --------------------------------------------------------------------

    /** A batch's acknowledgement completed (any status is final here: the pipeline resolved it). */
    private void completed(Stream st, Piece piece) {
        synchronized (st) {
            piece.done = true;
            while (!st.inflight.isEmpty() && st.inflight.peekFirst().done) {
                st.durable = st.inflight.pollFirst().lastSeq;
            }
        }
        synchronized (commitLock) {
            dirty.add(st);
            commitLock.notifyAll();
        }
    }

    private void commitLoop() {
        long backoff = 100;
        for (;;) {
            List<Stream> batch;
            synchronized (commitLock) {
                while (dirty.isEmpty() && !committerStop) {
                    try {
                        commitLock.wait(1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (dirty.isEmpty()) {
                    return; // stopping and nothing left
                }
                batch = new ArrayList<>(dirty);
                dirty.clear();
            }
            try {
                commit(batch);
                backoff = 100;
            } catch (IOException | RuntimeException e) {
                checkpointFailures.inc();
                log.error("source={} event=checkpoint_failed error=\"{}\" action=retry (acknowledgements wait)", id, e.toString());
                synchronized (commitLock) {
                    dirty.addAll(batch);
                }
                if (committerStop) {
                    return;
                }
                try {
                    Thread.sleep(backoff); // retry pacing after an I/O error, not a wait for a condition
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = Math.min(5000, backoff * 2);
            }
        }
    }

    /** Saves every stream's durable mark, then acknowledges what became committed. */
    private void commit(List<Stream> changed) throws IOException {
        long now = System.currentTimeMillis();
        ObjectNode state = checkpoints.json().createObjectNode();
        state.put("state_version", STATE_VERSION);
        ArrayNode arr = state.putArray("streams");
        List<Stream> snapshot = new ArrayList<>(streams.values());
        for (Stream st : snapshot) {
            long durable;
            synchronized (st) {
                durable = st.durable;
                if (now - st.lastUsedMillis > FORGET_AFTER_MILLIS && st.inflight.isEmpty() && st.waiters.isEmpty()) {
                    streams.remove(st.key, st);
                    continue;
                }
            }
            if (durable < 0) {
                continue;
            }
            ObjectNode o = arr.addObject();
            o.put("node", st.node);
            o.put("stream", st.stream);
            o.put("seq", durable);
            o.put("last_used_ms", st.lastUsedMillis);
        }
        checkpoints.save(checkpointName(), state);
        checkpointSaves.inc();
        for (Stream st : changed) {
            synchronized (st) {
                if (st.durable > st.committed) {
                    st.committed = st.durable;
                }
                ForwardServer.Connection c = st.conn;
                if (c != null && c.isOpen()) {
                    c.send(new Frame.Ack(st.stream, st.committed));
                    server.ackSent();
                }
                for (Iterator<Waiter> it = st.waiters.iterator(); it.hasNext();) {
                    Waiter w = it.next();
                    if (w.seq() <= st.committed) {
                        it.remove();
                        if (w.conn() != c && w.conn().isOpen()) {
                            w.conn().send(new Frame.Ack(st.stream, st.committed));
                            server.ackSent();
                        }
                    } else if (!w.conn().isOpen()) {
                        it.remove();
                    }
                }
            }
        }
    }

    private String checkpointName() {
        return "source-" + id;
    }

    private void load() throws IOException {
        JsonNode state = checkpoints.load(checkpointName());
        if (state == null) {
            return;
        }
        int version = state.path("state_version").asInt(-1);
        if (version != STATE_VERSION) {
            throw new IOException("checkpoint " + checkpointName() + " has state_version " + version + "; this hakobu reads " + STATE_VERSION);
        }
        for (JsonNode o : state.path("streams")) {
            String n = o.path("node").asText();
            String s = o.path("stream").asText();
            long seq = o.path("seq").asLong(-1);
            Stream st = new Stream(key(n, s), n, s, seq);
            st.lastUsedMillis = o.path("last_used_ms").asLong(System.currentTimeMillis());
            streams.put(st.key, st);
        }
        log.info("source={} event=checkpoint_loaded streams={}", id, streams.size());
    }

    @Override
    public void close() throws Exception {
        Thread c = committer;
        if (c != null) {
            committerStop = true;
            synchronized (commitLock) {
                commitLock.notifyAll();
            }
            c.join(TimeUnit.SECONDS.toMillis(10));
        }
    }
}
