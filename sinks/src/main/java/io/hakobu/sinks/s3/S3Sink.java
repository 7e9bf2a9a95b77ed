package io.hakobu.sinks.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hakobu.core.checkpoint.CheckpointStore;
import io.hakobu.core.codec.ByteBuilder;
import io.hakobu.core.codec.NdjsonEncoder;
import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import io.hakobu.core.pipeline.Backoff;
import io.hakobu.core.pipeline.Batch;
import io.hakobu.core.pipeline.DeliveryStatus;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Sink;
import io.hakobu.core.pipeline.SinkContext;
import io.hakobu.core.telemetry.ComponentMetrics;
import io.hakobu.core.telemetry.Counter;
import io.hakobu.sinks.file.PathTemplate;
import io.hakobu.sinks.file.StreamWatermarks;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code type: s3}: archives entries as compressed NDJSON objects under partitioned keys, each
 * entry in <b>exactly one</b> object across crashes and retries (SPEC §4), with a manifest beside
 * each object.
 *
 * <h2>Why the sink stages objects on local disk</h2>
 * Good archive objects are large (tens of MiB compressed, minutes of logs), but the sink runner
 * hands a sink at most {@code 64} batches (about 8 MiB) per {@link #write} and waits for that
 * write's status before it hands out more; a write that held its batches until an object was full
 * would never get the rest. So the sink <em>stages</em>: each write compresses its entries, per
 * object, into one frame appended to the object's <em>spool file</em>
 * ({@code data_dir/s3/<id>/<n>.obj}), fsyncs, records in its checkpoint what the object holds, and
 * only then returns {@code DELIVERED} (which lets the disk buffer delete those records). An
 * uploader thread uploads objects once they are <em>sealed</em> (full, aged, or evicted), then
 * deletes their spool files. The spool is not a second lossy buffer: nothing is acknowledged
 * before it is fsynced there, and nothing leaves it before S3 confirmed the object.
 *
 * <h2>How exactly-once works</h2>
 * The checkpoint ({@code checkpoints/sink-<id>.json}) records, atomically:
 * <ul>
 *   <li>{@code staged_through}: the highest buffer record ({@link Batch#lastRecord()}) whose
 *       entries are staged. A disk buffer redelivers after a crash with the same record numbers
 *       and contents, so a redelivered batch at or below it is skipped
 *       ({@code events_deduplicated_total});</li>
 *   <li>{@code streams}: per input stream the highest position staged ({@link StreamWatermarks},
 *       as the file sink keeps), so lines a source reads again after a crash (its own checkpoint
 *       lagged; the buffer gives them new record numbers) are skipped as well;</li>
 *   <li>every <em>open</em> object: its key, its spool file and the length of that file committed
 *       by the last write. At start a spool file is cut back to that length, so bytes of a write
 *       that was never acknowledged disappear and its records, redelivered, are staged again;</li>
 *   <li>every <em>sealed</em> object: its final key, length and checksums. Its spool file is
 *       exactly the object. It is uploaded under that key until S3 confirms, even across
 *       restarts: after a SIGKILL during an upload the same bytes go up again under the same key
 *       (an idempotent overwrite; an identical object already there, by length and the CRC32C in
 *       its metadata, is kept), after aborting the key's incomplete multipart uploads.</li>
 * </ul>
 * The key of an object is decided when its first entry is staged and saved with it:
 * {@code <rendered key template>-<UTC time of its first entry>-<first 16 hex of its first __ID>}
 * plus the compression's extension. An entry is staged into exactly one object (the one open for
 * its rendered template), and {@code __ID}s are unique, so keys never collide.
 *
 * <h2>Sealing</h2>
 * An object is sealed when its compressed size reaches {@code batch.max_bytes}, when
 * {@code batch.timeout} has passed since its first entry (checked every second by the uploader),
 * when more than {@code max_open_objects} are open (the least recently written), and at
 * {@link #close} (every open object, then uploads are given {@code close_timeout}).
 *
 * <h2>Failures</h2>
 * Uploads are retried without limit, with exponential backoff and jitter (0.1 s to 30 s); every
 * failure is counted by reason ({@link S3Errors}). While the last upload attempt failed, or while
 * sealed objects waiting for upload fill {@code spool_max_bytes}, {@link #write} throws, naming
 * the failure: the runner retries it with backoff, {@code /health} shows it as the sink's
 * {@code last_error}, and new entries stay in the buffer until uploads succeed again. A staging
 * failure (disk full) rolls the in-memory state back to the checkpoint and throws as well.
 *
 * <h2>Limits</h2>
 * <ul>
 *   <li>Memory: a write encodes its entries (at most the runner's ~8 MiB) and compresses them per
 *       object; uploads stream from the spool file (multipart reads one {@code part_size} part at
 *       a time). Disk: open objects (at most {@code max_open_objects} × {@code batch.max_bytes})
 *       plus sealed ones (writes wait beyond {@code spool_max_bytes}).</li>
 *   <li>With a memory buffer there are no record numbers: only stream positions deduplicate, so
 *       entries without one (stdin) may land twice after a crash (logged once at the first write).
 *       At most {@value #MAX_STREAMS} stream watermarks are kept (least recently written forgotten).</li>
 *   <li>Objects are concatenations of per-write compressed frames (valid zstd/gzip streams);
 *       many small writes compress a little worse than one stream would.</li>
 *   <li>Health: an upload failure reaches {@code /status} ({@code last_error}) through the next
 *       write, which it refuses; until new entries arrive only the log, {@code upload_failing}
 *       and {@code upload_errors_total} show it (a sink has no way to report a condition itself).</li>
 * </ul>
 *
 * <p>Thread contract: {@link #start}, {@link #write} and {@link #close} are called from the sink
 * runner thread; the uploader thread {@code hakobu-s3-<id>} uploads. State shared by the two is
 * guarded by {@link #lock}; uploads run outside it.
 */
final class S3Sink implements Sink {
    private static final Logger LOG = LoggerFactory.getLogger(S3Sink.class);
    static final String META_CRC32C = "hakobu-crc32c";
    static final String MANIFEST_SUFFIX = ".manifest.json";
    static final String SPOOL_SUFFIX = ".obj";
    private static final int MAX_NAMES = 64;
    /** Stream watermarks kept (about 100 bytes each in the checkpoint, which every write saves). */
    static final int MAX_STREAMS = 10_000;
    private static final long MIN_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 30_000;
    private static final long TICK_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    /** One object: open (filling) or sealed (waiting for upload). */
    static final class ObjectState {
        final long seq;
        final String prefix;
        final String key;
        final String spoolName;
        long length;
        long entries;
        long rawBytes;
        String firstId;
        String lastId;
        long firstTime = Long.MIN_VALUE;
        long lastTime = Long.MIN_VALUE;
        long minTime = Long.MAX_VALUE;
        long maxTime = Long.MIN_VALUE;
        long firstRecord = -1;
        long lastRecord = -1;
        long openedAtMillis;
        final Set<String> hosts = new TreeSet<>();
        final Set<String> sources = new TreeSet<>();
        boolean sealed;
        String crc32c;
        String md5;
        long sealedAtMillis;
        /** Sealed before this process started: a multipart upload of it may be orphaned. */
        boolean recovered;
        /** The object itself is uploaded, only the manifest is missing. */
        boolean objectUploaded;
        FileChannel channel;
        ByteBuilder pending;

        ObjectState(long seq, String prefix, String key, String spoolName) {
            this.seq = seq;
            this.prefix = prefix;
            this.key = key;
            this.spoolName = spoolName;
        }
    }

    private final String id;
    private final S3SinkConfig config;
    private final NodeInfo node;
    private final ObjectStore store;
    private final PathTemplate.Renderer keys;
    private final NdjsonEncoder encoder = new NdjsonEncoder();
    private final Object lock = new Object();

    // ---- guarded by lock ----
    /** Open objects by rendered template, least recently written first. */
    private final LinkedHashMap<String, ObjectState> open = new LinkedHashMap<>(64, 0.75f, true);
    /** Sealed objects in upload order. */
    private final ArrayDeque<ObjectState> sealed = new ArrayDeque<>();
    private final Set<String> keysInUse = new HashSet<>();
    private long stagedThrough = -1;
    private StreamWatermarks watermarks = new StreamWatermarks(MAX_STREAMS);
    private long nextSeq;
    private long sealedBytes;
    private boolean durable = true;
    private volatile int openGauge;
    private volatile int sealedGauge;
    private volatile long sealedBytesGauge;

    // ---- uploader ----
    private Thread uploader;
    private volatile boolean stopUploader;
    private volatile boolean uploadFailing;
    private volatile String lastUploadError;
    private volatile long lastUploadMillis;
    private boolean warnedNoRecords;

    private SinkContext ctx;
    private Path spoolDir;
    private String checkpointName;
    private Counter eventsStaged;
    private Counter eventsDeduplicated;
    private Counter eventsOut;
    private Counter bytesOut;
    private Counter objectsUploaded;
    private Counter objectBytesUploaded;
    private Counter objectsSkipped;
    private Counter manifestsUploaded;
    private Counter uploadRetries;
    private Counter uploadDurationMs;
    private Counter multipartAborted;
    private ComponentMetrics metrics;

    S3Sink(String id, S3SinkConfig config, NodeInfo node, ObjectStore store) {
        this.id = Objects.requireNonNull(id, "id");
        this.config = Objects.requireNonNull(config, "config");
        this.node = Objects.requireNonNull(node, "node");
        this.store = Objects.requireNonNull(store, "store");
        this.keys = config.key().renderer();
    }

    // ---- lifecycle ---------------------------------------------------------------------------

    @Override
    public void start(SinkContext ctx) throws IOException {
        this.ctx = ctx;
        this.checkpointName = "sink-" + id;
        Path dataDir = node.dataDir().toAbsolutePath();
        this.spoolDir = config.spoolDir() == null ? dataDir.resolve("s3").resolve(id) : dataDir.resolve(config.spoolDir());
        Files.createDirectories(spoolDir);
        metrics = ctx.metrics();
        eventsStaged = metrics.counter("events_staged_total");
        eventsDeduplicated = metrics.counter("events_deduplicated_total");
        eventsOut = metrics.counter("events_out_total");
        bytesOut = metrics.counter("bytes_out_total");
        objectsUploaded = metrics.counter("objects_uploaded_total");
        objectBytesUploaded = metrics.counter("object_bytes_uploaded_total");
        objectsSkipped = metrics.counter("objects_already_present_total");
        manifestsUploaded = metrics.counter("manifests_uploaded_total");
        uploadRetries = metrics.counter("upload_retries_total");
        uploadDurationMs = metrics.counter("upload_duration_ms_total");
        multipartAborted = metrics.counter("multipart_aborted_total");
        metrics.gauge("multipart_uploads_total", store::multipartUploads);
        // gauges read snapshots: a scrape never waits for a write's fsync
        metrics.gauge("objects_open", () -> openGauge);
        metrics.gauge("objects_sealed", () -> sealedGauge);
        metrics.gauge("spool_sealed_bytes", () -> sealedBytesGauge);
        metrics.gauge("upload_failing", () -> uploadFailing ? 1 : 0);
        metrics.gauge("upload_last_duration_ms", () -> lastUploadMillis);
        synchronized (lock) {
            recover();
        }
        LOG.info("sink={} event=started destination=\"{}\" key=\"{}\" compression={} storage_class={} checksum={}"
                + " spool={} open_objects={} sealed_objects={} staged_through={}", id, config.destination(),
                config.key(), config.compression().configName, config.storageClass(), config.checksum(), spoolDir,
                open.size(), sealed.size(), stagedThrough);
        uploader = new Thread(this::uploadLoop, "hakobu-s3-" + id);
        uploader.setDaemon(true);
        uploader.start();
    }

    /** Loads the checkpoint, cuts open spool files back to their committed length, drops strays. Holds lock. */
    private void recover() throws IOException {
        closeChannels();
        open.clear();
        sealed.clear();
        keysInUse.clear();
        sealedBytes = 0;
        stagedThrough = -1;
        nextSeq = 0;
        watermarks = new StreamWatermarks(MAX_STREAMS);
        JsonNode state = ctx.checkpoints().load(checkpointName);
        if (state != null) {
            stagedThrough = state.path("staged_through").asLong(-1);
            nextSeq = state.path("next_object").asLong(0);
            for (JsonNode n : state.path("streams")) {
                String source = n.path("source").asText(null);
                String stream = n.path("stream").asText(null);
                long position = n.path("position").asLong(-1);
                if (source == null || stream == null || position < 0) {
                    throw new IOException("checkpoint " + checkpointName + " has a bad stream record: " + n);
                }
                watermarks.restore(source, stream, position);
            }
            for (JsonNode n : state.path("open")) {
                ObjectState o = fromJson(n);
                Path f = spoolDir.resolve(o.spoolName);
                FileChannel ch;
                try {
                    ch = FileChannel.open(f, StandardOpenOption.WRITE);
                } catch (NoSuchFileException e) {
                    LOG.error("sink={} event=spool_file_missing file={} key={} entries={} action=forget"
                            + " (those entries were acknowledged and are lost)", id, f, o.key, o.entries);
                    durable = false;
                    continue;
                }
                long size = ch.size();
                if (size > o.length) {
                    ch.truncate(o.length);
                    ch.force(true);
                    LOG.info("sink={} event=uncommitted_bytes_removed file={} committed={} removed={}", id, f, o.length,
                            size - o.length);
                } else if (size < o.length) {
                    ch.close();
                    throw new IOException("spool file " + f + " has " + size + " bytes, its checkpoint says " + o.length);
                }
                o.channel = ch;
                o.pending = new ByteBuilder(4096);
                open.put(o.prefix, o);
                keysInUse.add(o.key);
            }
            for (JsonNode n : state.path("sealed")) {
                ObjectState o = fromJson(n);
                Path f = spoolDir.resolve(o.spoolName);
                long size;
                try {
                    size = Files.size(f);
                } catch (NoSuchFileException e) {
                    LOG.error("sink={} event=spool_file_missing file={} key={} entries={} action=forget", id, f, o.key,
                            o.entries);
                    durable = false;
                    continue;
                }
                if (size < o.length) {
                    throw new IOException("spool file " + f + " has " + size + " bytes, its checkpoint says " + o.length);
                }
                if (size > o.length) {
                    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                        ch.truncate(o.length);
                        ch.force(true);
                    }
                }
                o.recovered = true;
                sealed.add(o);
                sealedBytes += o.length;
                keysInUse.add(o.key);
            }
        }
        updateGauges();
        Set<String> known = new HashSet<>();
        open.values().forEach(o -> known.add(o.spoolName));
        sealed.forEach(o -> known.add(o.spoolName));
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(spoolDir, "*" + SPOOL_SUFFIX)) {
            for (Path p : ds) {
                if (!known.contains(p.getFileName().toString())) {
                    Files.deleteIfExists(p); // created by a write that never reached the checkpoint
                }
            }
        }
    }

    @Override
    public void close() {
        if (ctx == null || uploader == null) {
            synchronized (lock) {
                closeChannels();
            }
            store.close();
            return;
        }
        synchronized (lock) {
            try {
                for (ObjectState o : new ArrayList<>(open.values())) {
                    seal(o, "close");
                }
                saveCheckpoint();
            } catch (IOException | RuntimeException e) {
                LOG.error("sink={} event=seal_failed phase=close error=\"{}\" action=keep_open_until_next_start", id,
                        e.toString());
            }
        }
        LockSupport.unpark(uploader);
        long deadline = System.nanoTime() + config.closeTimeout().toNanos();
        for (;;) {
            synchronized (lock) {
                if (sealed.isEmpty()) {
                    break;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                synchronized (lock) {
                    LOG.warn("sink={} event=close_timeout sealed_objects={} sealed_bytes={} action=upload_at_next_start",
                            id, sealed.size(), sealedBytes);
                }
                break;
            }
            synchronized (lock) {
                try {
                    lock.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 200)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        stopUploader = true;
        LockSupport.unpark(uploader);
        try {
            uploader.join(1000);
            if (uploader.isAlive()) {
                uploader.interrupt(); // an upload in flight: what it was uploading stays sealed for the next start
                uploader.join(TimeUnit.SECONDS.toMillis(30));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (lock) {
            closeChannels();
            if (!durable) {
                try {
                    saveCheckpoint();
                } catch (IOException e) {
                    LOG.error("sink={} event=checkpoint_failed phase=close error=\"{}\"", id, e.toString());
                }
            }
        }
        store.close();
    }

    private void closeChannels() {
        for (ObjectState o : open.values()) {
            closeQuietly(o);
        }
    }

    private static void closeQuietly(ObjectState o) {
        if (o.channel != null) {
            try {
                o.channel.close();
            } catch (IOException e) {
                // nothing to save: every committed byte was fsynced
            }
            o.channel = null;
        }
    }

    // ---- write: stage ------------------------------------------------------------------------

    @Override
    public CompletionStage<DeliveryStatus> write(List<Batch> batches) throws IOException {
        awaitUploads();
        synchronized (lock) {
            try {
                stage(batches);
            } catch (IOException | RuntimeException e) {
                LOG.error("sink={} event=stage_failed error=\"{}\" action=rollback_and_retry", id, e.toString());
                try {
                    recover();
                } catch (IOException | RuntimeException r) {
                    e.addSuppressed(r);
                }
                throw e instanceof IOException io ? io : new IOException("staging failed: " + e, e);
            }
        }
        LockSupport.unpark(uploader);
        return CompletableFuture.completedFuture(DeliveryStatus.DELIVERED);
    }

    /**
     * Refuses new entries while uploads fail, and waits (up to a second) while sealed objects fill
     * the spool: the runner retries the write with backoff and shows the reason as last_error.
     */
    private void awaitUploads() throws IOException {
        if (uploadFailing) {
            throw new IOException("uploads to " + config.destination() + " are failing (" + lastUploadError
                    + "); new entries stay in the buffer until an upload succeeds");
        }
        long deadline = System.nanoTime() + TICK_NANOS;
        synchronized (lock) {
            while (sealedBytes >= config.spoolMaxBytes()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("upload backlog: " + sealed.size() + " sealed objects (" + sealedBytes
                            + " bytes) wait for upload, spool_max_bytes is " + config.spoolMaxBytes());
                }
                try {
                    lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
            }
        }
    }

    /** Holds lock. */
    private void stage(List<Batch> batches) throws IOException {
        Set<ObjectState> touched = new LinkedHashSet<>();
        long through = stagedThrough;
        long staged = 0;
        long skipped = 0;
        for (Batch batch : batches) {
            long first = batch.firstRecord();
            long last = batch.lastRecord();
            if (first >= 0) {
                if (last <= stagedThrough) {
                    skipped += batch.size();
                    continue;
                }
                if (first <= stagedThrough) {
                    LOG.warn("sink={} event=partial_redelivery first_record={} last_record={} staged_through={}"
                            + " action=stage_all", id, first, last, stagedThrough);
                }
                through = Math.max(through, last);
            } else if (!warnedNoRecords) {
                warnedNoRecords = true;
                LOG.warn("sink={} event=no_record_numbers reason=memory_buffer"
                        + " hint=\"entries are deduplicated by their stream positions only; use buffer.type: disk\"", id);
            }
            String sourceId = batch.sourceId();
            for (LogEntry e : batch.entries()) {
                if (watermarks.isDuplicate(sourceId, e)) {
                    skipped++; // a source sent it again (its checkpoint lagged): it is staged already
                    continue;
                }
                String prefix = keys.render(e);
                ObjectState o = open.get(prefix);
                if (o == null) {
                    o = openObject(prefix, e);
                }
                int before = o.pending.length();
                encoder.encode(e, o.pending);
                account(o, e, o.pending.length() - before, first, last);
                touched.add(o);
                staged++;
            }
        }
        for (ObjectState o : touched) {
            byte[] frame = config.compression().frame(o.pending, config.compressionLevel());
            ByteBuffer b = ByteBuffer.wrap(frame);
            long pos = o.length;
            while (b.hasRemaining()) {
                pos += o.channel.write(b, pos);
            }
            o.length = pos;
            if (o.pending.array().length > (256 << 10)) {
                o.pending = new ByteBuilder(64 * 1024); // keep at most 256 KiB per open object between writes
            } else {
                o.pending.reset();
            }
        }
        for (ObjectState o : touched) {
            o.channel.force(false);
        }
        for (ObjectState o : touched) {
            if (o.length >= config.maxObjectBytes()) {
                seal(o, "size");
            }
        }
        while (open.size() > config.maxOpenObjects()) {
            seal(open.values().iterator().next(), "max_open_objects");
        }
        stagedThrough = through;
        watermarks.commit(); // saved just below; a failed save reloads everything from the checkpoint
        if (!touched.isEmpty() || skipped > 0 || !durable) {
            saveCheckpoint();
        }
        eventsStaged.add(staged);
        eventsDeduplicated.add(skipped);
    }

    /** Holds lock. */
    private void updateGauges() {
        openGauge = open.size();
        sealedGauge = sealed.size();
        sealedBytesGauge = sealedBytes;
    }

    private ObjectState openObject(String prefix, LogEntry first) throws IOException {
        long seq = nextSeq++;
        long micros = timestampMicros(first);
        String stamp = micros == Long.MIN_VALUE ? "_"
                : STAMP.format(Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L)));
        String idText = first.getString(Fields.ID);
        String unique = idText != null && idText.length() >= 16 && idText.chars().allMatch(S3Sink::isHex)
                ? idText.substring(0, 16) : String.format("s%015d", seq);
        String key = prefix + "-" + stamp + "-" + unique + config.compression().extension;
        if (!keysInUse.add(key)) {
            key = prefix + "-" + stamp + "-" + unique + "-" + seq + config.compression().extension;
            keysInUse.add(key);
        }
        ObjectState o = new ObjectState(seq, prefix, key, seq + SPOOL_SUFFIX);
        o.openedAtMillis = System.currentTimeMillis();
        o.channel = FileChannel.open(spoolDir.resolve(o.spoolName), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        o.pending = new ByteBuilder(64 * 1024);
        open.put(prefix, o);
        return o;
    }

    private static boolean isHex(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static void account(ObjectState o, LogEntry e, int bytes, long firstRecord, long lastRecord) {
        o.entries++;
        o.rawBytes += bytes;
        String entryId = e.getString(Fields.ID);
        if (o.firstId == null && o.entries == 1) {
            o.firstId = entryId;
        }
        o.lastId = entryId;
        long t = timestampMicros(e);
        if (t != Long.MIN_VALUE) {
            if (o.firstTime == Long.MIN_VALUE) {
                o.firstTime = t;
            }
            o.lastTime = t;
            o.minTime = Math.min(o.minTime, t);
            o.maxTime = Math.max(o.maxTime, t);
        }
        if (firstRecord >= 0) {
            if (o.firstRecord < 0) {
                o.firstRecord = firstRecord;
            }
            o.lastRecord = Math.max(o.lastRecord, lastRecord);
        }
        addName(o.hosts, e.getString(Fields.HOSTNAME));
        addName(o.sources, e.getString(Fields.SOURCE));
    }

    private static void addName(Set<String> names, String name) {
        if (name != null && names.size() < MAX_NAMES) {
            names.add(name);
        }
    }

    private static long timestampMicros(LogEntry e) {
        Object v = e.get(Fields.REALTIME_TIMESTAMP);
        if (v instanceof Long || v instanceof Integer) {
            return ((Number) v).longValue();
        }
        if (v instanceof String s) {
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException ex) {
                return Long.MIN_VALUE;
            }
        }
        return Long.MIN_VALUE;
    }

    /**
     * Makes {@code o} final: its spool file is cut to its committed length, fsynced and
     * checksummed; the caller saves the checkpoint before anything is uploaded. Holds lock.
     */
    private void seal(ObjectState o, String reason) throws IOException {
        FileChannel ch = o.channel;
        if (ch != null) {
            if (ch.size() != o.length) {
                ch.truncate(o.length);
            }
            ch.force(true);
            ch.close();
            o.channel = null;
        }
        String[] sums = Checksums.ofFile(spoolDir.resolve(o.spoolName), o.length);
        o.crc32c = sums[0];
        o.md5 = sums[1];
        o.sealed = true;
        o.sealedAtMillis = System.currentTimeMillis();
        o.pending = null;
        open.remove(o.prefix);
        sealed.add(o);
        sealedBytes += o.length;
        durable = false;
        if (LOG.isDebugEnabled()) {
            LOG.debug("sink={} event=sealed reason={} key={} entries={} bytes={}", id, reason, o.key, o.entries, o.length);
        }
    }

    // ---- uploader ----------------------------------------------------------------------------

    private void uploadLoop() {
        int attempt = 0;
        while (!stopUploader) {
            ObjectState next;
            boolean checkpointFailed = false;
            synchronized (lock) {
                try {
                    sealAged(System.currentTimeMillis());
                    if (!durable) {
                        saveCheckpoint();
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.error("sink={} event=checkpoint_failed phase=seal error=\"{}\" action=retry", id, e.toString());
                    checkpointFailed = true;
                }
                next = checkpointFailed ? null : sealed.peekFirst();
            }
            if (checkpointFailed) {
                if (!parkQuietly(TICK_NANOS)) { // outside the lock: writes and close need it meanwhile
                    return;
                }
                continue;
            }
            if (next == null) {
                LockSupport.parkNanos(this, TICK_NANOS);
                continue;
            }
            try {
                upload(next);
                attempt = 0;
                if (uploadFailing) {
                    LOG.info("sink={} event=upload_recovered key={}", id, next.key);
                }
                uploadFailing = false;
                lastUploadError = null;
            } catch (Throwable e) {
                if (e instanceof VirtualMachineError vme) {
                    throw vme;
                }
                if (stopUploader) {
                    return;
                }
                attempt++;
                String reason = S3Errors.reason(e);
                lastUploadError = reason + ": " + S3Errors.describe(e);
                uploadFailing = true; // before the counters: whoever sees them sees the sink refuse writes
                metrics.counter("upload_errors_total", "reason", reason).inc();
                uploadRetries.inc();
                long backoff = backoffMillis(attempt);
                String hint = S3Errors.hint(reason);
                if (S3Errors.needsOperator(reason)) {
                    LOG.error("sink={} event=upload_failed reason={} key={} attempt={} backoff_ms={} error=\"{}\" hint=\"{}\""
                            + " action=retry (entries stay in the spool and the buffer)", id, reason, next.key, attempt,
                            backoff, S3Errors.describe(e), hint);
                } else {
                    LOG.warn("sink={} event=upload_failed reason={} key={} attempt={} backoff_ms={} error=\"{}\" action=retry",
                            id, reason, next.key, attempt, backoff, S3Errors.describe(e));
                }
                if (!parkQuietly(TimeUnit.MILLISECONDS.toNanos(backoff))) {
                    return;
                }
            }
        }
    }

    /** Parks for about {@code nanos}; false when the uploader is being stopped. */
    private boolean parkQuietly(long nanos) {
        long until = System.nanoTime() + nanos;
        while (!stopUploader) {
            long left = until - System.nanoTime();
            if (left <= 0) {
                return true;
            }
            LockSupport.parkNanos(this, left);
            if (Thread.interrupted()) {
                return !stopUploader;
            }
        }
        return false;
    }

    static long backoffMillis(int attempt) {
        return Backoff.atLeastMin(attempt, MIN_BACKOFF_MS, MAX_BACKOFF_MS, ThreadLocalRandom.current().nextDouble());
    }

    /** Holds lock. */
    private void sealAged(long nowMillis) throws IOException {
        long maxAge = config.maxObjectAge().toMillis();
        Iterator<ObjectState> it = new ArrayList<>(open.values()).iterator();
        while (it.hasNext()) {
            ObjectState o = it.next();
            if (nowMillis - o.openedAtMillis >= maxAge) {
                seal(o, "timeout");
            }
        }
    }

    private void upload(ObjectState o) throws IOException {
        Path file = spoolDir.resolve(o.spoolName);
        long start = System.nanoTime();
        boolean present = false;
        if (!o.objectUploaded) {
            if (o.recovered) {
                int aborted = store.abortIncomplete(o.key);
                if (aborted > 0) {
                    multipartAborted.add(aborted);
                    LOG.info("sink={} event=multipart_aborted key={} uploads={}", id, o.key, aborted);
                }
                present = store.holds(o.key, o.length, o.crc32c);
            }
            if (!present) {
                store.put(o.key, file, o.length, new ObjectStore.ObjectInfo(config.compression().contentType, o.crc32c,
                        o.md5, objectMetadata(o)));
            }
            o.objectUploaded = true;
        }
        if (config.manifest()) {
            store.putBytes(o.key + MANIFEST_SUFFIX, manifest(o), "application/json");
            manifestsUploaded.inc();
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        lastUploadMillis = millis;
        uploadDurationMs.add(millis);
        if (present) {
            objectsSkipped.inc();
        }
        objectsUploaded.inc();
        objectBytesUploaded.add(o.length);
        eventsOut.add(o.entries);
        bytesOut.add(o.rawBytes);
        LOG.info("sink={} event=uploaded key={} entries={} bytes={} uncompressed_bytes={} ms={}{}", id, o.key, o.entries,
                o.length, o.rawBytes, millis, present ? " already_present=true" : "");
        synchronized (lock) {
            // by seq: a rolled-back write (recover) may have replaced the instance meanwhile
            for (Iterator<ObjectState> it = sealed.iterator(); it.hasNext(); ) {
                ObjectState s = it.next();
                if (s.seq == o.seq) {
                    it.remove();
                    sealedBytes -= s.length;
                    keysInUse.remove(s.key);
                    break;
                }
            }
            durable = false;
            try {
                saveCheckpoint();
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // the object is in the store; a crash before the next save uploads it again (same bytes, same key)
                LOG.warn("sink={} event=checkpoint_failed phase=uploaded key={} error=\"{}\" action=retry_later", id,
                        o.key, e.toString());
            }
            lock.notifyAll();
        }
    }

    private Map<String, String> objectMetadata(ObjectState o) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(META_CRC32C, o.crc32c);
        m.put("hakobu-entries", Long.toString(o.entries));
        if (o.minTime != Long.MAX_VALUE) {
            m.put("hakobu-min-time", isoMicros(o.minTime));
            m.put("hakobu-max-time", isoMicros(o.maxTime));
        }
        return m;
    }

    /** The manifest stored at {@code <key>.manifest.json}: what a targeted restore needs to pick objects. */
    byte[] manifest(ObjectState o) throws IOException {
        ObjectNode m = ctx.checkpoints().json().createObjectNode();
        m.put("version", 1);
        m.put("bucket", config.bucket());
        m.put("key", o.key);
        m.put("host", o.hosts.size() == 1 ? o.hosts.iterator().next() : null);
        m.put("source", o.sources.size() == 1 ? o.sources.iterator().next() : null);
        ArrayNode hosts = m.putArray("hosts");
        o.hosts.forEach(hosts::add);
        ArrayNode sources = m.putArray("sources");
        o.sources.forEach(sources::add);
        m.put("entries", o.entries);
        m.put("first_id", o.firstId);
        m.put("last_id", o.lastId);
        m.put("first_time", o.firstTime == Long.MIN_VALUE ? null : isoMicros(o.firstTime));
        m.put("last_time", o.lastTime == Long.MIN_VALUE ? null : isoMicros(o.lastTime));
        m.put("min_time", o.minTime == Long.MAX_VALUE ? null : isoMicros(o.minTime));
        m.put("max_time", o.maxTime == Long.MIN_VALUE ? null : isoMicros(o.maxTime));
        m.put("uncompressed_bytes", o.rawBytes);
        m.put("compressed_bytes", o.length);
        m.put("compression", config.compression().configName);
        m.put("content_type", config.compression().contentType);
        ObjectNode sum = m.putObject("checksum");
        sum.put("crc32c", o.crc32c);
        sum.put("md5", o.md5);
        m.put("storage_class", config.storageClass());
        m.put("node", node.name());
        m.put("sink", id);
        m.put("buffer_first_record", o.firstRecord);
        m.put("buffer_last_record", o.lastRecord);
        m.put("sealed_at", Instant.ofEpochMilli(o.sealedAtMillis).toString());
        return ctx.checkpoints().json().writerWithDefaultPrettyPrinter().writeValueAsBytes(m);
    }

    private static String isoMicros(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L).toString();
    }

    // ---- checkpoint --------------------------------------------------------------------------

    /** Holds lock. */
    private void saveCheckpoint() throws IOException {
        CheckpointStore cs = ctx.checkpoints();
        ObjectNode state = cs.json().createObjectNode();
        state.put("staged_through", stagedThrough);
        state.put("next_object", nextSeq);
        ArrayNode openList = state.putArray("open");
        for (ObjectState o : open.values()) {
            openList.add(toJson(o));
        }
        ArrayNode sealedList = state.putArray("sealed");
        for (ObjectState o : sealed) {
            sealedList.add(toJson(o));
        }
        ArrayNode streamList = state.putArray("streams");
        watermarks.forEach((source, stream, position) ->
                streamList.addObject().put("source", source).put("stream", stream).put("position", position));
        updateGauges();
        cs.save(checkpointName, state);
        durable = true;
    }

    private ObjectNode toJson(ObjectState o) {
        ObjectNode n = ctx.checkpoints().json().createObjectNode();
        n.put("seq", o.seq);
        n.put("prefix", o.prefix);
        n.put("key", o.key);
        n.put("spool", o.spoolName);
        n.put("length", o.length);
        n.put("entries", o.entries);
        n.put("raw_bytes", o.rawBytes);
        n.put("first_id", o.firstId);
        n.put("last_id", o.lastId);
        n.put("first_time", o.firstTime);
        n.put("last_time", o.lastTime);
        n.put("min_time", o.minTime);
        n.put("max_time", o.maxTime);
        n.put("first_record", o.firstRecord);
        n.put("last_record", o.lastRecord);
        n.put("opened_at", o.openedAtMillis);
        o.hosts.forEach(n.putArray("hosts")::add);
        o.sources.forEach(n.putArray("sources")::add);
        if (o.sealed) {
            n.put("crc32c", o.crc32c);
            n.put("md5", o.md5);
            n.put("sealed_at", o.sealedAtMillis);
        }
        return n;
    }

    private ObjectState fromJson(JsonNode n) throws IOException {
        String key = n.path("key").asText(null);
        String spool = n.path("spool").asText(null);
        String prefix = n.path("prefix").asText(null);
        if (key == null || spool == null || prefix == null || !n.has("length") || spool.contains("/")) {
            throw new IOException("checkpoint " + checkpointName + " has a bad object record: " + n);
        }
        ObjectState o = new ObjectState(n.path("seq").asLong(), prefix, key, spool);
        o.length = n.path("length").asLong();
        o.entries = n.path("entries").asLong();
        o.rawBytes = n.path("raw_bytes").asLong();
        o.firstId = n.path("first_id").asText(null);
        o.lastId = n.path("last_id").asText(null);
        o.firstTime = n.path("first_time").asLong(Long.MIN_VALUE);
        o.lastTime = n.path("last_time").asLong(Long.MIN_VALUE);
        o.minTime = n.path("min_time").asLong(Long.MAX_VALUE);
        o.maxTime = n.path("max_time").asLong(Long.MIN_VALUE);
        o.firstRecord = n.path("first_record").asLong(-1);
        o.lastRecord = n.path("last_record").asLong(-1);
        o.openedAtMillis = n.path("opened_at").asLong(System.currentTimeMillis());
        n.path("hosts").forEach(h -> o.hosts.add(h.asText()));
        n.path("sources").forEach(s -> o.sources.add(s.asText()));
        if (n.has("crc32c")) {
            o.sealed = true;
            o.crc32c = n.path("crc32c").asText();
            o.md5 = n.path("md5").asText();
            o.sealedAtMillis = n.path("sealed_at").asLong();
        }
        return o;
    }

    // ---- for tests ---------------------------------------------------------------------------

    /** Seals every open object now (as the timeout would). */
    void sealAllForTest() throws IOException {
        synchronized (lock) {
            for (ObjectState o : new ArrayList<>(open.values())) {
                seal(o, "test");
            }
            saveCheckpoint();
        }
        LockSupport.unpark(uploader);
    }

    /** Stops like a SIGKILL would: no sealing, no checkpoint, channels and store dropped. */
    void crashForTest() throws InterruptedException {
        stopUploader = true;
        LockSupport.unpark(uploader);
        uploader.interrupt();
        uploader.join(TimeUnit.SECONDS.toMillis(30));
        synchronized (lock) {
            closeChannels();
        }
        store.close();
    }

    /** Objects sealed or open, not yet uploaded. */
    int pendingObjects() {
        synchronized (lock) {
            return open.size() + sealed.size();
        }
    }

    String lastUploadError() {
        return lastUploadError;
    }
}
