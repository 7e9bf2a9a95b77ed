package io.hakobu.core.pipeline;

import io.hakobu.core.buffer.DiskBuffer;
import io.hakobu.core.buffer.RecordCodec;
import io.hakobu.core.codec.ByteBuilder;
import io.hakobu.core.event.LogEntry;
import io.hakobu.core.telemetry.ComponentMetrics;
import io.hakobu.core.telemetry.Counter;
import io.hakobu.core.telemetry.LogLimiter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code buffer.type: disk}: a {@link DiskBuffer} between the sources and the sink.
 *
 * <h2>Write path (group commit)</h2>
 * Sources offer batches to a small staging {@link BoundedBatchQueue} (the when-full policy applies
 * there, so a full disk buffer pauses sources exactly like a full memory buffer), encoded into
 * record payloads on their own threads as they offer them ({@link Batch#encodeAhead}). The
 * buffer's writer thread ({@code hakobu-buffer-<id>}) takes everything staged, copies the records
 * under their headers (or encodes batches that were not encoded ahead), writes them with one
 * system call, and fsyncs once for the whole group ({@code fsync: always}) or
 * when the interval has passed (sooner once what it wrote and holds unsynced reaches
 * {@link #UNSYNCED_BYTES}); only then does it complete the sources' acknowledgements. The more
 * sources wait, the larger the group: fsync cost is shared.
 *
 * <h2>Read path</h2>
 * The sink runner reads records back in order. While it keeps up, it takes the batches the writer
 * just wrote from a bounded in-memory "hot" queue instead of reading and decoding them from disk;
 * when it falls behind (the hot queue is full, or after a restart) it reads the files. A sink that
 * {@linkplain Sink#acceptsEncoded() takes records encoded} always reads the files (from the page
 * cache, without decoding), and nothing is cached for it. Each batch handed to the sink carries an
 * acknowledgement that advances the buffer's ledger.
 *
 * <h2>When full</h2>
 * When the segment files reach {@code max_bytes}, {@code block} stops the writer (staging fills and
 * sources pause) until the sink's acknowledgements free a segment; {@code drop_newest} drops the
 * batches that do not fit, counted with {@code reason="buffer_full"}. A write or fsync that fails
 * (the disk is full: ENOSPC, or another I/O error) always behaves like {@code block}: the writer
 * logs the error, reports it as the sink's condition in {@code /health}, and retries with backoff
 * until the disk accepts the write again.
 */
final class DiskSinkBuffer implements SinkBuffer {
    private static final Logger log = LoggerFactory.getLogger(DiskSinkBuffer.class);
    private static final int GROUP_BATCHES = 256;
    /** Estimated bytes per group: bounds the writer's encoding buffer (a few MiB) and the latency of a group. */
    private static final long GROUP_BYTES = 4L << 20;
    /**
     * The cache of batches just written: a sixteenth of the heap, 1 to 32 MiB. A sink that lags
     * further than this reads from the files and decodes what it reads, which costs it more CPU
     * just when it is behind; sinks that take records encoded (the hakobu sink, an NDJSON file
     * sink) skip the cache and the decoding altogether.
     */
    private static final long HOT_BYTES = BufferConfig.sixteenthOfHeap(32L << 20);
    /**
     * With an interval {@code fsync}, the most (estimated) bytes of batches written and not yet
     * synced: the writer must hold them until they are durable (a failed fsync writes them again),
     * so it syncs early when they reach this, as much as staging holds. Without the bound an agent
     * with a 48 MiB heap ran out of it under load ({@code fsync: 200ms}: 200 ms of entries).
     */
    static final long UNSYNCED_BYTES = BufferConfig.STAGING_BYTES;
    private static final int HOT_BATCHES = 256;
    /** The largest buffer kept for encoding ahead (a batch's records are usually a few hundred KB). */
    private static final int MAX_POOLED_AHEAD = 1 << 20;
    private static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long MIN_RETRY_MILLIS = 100;
    private static final long MAX_RETRY_MILLIS = 5000;

    private final String id;
    private final BufferConfig config;
    private final Path dir;
    private final ShutdownSignal shutdown;
    private final BoundedBatchQueue staging;
    private final Thread writer;
    private volatile DiskBuffer disk;

    private record Hot(Batch batch, DiskBuffer.Appended at) { }

    /** {@link #appendWithRetry} refused the batch (and completed its share). */
    private static final DiskBuffer.Appended REFUSED = new DiskBuffer.Appended(-1, -1, 0);

    private final ConcurrentLinkedQueue<Hot> hot = new ConcurrentLinkedQueue<>();
    private final AtomicLong hotBytes = new AtomicLong();
    private final AtomicLong hotCount = new AtomicLong();
    /**
     * Hand records read from disk over still encoded (see {@link Sink#acceptsEncoded()}); set by
     * the reader, read by the writer (which then caches nothing).
     */
    private volatile boolean readEncoded;
    private final Counter fullPauses;
    /** {@code event=buffer_full} at warn level at most once a minute. */
    private final LogLimiter fullWarnings = new LogLimiter(1, TimeUnit.MINUTES);
    /**
     * Buffers that batches were encoded ahead into, for the next ones (a fresh array of about
     * 300 KB per batch tripled the agent's collector time): at most {@link BufferConfig#STAGING_BYTES}
     * in all (about what staging holds), none larger than {@link #MAX_POOLED_AHEAD}.
     */
    private final ArrayBlockingQueue<ByteBuilder> aheadPool = new ArrayBlockingQueue<>(32);
    private final AtomicLong aheadPooled = new AtomicLong();
    private final Supplier<ByteBuilder> takeAhead = this::takeAheadBuffer;
    private final Consumer<ByteBuilder> giveAhead = this::giveAheadBuffer;

    private volatile Thread parkedReader;
    private volatile boolean writerBusy;
    private volatile String condition;
    private volatile Throwable failure;

    private final Counter fsyncs;
    private final Counter recordsWritten;
    private final Counter bytesWritten;
    private final Counter writeErrors;
    private final Counter dropped;
    private final Counter tooLarge;
    private final Counter readFromDisk;
    private final Counter readFromMemory;
    private final Counter corruptRecords;
    private final Counter tornBytes;
    private final Counter quarantined;

    DiskSinkBuffer(String id, BufferConfig config, Path dir, ShutdownSignal shutdown, ComponentMetrics metrics) {
        this.id = id;
        this.config = config;
        this.dir = dir;
        this.shutdown = shutdown;
        this.staging = new BoundedBatchQueue(config.maxEvents(), Math.min(BufferConfig.STAGING_BYTES, config.maxBytes()));
        this.fsyncs = metrics.counter("buffer_fsyncs_total");
        this.recordsWritten = metrics.counter("buffer_records_written_total");
        this.bytesWritten = metrics.counter("buffer_written_bytes_total");
        this.writeErrors = metrics.counter("buffer_write_errors_total");
        this.dropped = metrics.counter("events_dropped_total", "reason", "buffer_full", "intentional", "true");
        this.fullPauses = metrics.counter("buffer_full_pauses_total");
        this.tooLarge = metrics.counter("events_dropped_total", "reason", "too_large", "intentional", "false");
        this.readFromDisk = metrics.counter("buffer_batches_read_total", "from", "disk");
        this.readFromMemory = metrics.counter("buffer_batches_read_total", "from", "memory");
        this.corruptRecords = metrics.counter("buffer_corrupt_records_total");
        this.tornBytes = metrics.counter("buffer_torn_bytes_total");
        this.quarantined = metrics.counter("buffer_quarantined_segments_total");
        metrics.gauge("buffer_disk_bytes", () -> disk == null ? 0 : disk.diskBytes());
        metrics.gauge("buffer_max_bytes", config::maxBytes);
        metrics.gauge("buffer_segments", () -> disk == null ? 0 : disk.segmentCount());
        metrics.gauge("buffer_staging_events", staging::entries);
        metrics.gauge("buffer_disk_full", () -> condition != null ? 1 : 0);
        this.writer = new Thread(this::writeLoop, "hakobu-buffer-" + id);
        this.writer.setDaemon(true);
    }

    @Override
    public void open() throws IOException {
        DiskBuffer d = DiskBuffer.open(dir, new DiskBuffer.Options(config.maxBytes(), config.segmentBytes()));
        DiskBuffer.Recovery r = d.recovery();
        for (String p : r.problems()) {
            log.warn("sink={} event=buffer_recovery dir={} problem=\"{}\"", id, dir, p);
        }
        tornBytes.add(r.tornTailBytes());
        quarantined.add(r.quarantinedSegments());
        corruptRecords.add(r.missingRecords());
        if (r.quarantinedSegments() > 0 || r.missingRecords() > 0) {
            log.error("sink={} event=buffer_damaged dir={} quarantined_segments={} lost_records={} damaged_bytes={} "
                    + "hint=\"inspect with: hakobu buffer verify|dump|replay\"", id, dir, r.quarantinedSegments(),
                    r.missingRecords(), r.damagedBytes());
        }
        log.info("sink={} event=buffer_open dir={} segments={} unacked_events={} disk_bytes={} max_bytes={} fsync={}", id, dir,
                r.segments(), d.unackedEntries(), d.diskBytes(), config.maxBytes(),
                config.fsyncInterval().isZero() ? "always" : config.fsyncInterval().toMillis() + "ms");
        disk = d;
        writer.start();
    }

    // ---- producers ---------------------------------------------------------------------------

    /**
     * Stages a batch; its entries are encoded into records here, on the source's thread (see
     * {@link DiskBuffer#encodeAhead}), so that the writer only copies them.
     */
    @Override
    public boolean offer(Batch batch) {
        batch.encodeAhead(takeAhead, giveAhead);
        return staging.offer(batch);
    }

    @Override
    public boolean offer(Batch batch, long timeout, TimeUnit unit, BooleanSupplier giveUp) throws InterruptedException {
        batch.encodeAhead(takeAhead, giveAhead);
        return staging.offer(batch, timeout, unit, giveUp);
    }

    /** A buffer to encode a batch ahead into: a pooled one if there is one. Any thread. */
    private ByteBuilder takeAheadBuffer() {
        ByteBuilder b = aheadPool.poll();
        if (b == null) {
            return new ByteBuilder(64 * 1024);
        }
        aheadPooled.addAndGet(-b.array().length);
        return b;
    }

    /** Keeps a buffer a batch was encoded ahead into, within the pool's bounds (else the collector takes it). Writer thread. */
    private void giveAheadBuffer(ByteBuilder b) {
        int capacity = b.array().length;
        if (capacity <= MAX_POOLED_AHEAD && aheadPooled.get() + capacity <= BufferConfig.STAGING_BYTES && aheadPool.offer(b)) {
            aheadPooled.addAndGet(capacity);
        }
    }

    @Override
    public void wakeProducers() {
        staging.wakeProducers();
        LockSupport.unpark(writer);
    }

    // ---- writer thread -----------------------------------------------------------------------

    private void writeLoop() {
        List<Batch> group = new ArrayList<>();
        List<Hot> written = new ArrayList<>();
        List<Hot> unsynced = new ArrayList<>();
        long lastSync = System.nanoTime();
        long intervalNanos = config.fsyncInterval().toNanos();
        DiskBuffer d = disk;
        try {
            for (;;) {
                writerBusy = true;
                if (staging.drainTo(group, GROUP_BATCHES, GROUP_BYTES) == 0) {
                    if (!unsynced.isEmpty() && (intervalNanos == 0 || System.nanoTime() - lastSync >= intervalNanos
                            || shutdown.isDraining())) {
                        if (!syncWithRetry(d, unsynced)) {
                            return;
                        }
                        lastSync = System.nanoTime();
                        synced(unsynced);
                    }
                    writerBusy = false;
                    if (shutdown.isDraining() && staging.isEmpty() && unsynced.isEmpty()) {
                        return;
                    }
                    long park = MAX_PARK_NANOS;
                    if (!unsynced.isEmpty()) {
                        park = Math.max(1, Math.min(park, intervalNanos - (System.nanoTime() - lastSync)));
                    }
                    staging.awaitNotEmpty(park, TimeUnit.NANOSECONDS);
                    continue;
                }
                for (Batch b : group) {
                    if (!waitForSpace(d, b, written, unsynced)) {
                        if (config.whenFull() == WhenFull.DROP_NEWEST && !shutdown.deadlinePassed(System.nanoTime())) {
                            dropped.add(b.size());
                            b.ack().complete(DeliveryStatus.REJECTED);
                            continue;
                        }
                        return; // the shutdown deadline passed while waiting: leave the rest unacknowledged
                    }
                    DiskBuffer.Appended at = appendWithRetry(d, b, true);
                    if (at == null) {
                        return;
                    }
                    if (at != REFUSED) {
                        written.add(new Hot(b, at));
                    }
                }
                group.clear();
                if (!flushAndPublish(d, written, unsynced)) {
                    return;
                }
                if (intervalNanos == 0 || System.nanoTime() - lastSync >= intervalNanos || bytes(unsynced) >= UNSYNCED_BYTES) {
                    if (!syncWithRetry(d, unsynced)) {
                        return;
                    }
                    lastSync = System.nanoTime();
                    synced(unsynced);
                }
            }
        } catch (Throwable e) {
            failure = e;
            condition = "buffer writer failed: " + e;
            log.error("sink={} event=buffer_writer_failed dir={} error=\"{}\"", id, dir, e.toString(), e);
            if (e instanceof VirtualMachineError) {
                throw (VirtualMachineError) e;
            }
        } finally {
            writerBusy = false;
            LockSupport.unpark(parkedReader);
        }
    }

    private static long bytes(List<Hot> batches) {
        long n = 0;
        for (Hot h : batches) {
            n += h.batch().bytes();
        }
        return n;
    }

    /**
     * Waits until {@code b} fits under {@code max_bytes}. Flushes and syncs what this group wrote so
     * far first, so that acknowledgements keep flowing while we wait.
     *
     * @return true when it fits; false for drop_newest (it does not fit now) or when the shutdown
     *     deadline passed
     */
    private boolean waitForSpace(DiskBuffer d, Batch b, List<Hot> written, List<Hot> unsynced) throws InterruptedException {
        boolean waited = false;
        for (;;) {
            long used = d.diskBytes() + d.pendingBytes();
            if (used + b.bytes() <= config.maxBytes() || d.unackedBytes() == 0 && d.pendingBytes() == 0 && written.isEmpty()) {
                if (waited) {
                    log.info("sink={} event=buffer_space_available disk_bytes={} max_bytes={}", id, d.diskBytes(), config.maxBytes());
                }
                return true;
            }
            if (d.fullyAcked() && d.pendingBytes() == 0 && written.isEmpty()) {
                try {
                    d.roll(); // the active segment holds only acknowledged records: let it go
                } catch (IOException e) {
                    log.warn("sink={} event=buffer_roll_failed error=\"{}\"", id, e.toString());
                }
                if (d.diskBytes() + b.bytes() <= config.maxBytes()) {
                    continue;
                }
            }
            if (config.whenFull() == WhenFull.DROP_NEWEST) {
                return false;
            }
            if (!written.isEmpty() || d.pendingBytes() > 0) {
                if (!flushAndPublish(d, written, unsynced) || !syncWithRetry(d, unsynced)) {
                    return false;
                }
                synced(unsynced);
                continue;
            }
            if (!waited) {
                waited = true;
                fullPauses.inc();
                if (fullWarnings.allow("buffer_full")) {
                    log.warn("sink={} event=buffer_full disk_bytes={} max_bytes={} action=pause_sources pauses_total={} (logged at most once a minute)",
                            id, d.diskBytes(), config.maxBytes(), fullPauses.get());
                } else if (log.isDebugEnabled()) {
                    log.debug("sink={} event=buffer_full disk_bytes={} max_bytes={} action=pause_sources", id, d.diskBytes(), config.maxBytes());
                }
            }
            if (shutdown.isDraining() && shutdown.deadlinePassed(System.nanoTime())) {
                return false;
            }
            if (shutdown.isStopping()) {
                // sources are stopping and the sink cannot take more: what is staged stays unacknowledged
                if (shutdown.deadlinePassed(System.nanoTime()) || shutdown.isDraining()) {
                    return false;
                }
            }
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(20)); // still busy: it holds batches
        }
    }

    /** Appends {@code b}; null when the shutdown deadline passed first, {@link #REFUSED} for an oversize batch. */
    private DiskBuffer.Appended appendWithRetry(DiskBuffer d, Batch b, boolean staged) throws InterruptedException {
        int attempt = 0;
        // a staged batch was encoded ahead for this buffer (see offer); an append again after a
        // failed fsync encodes it here, as this buffer has given its share of that copy back
        List<RecordCodec.Region> ahead = staged ? b.encodedAhead() : null;
        for (;;) {
            try {
                DiskBuffer.Appended at = b.regions() != null ? d.append(b.sourceId(), b.regions(), b::entries)
                        : ahead != null ? d.append(b.sourceId(), ahead, b::entries)
                        : d.append(b.sourceId(), b.entries());
                if (ahead != null) {
                    b.releaseEncodedAhead(); // copied into the buffer's write buffer
                }
                recovered(attempt);
                return at;
            } catch (DiskBuffer.OversizeException e) {
                if (ahead != null) {
                    b.releaseEncodedAhead();
                }
                // retrying cannot help, and waiting would wedge the pipeline: refuse it, counted
                tooLarge.add(b.size());
                log.error("sink={} event=buffer_entry_too_large source={} events={} error=\"{}\" action=reject",
                        id, b.sourceId(), b.size(), e.getMessage());
                b.ack().complete(DeliveryStatus.REJECTED);
                return REFUSED;
            } catch (IOException e) {
                if (!backoff(++attempt, "append", e)) {
                    return null;
                }
            }
        }
    }

    /** Writes what {@code written} encoded; moves it to {@code unsynced} (acknowledged and readable after the next sync). */
    private boolean flushAndPublish(DiskBuffer d, List<Hot> written, List<Hot> unsynced) throws InterruptedException {
        int attempt = 0;
        long before = d.pendingBytes();
        for (;;) {
            try {
                d.flush();
                recovered(attempt);
                break;
            } catch (IOException e) {
                if (!backoff(++attempt, "write", e)) {
                    return false;
                }
            }
        }
        bytesWritten.add(before);
        for (Hot h : written) {
            recordsWritten.add(h.at().lastSeq() - h.at().firstSeq() + 1);
            unsynced.add(h);
        }
        written.clear();
        return true;
    }

    /**
     * After a sync: the sources' shares complete (the entries are durable), and the batches become
     * readable, from the memory cache while it has room.
     */
    private void synced(List<Hot> unsynced) {
        for (Hot h : unsynced) {
            // A sink that takes records encoded reads them from disk (the page cache) more cheaply
            // than it would encode cached entries again, so nothing is cached for it: its batches
            // leave the heap as soon as they are written. Otherwise, cache while there is room.
            if (!readEncoded && hotCount.get() < HOT_BATCHES && hotBytes.get() + h.batch().bytes() <= HOT_BYTES) {
                hotBytes.addAndGet(h.batch().bytes());
                hotCount.incrementAndGet();
                hot.add(h);
            }
        }
        LockSupport.unpark(parkedReader);
        for (Hot h : unsynced) {
            try {
                h.batch().ack().complete(DeliveryStatus.DELIVERED);
            } catch (RuntimeException e) {
                log.warn("event=ack_failed source={} error=\"{}\"", h.batch().sourceId(), e.toString(), e);
            }
        }
        unsynced.clear();
    }

    /**
     * Syncs; when the fsync fails, what it should have made durable is written again (see
     * {@link DiskBuffer#discardUnsynced()}) and synced again, after a backoff, until it succeeds.
     */
    private boolean syncWithRetry(DiskBuffer d, List<Hot> unsynced) throws InterruptedException {
        int attempt = 0;
        for (;;) {
            try {
                d.sync();
                fsyncs.inc();
                recovered(attempt);
                return true;
            } catch (IOException e) {
                if (!backoff(++attempt, "fsync", e)) {
                    return false;
                }
                try {
                    d.discardUnsynced();
                } catch (IOException x) {
                    log.error("sink={} event=buffer_discard_failed dir={} error=\"{}\"", id, dir, x.toString());
                    continue;
                }
                List<Hot> again = new ArrayList<>(unsynced.size());
                for (Hot h : unsynced) {
                    DiskBuffer.Appended at = appendWithRetry(d, h.batch(), false);
                    if (at == null) {
                        return false;
                    }
                    again.add(new Hot(h.batch(), at)); // never REFUSED: it was appended before
                }
                unsynced.clear();
                if (!flushAndPublish(d, again, unsynced)) {
                    return false;
                }
            }
        }
    }

    /** Logs, reports and sleeps after a failed disk operation; false when the shutdown deadline comes first. */
    private boolean backoff(int attempt, String op, IOException e) {
        writeErrors.inc();
        String msg = String.valueOf(e.getMessage());
        boolean full = msg.contains("No space left") || msg.contains("ENOSPC") || msg.contains("Disk quota");
        condition = (full ? "disk full" : "disk error") + " writing buffer " + dir + ": " + e;
        long delay = SinkRunner.backoffMillis(attempt, MIN_RETRY_MILLIS, MAX_RETRY_MILLIS, Math.random());
        if (attempt == 1 || attempt % 10 == 0) {
            log.error("sink={} event=buffer_{}_failed reason={} dir={} attempt={} retry_ms={} error=\"{}\" action=pause_sources",
                    id, op, full ? "disk_full" : "io_error", dir, attempt, delay, e.toString());
        }
        long wakeAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay);
        for (;;) {
            long now = System.nanoTime();
            if (shutdown.isDraining() && shutdown.deadlinePassed(now)) {
                return false;
            }
            if (now - wakeAt >= 0) {
                return true;
            }
            LockSupport.parkNanos(this, Math.min(wakeAt - now, MAX_PARK_NANOS));
        }
    }

    private void recovered(int attempts) {
        if (attempts > 0) {
            condition = null;
            log.info("sink={} event=buffer_write_recovered dir={} after_attempts={}", id, dir, attempts);
        }
    }

    // ---- reader (sink runner thread) ---------------------------------------------------------

    @Override
    public int drainTo(Collection<? super Batch> out, int maxBatches, long maxBytes) {
        DiskBuffer d = disk;
        if (d == null) {
            return 0;
        }
        int taken = 0;
        long takenBytes = 0;
        try {
            while (taken < maxBatches && (taken == 0 || takenBytes < maxBytes)) {
                long next = d.readNext();
                Hot h = hot.peek();
                if (h != null && h.at().firstSeq() < next) {
                    pollHot();
                    continue; // already read from disk
                }
                Batch b;
                if (h != null && h.at().firstSeq() == next) {
                    pollHot();
                    d.skipTo(h.at().lastSeq());
                    b = forSink(h.batch().sourceId(), h.batch().entries(), h.batch().bytes(), h.at().firstSeq(),
                            h.at().lastSeq(), h.at().payloadBytes());
                    readFromMemory.inc();
                } else {
                    if (next > d.readableSeq()) {
                        break;
                    }
                    DiskBuffer.ReadRecord r = d.read(readEncoded);
                    if (r == null) {
                        break;
                    }
                    if (r.encoded() != null) {
                        b = Batch.encoded(r.sourceId(), r.encoded(), r.count(), r.encoded().length + 64L,
                                ackOf(r.seq(), r.count(), r.payloadBytes()), r.seq());
                    } else {
                        long est = 0;
                        for (LogEntry e : r.entries()) {
                            est += e.sizeEstimate();
                        }
                        b = forSink(r.sourceId(), r.entries(), est, r.seq(), r.seq(), r.payloadBytes());
                    }
                    readFromDisk.inc();
                }
                out.add(b);
                taken++;
                takenBytes += b.bytes();
            }
        } catch (IOException e) {
            log.error("sink={} event=buffer_read_failed dir={} error=\"{}\" action=retry", id, dir, e.toString());
            condition = "cannot read buffer " + dir + ": " + e;
        }
        long c = d.readCorruptions();
        if (c > reportedCorruptions) {
            corruptRecords.add(c - reportedCorruptions);
            reportedCorruptions = c;
        }
        return taken;
    }

    private long reportedCorruptions;

    private void pollHot() {
        Hot h = hot.poll();
        if (h != null) {
            hotBytes.addAndGet(-h.batch().bytes());
            hotCount.decrementAndGet();
        }
    }

    private Batch forSink(String sourceId, List<LogEntry> entries, long bytes, long firstSeq, long lastSeq, long payloadBytes) {
        return new Batch(sourceId, entries, bytes, ackOf(lastSeq, entries.size(), payloadBytes), firstSeq, lastSeq);
    }

    /** The acknowledgement of a batch for the sink: it acknowledges the buffer up to {@code lastSeq}. */
    private BatchAck ackOf(long lastSeq, long entries, long payloadBytes) {
        DiskBuffer d = disk;
        return new BatchAck(status -> d.ack(lastSeq, entries, payloadBytes));
    }

    @Override
    public void readEncoded(boolean on) {
        readEncoded = on;
    }

    @Override
    public boolean awaitNotEmpty(long timeout, TimeUnit unit) {
        DiskBuffer d = disk;
        if (d == null || d.readNext() <= d.readableSeq()) {
            return d != null;
        }
        parkedReader = Thread.currentThread();
        try {
            if (d.readNext() <= d.readableSeq()) {
                return true;
            }
            LockSupport.parkNanos(this, unit.toNanos(timeout));
            return d.readNext() <= d.readableSeq();
        } finally {
            parkedReader = null;
        }
    }

    @Override
    public boolean isEmpty() {
        DiskBuffer d = disk;
        return staging.isEmpty() && !writerBusy && (d == null || d.pendingBytes() == 0 && d.fullyAcked());
    }

    @Override
    public long entries() {
        DiskBuffer d = disk;
        return staging.entries() + (d == null ? 0 : d.unackedEntries());
    }

    @Override
    public long bytes() {
        DiskBuffer d = disk;
        return staging.bytes() + (d == null ? 0 : d.unackedBytes());
    }

    @Override
    public String condition() {
        return condition;
    }

    @Override
    public Throwable failure() {
        return failure;
    }

    /** Waits for the writer (it exits once draining has persisted the staging queue, or at the deadline), then closes the files. */
    @Override
    public void close() {
        DiskBuffer d = disk;
        if (d == null) {
            return;
        }
        LockSupport.unpark(writer);
        staging.wakeConsumer();
        try {
            long deadline = System.nanoTime() + Math.max(0, Math.min(shutdown.remainingNanos(System.nanoTime()), Long.MAX_VALUE / 4))
                    + Pipeline.CLOSE_ALLOWANCE.toNanos();
            while (writer.isAlive() && System.nanoTime() - deadline < 0) {
                writer.join(100);
                LockSupport.unpark(writer);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            log.warn("sink={} event=buffer_writer_still_running dir={}", id, dir);
            return; // do not close files under a live writer
        }
        try {
            d.close();
        } catch (IOException e) {
            log.warn("sink={} event=buffer_close_failed dir={} error=\"{}\"", id, dir, e.toString());
        }
    }
}
