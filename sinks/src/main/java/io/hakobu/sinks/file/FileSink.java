package io.hakobu.sinks.file;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hakobu.core.buffer.CorruptRecordException;
import io.hakobu.core.buffer.HeapChannelIo;
import io.hakobu.core.buffer.NdjsonTranscoder;
import io.hakobu.core.checkpoint.CheckpointStore;
import io.hakobu.core.codec.ByteBuilder;
import io.hakobu.core.codec.Encoder;
import io.hakobu.core.codec.Encoders;
import io.hakobu.core.codec.NdjsonEncoder;
import io.hakobu.core.event.LogEntry;
import io.hakobu.core.pipeline.Batch;
import io.hakobu.core.pipeline.DeliveryStatus;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Sink;
import io.hakobu.core.pipeline.SinkContext;
import io.hakobu.core.telemetry.Counter;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code type: file}: appends encoded entries to files named by a {@link PathTemplate},
 * <b>exactly once</b> across crashes (SIGKILL, and power loss with {@code fsync: true}) and
 * retries (SPEC §4).
 *
 * <h2>How exactly-once works</h2>
 * The sink keeps a checkpoint ({@code checkpoints/sink-<id>.json}, see {@link CheckpointStore})
 * that records, per output file, its <em>committed length</em> and, per input stream, the highest
 * position written (its <em>watermark</em>, see {@link StreamWatermarks}). One {@link #write}:
 * <ol>
 *   <li>drops every entry at or below its stream's watermark (counted in
 *       {@code events_deduplicated_total}), encodes the rest and groups them per output file;</li>
 *   <li>makes sure the checkpoint knows every file about to grow, with its current length: a
 *       file not seen before (new, or one that already existed: it is appended to), or one that
 *       changed behind the sink's back (rotated away, truncated), is recorded and the checkpoint
 *       saved <em>before</em> a byte is written to it;</li>
 *   <li>appends each file's bytes after its committed length and fsyncs it (a file's bytes are
 *       appended whenever 1 MiB of them is encoded, after step 2 for that file, so the encoding
 *       buffer stays small however large the write; with {@code fsync: true} a thread of the
 *       sink's own fsyncs the file after such a part while the encoding goes on, see
 *       {@link SyncBehind}, so that the write's own fsync waits only for the rest);</li>
 *   <li>saves the checkpoint with the new lengths and watermarks (atomically), and only then
 *       returns {@code DELIVERED}.</li>
 * </ol>
 * So every byte beyond a file's committed length comes from a write that was never acknowledged.
 * On {@link #start} the sink truncates every file in the checkpoint back to its committed length;
 * the source, whose checkpoint only moves on acknowledgement, sends those entries again. When the
 * source re-sends entries that <em>were</em> committed (its own checkpoint lagged), the
 * watermarks skip them.
 *
 * <h2>Failures</h2>
 * <ul>
 *   <li>An I/O error while appending or syncing (disk full, a directory that cannot be created,
 *       a failed fsync, also one of {@link SyncBehind}'s, …): every
 *       file of the write is truncated back to its committed length, the watermarks are rolled
 *       back and the write returns {@code ERRORED}; the runner retries the same batches. A file
 *       that cannot even be truncated is remembered and truncated before it is written again.</li>
 *   <li>An error saving the checkpoint after the files were fsynced: the new state is kept in
 *       memory (the bytes are durable) and the write returns {@code ERRORED}. The retry finds
 *       every entry already written, writes nothing and saves the checkpoint again. Should the
 *       process die first, the restart truncates the bytes (the checkpoint on disk still has the
 *       old lengths) and the source sends the entries again.</li>
 *   <li>A checkpoint that cannot be read makes {@link #start} fail: without it the sink cannot
 *       tell committed bytes from leftovers.</li>
 * </ul>
 *
 * <h2>Limits and assumptions</h2>
 * <ul>
 *   <li>The sink owns the files it writes: files named in its checkpoint are truncated to their
 *       committed length at start. Other writers must not append to them. A file found shorter
 *       than expected, replaced, or longer between two writes (another writer) is logged and its
 *       current length adopted.</li>
 *   <li>At most {@code max_open_files} files are open; the least recently written is closed
 *       first. The checkpoint tracks at most {@value #DEFAULT_MAX_TRACKED_FILES} files (never
 *       fewer than those of the current write); a file forgotten this way is fully committed,
 *       and is simply recorded again when next written.</li>
 *   <li>At most {@value #DEFAULT_MAX_STREAMS} stream watermarks are kept; beyond, the least
 *       recently written streams are forgotten (see {@link StreamWatermarks}). The checkpoint is
 *       rewritten on every write, so its size (about 100 bytes per stream) is a cost per write.</li>
 *   <li>Positions must grow along a stream. A source that restarts a stream's positions (e.g. a
 *       file truncated in place and read again from 0) must give it a new stream identity, or its
 *       new entries will be taken for duplicates.</li>
 * </ul>
 *
 * <p>Metrics: {@code events_out_total}, {@code bytes_out_total},
 * {@code events_deduplicated_total}, gauge {@code files_open}.
 *
 * <p>Thread contract: {@link #start}, {@link #write} and {@link #close} are called from the sink
 * runner thread only (see {@link Sink}).
 */
final class FileSink implements Sink {
    private static final Logger LOG = LoggerFactory.getLogger(FileSink.class);
    static final int DEFAULT_MAX_STREAMS = 100_000;
    static final int DEFAULT_MAX_TRACKED_FILES = 4_096;
    private static final int MAX_POOLED_BUFFERS = 16;
    private static final int MAX_POOLED_BYTES = 16 << 20;
    /** A write's encoded bytes for one file are appended whenever they reach this much (see {@link #spillIfFull}). */
    private static final int SPILL_BYTES = 1 << 20;

    /** Opens an output file for writing, creating it if needed; replaced in tests to inject failures. */
    interface ChannelOpener {
        FileChannel open(Path path) throws IOException;
    }

    static final ChannelOpener DEFAULT_OPENER =
            path -> FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);

    /** A file the checkpoint knows, with its channel while it is open. */
    private static final class TrackedFile {
        final Path path;
        /** Bytes known to be durable and acknowledged; -1 until the file was first looked at. */
        long committed = -1;
        FileChannel channel;
        /** The identity ({@link BasicFileAttributes#fileKey()}) of the open file, to notice rotation. */
        Object fileKey;
        /** A failed write left bytes after {@link #committed} that could not be removed yet. */
        boolean needsTruncate;

        TrackedFile(Path path) {
            this.path = path;
        }
    }

    /** The encoded bytes one write appends to one file. */
    private static final class Group {
        final Path path;
        /** Encoded and not yet appended. */
        final ByteBuilder bytes;
        /** Set once the file was looked at ({@link #prepare}); the group may append from then on. */
        TrackedFile file;
        /** Bytes this write appended to the file so far. */
        long appended;
        int events;

        Group(Path path, ByteBuilder bytes) {
            this.path = path;
            this.bytes = bytes;
        }
    }

    private final String id;
    private final FileSinkConfig config;
    private final Path baseDir;
    private final Encoder encoder;
    private final PathTemplate.Renderer paths;
    /**
     * Writes records read from the disk buffer as NDJSON without decoding them; null unless the
     * encoding is {@code ndjson} and the path has no placeholder (see {@link #acceptsEncoded}).
     */
    private final NdjsonTranscoder transcoder;
    /** With a {@link #transcoder}: the one file every entry goes to. */
    private final Path constantPath;
    private final ChannelOpener opener;
    private final int maxTrackedFiles;
    private final StreamWatermarks watermarks;
    /** Every file in the checkpoint, least recently written first. */
    private final LinkedHashMap<Path, TrackedFile> files = new LinkedHashMap<>(64, 0.75f, true);
    /** The files with an open channel, least recently written first. */
    private final LinkedHashMap<Path, TrackedFile> open = new LinkedHashMap<>(64, 0.75f, true);
    private volatile int openCount;
    /** True when the in-memory lengths and watermarks are what the checkpoint on disk says. */
    private boolean durable = true;

    /**
     * Encode buffers reused across writes (one per output file of a write), so that encoding
     * allocates nothing in steady state: a fresh multi-megabyte array per write would go straight
     * to the old generation. Buffers that grew past {@link #MAX_POOLED_BYTES} are not kept.
     */
    private final ArrayDeque<ByteBuilder> bufferPool = new ArrayDeque<>();

    /** With {@code fsync: true}: syncs files while a write goes on appending to them (see {@link SyncBehind}). */
    private SyncBehind syncBehind;
    private SinkContext ctx;
    private String checkpointName;
    private Counter eventsOut;
    private Counter bytesOut;
    private Counter eventsDeduplicated;

    FileSink(String id, FileSinkConfig config, NodeInfo node) {
        this(id, config, node, DEFAULT_OPENER, DEFAULT_MAX_STREAMS, DEFAULT_MAX_TRACKED_FILES);
    }

    FileSink(String id, FileSinkConfig config, NodeInfo node, ChannelOpener opener, int maxStreams,
             int maxTrackedFiles) {
        this.id = Objects.requireNonNull(id, "id");
        this.config = Objects.requireNonNull(config, "config");
        this.baseDir = node.dataDir().toAbsolutePath();
        this.encoder = Encoders.create(config.encoding());
        this.paths = config.path().renderer();
        this.transcoder = encoder instanceof NdjsonEncoder && config.path().isConstant() ? new NdjsonTranscoder() : null;
        this.constantPath = transcoder == null ? null : baseDir.resolve(config.path().template()).normalize();
        this.opener = Objects.requireNonNull(opener, "opener");
        this.watermarks = new StreamWatermarks(maxStreams);
        this.maxTrackedFiles = maxTrackedFiles;
    }

    // ---- lifecycle ---------------------------------------------------------------------------

    @Override
    public void start(SinkContext ctx) throws IOException {
        this.ctx = ctx;
        this.checkpointName = "sink-" + id;
        eventsOut = ctx.metrics().counter("events_out_total");
        bytesOut = ctx.metrics().counter("bytes_out_total");
        eventsDeduplicated = ctx.metrics().counter("events_deduplicated_total");
        ctx.metrics().gauge("files_open", () -> openCount);
        JsonNode state = ctx.checkpoints().load(checkpointName);
        if (state != null) {
            recover(state);
        }
        if (config.fsync()) {
            syncBehind = new SyncBehind("hakobu-sink-" + id + "-sync");
        }
        LOG.info("sink={} event=started path=\"{}\" encoding={} fsync={} files={} streams={}", id,
                config.path(), config.encoding(), config.fsync(), files.size(), watermarks.size());
    }

    /** Loads the checkpoint and cuts every file back to its committed length. */
    private void recover(JsonNode state) throws IOException {
        for (JsonNode n : state.path("files")) {
            String p = n.path("path").asText(null);
            long length = n.path("length").asLong(-1);
            if (p == null || length < 0) {
                throw new IOException("checkpoint " + checkpointName + " has a bad file record: " + n);
            }
            TrackedFile f = new TrackedFile(Path.of(p));
            f.committed = length;
            long size;
            try {
                size = Files.size(f.path);
            } catch (NoSuchFileException e) {
                LOG.info("sink={} event=file_missing path={} committed={} action=forget", id, f.path, length);
                durable = false;
                continue;
            }
            if (size > length) {
                truncateToCommitted(f);
                LOG.warn("sink={} event=uncommitted_bytes_removed path={} committed={} removed={}", id, f.path,
                        length, size - length);
            } else if (size < length) {
                LOG.warn("sink={} event=file_shorter_than_checkpoint path={} committed={} size={} action=adopt_size",
                        id, f.path, length, size);
                f.committed = size;
                durable = false;
            }
            files.put(f.path, f);
        }
        for (JsonNode n : state.path("streams")) {
            String source = n.path("source").asText(null);
            String stream = n.path("stream").asText(null);
            long position = n.path("position").asLong(-1);
            if (source == null || stream == null || position < 0) {
                throw new IOException("checkpoint " + checkpointName + " has a bad stream record: " + n);
            }
            watermarks.restore(source, stream, position);
        }
    }

    @Override
    public void close() {
        for (TrackedFile f : new ArrayList<>(open.values())) {
            closeChannel(f);
        }
        if (syncBehind != null) {
            try {
                syncBehind.close();
            } catch (IOException e) {
                LOG.warn("sink={} event=close_interrupted error=\"{}\"", id, e.toString());
            }
        }
        if (!durable && ctx != null) {
            try {
                saveCheckpoint();
            } catch (IOException e) {
                LOG.error("sink={} event=checkpoint_failed phase=close error=\"{}\"", id, e.toString());
            }
        }
    }

    // ---- write -------------------------------------------------------------------------------

    /**
     * With {@code encoding: ndjson} and a path without placeholders, the disk buffer hands over
     * its records undecoded and {@link NdjsonTranscoder} writes them straight from their bytes:
     * no entry objects, about a third less CPU per line than decoding and encoding (README
     * "Performance"). Other encodings and templated paths need the entries.
     */
    @Override
    public boolean acceptsEncoded() {
        return transcoder != null;
    }

    @Override
    public CompletionStage<DeliveryStatus> write(List<Batch> batches) {
        return CompletableFuture.completedFuture(writeBatches(batches));
    }

    private DeliveryStatus writeBatches(List<Batch> batches) {
        Map<Path, Group> groups = new LinkedHashMap<>();
        try {
            return writeBatches(batches, groups);
        } finally {
            returnBuffers(groups);
        }
    }

    private DeliveryStatus writeBatches(List<Batch> batches, Map<Path, Group> groups) {
        // 1. skip what was already written, encode the rest per output file, appending a file's
        //    bytes whenever they reach SPILL_BYTES
        Map<String, Group> byRendered = new HashMap<>();
        long deduplicated = 0;
        String phase = "encode";
        try {
            for (Batch batch : batches) {
                String sourceId = batch.sourceId();
                byte[] record = batch.encoded();
                if (record != null && transcoder != null) {
                    Group g = groups.computeIfAbsent(constantPath, k -> new Group(k, takeBuffer()));
                    int written;
                    try {
                        written = transcoder.write(record, 0, record.length,
                                (stream, position) -> !watermarks.isDuplicate(sourceId, stream, position), g.bytes);
                    } catch (CorruptRecordException e) {
                        // the buffer checked the record's CRC: this is a bug, not damage; decoding reports it the same way
                        throw new IllegalStateException("buffer record " + batch.firstRecord() + " does not decode: "
                                + e.getMessage(), e);
                    }
                    g.events += written;
                    deduplicated += batch.size() - written;
                    spillIfFull(g);
                    continue;
                }
                for (LogEntry e : batch.entries()) {
                    if (watermarks.isDuplicate(sourceId, e)) {
                        deduplicated++;
                        continue;
                    }
                    String rendered = paths.render(e);
                    Group g = byRendered.get(rendered);
                    if (g == null) {
                        Path path = baseDir.resolve(rendered).normalize();
                        g = groups.computeIfAbsent(path, k -> new Group(k, takeBuffer()));
                        byRendered.put(rendered, g);
                    }
                    encoder.encode(e, g.bytes);
                    g.events++;
                    spillIfFull(g);
                }
            }

            // 2. the checkpoint must know every file about to grow, at its current length
            //    (files that spilled are known already)
            phase = "prepare";
            for (Group g : groups.values()) {
                if (g.file == null) {
                    prepare(g);
                }
            }
            if (!durable) {
                saveCheckpoint();
            }
        } catch (SpillFailed e) {
            return failed(groups, "append", e.group.path, (Exception) e.getCause());
        } catch (IOException | RuntimeException e) {
            return failed(groups, phase, null, e);
        }

        // 3. append the rest and fsync; on any failure cut every file of this write back. A
        //    background fsync's error counts as ours: the kernel reports it only once.
        if (syncBehind != null) {
            IOException behind;
            try {
                syncBehind.quiesce();
                behind = syncBehind.takeError();
            } catch (IOException e) {
                behind = e;
            }
            if (behind != null) {
                return failed(groups, "fsync", null, behind);
            }
        }
        for (Group g : groups.values()) {
            try {
                append(g);
                if (config.fsync()) {
                    g.file.channel.force(false);
                }
            } catch (IOException | RuntimeException e) {
                return failed(groups, "append", g.path, e);
            }
        }

        // 4. commit in memory, then durably
        long events = 0;
        long bytes = 0;
        for (Group g : groups.values()) {
            g.file.committed += g.appended;
            events += g.events;
            bytes += g.appended;
        }
        watermarks.commit();
        forgetOldFiles(groups);
        if (!groups.isEmpty()) {
            durable = false;
        }
        eventsOut.add(events);
        bytesOut.add(bytes);
        eventsDeduplicated.add(deduplicated);
        if (deduplicated > 0) {
            LOG.info("sink={} event=duplicates_skipped entries={} written={}", id, deduplicated, events);
        }
        if (!durable) {
            try {
                saveCheckpoint();
            } catch (IOException e) {
                // the bytes are fsynced and the state stays in memory: the retry only saves again
                LOG.error("sink={} event=checkpoint_failed phase=commit error=\"{}\" action=retry", id, e.toString());
                return DeliveryStatus.ERRORED;
            }
        }
        return DeliveryStatus.DELIVERED;
    }

    /** A failed write: every file it appended to is cut back, the watermarks roll back; the runner retries. */
    private DeliveryStatus failed(Map<Path, Group> groups, String phase, Path path, Exception e) {
        if (path == null) {
            LOG.error("sink={} event=write_failed phase={} error=\"{}\" action=retry", id, phase, e.toString());
        } else {
            LOG.error("sink={} event=write_failed phase={} path={} error=\"{}\" action=truncate_and_retry",
                    id, phase, path, e.toString());
        }
        if (syncBehind != null) {
            try {
                syncBehind.quiesce(); // no fsync may run while the files are cut back
            } catch (IOException ignored) {
                // interrupted: cut back anyway; a sync still running only syncs what is cut
            }
            syncBehind.takeError(); // this write fails anyway
        }
        List<Group> touched = new ArrayList<>();
        for (Group g : groups.values()) {
            if (g.file != null) { // looked at, so possibly appended to (a failed append may have written part)
                touched.add(g);
            }
        }
        undo(touched);
        watermarks.rollback();
        return DeliveryStatus.ERRORED;
    }

    /** An append while encoding failed (see {@link #spillIfFull}). */
    private static final class SpillFailed extends Exception {
        final Group group;

        SpillFailed(Group group, Exception cause) {
            super(cause);
            this.group = group;
        }
    }

    /**
     * Appends a group's bytes once they reach {@link #SPILL_BYTES}, so a write's encoding buffer
     * stays small (and in the CPU cache) however much the write holds. The first spill of a file
     * looks at it and saves the checkpoint first, as step 2 of a write does.
     */
    private void spillIfFull(Group g) throws SpillFailed {
        if (g.bytes.length() < SPILL_BYTES) {
            return;
        }
        try {
            if (g.file == null) {
                prepare(g);
                if (!durable) {
                    saveCheckpoint();
                }
            }
            append(g);
            if (syncBehind != null) {
                syncBehind.request(g.file.channel); // the write's own fsync then waits for less
            }
        } catch (IOException | RuntimeException e) {
            throw new SpillFailed(g, e);
        }
    }

    /**
     * Looks at a file about to be written: remembers a file not seen before, notices a file
     * rotated, replaced or resized behind the sink's back and adopts its current length (the
     * caller then saves the checkpoint if anything it would say changed). Writes no data.
     */
    private void prepare(Group g) throws IOException {
        {
            TrackedFile f = files.get(g.path);
            if (f == null) {
                f = new TrackedFile(g.path);
                files.put(g.path, f);
            }
            g.file = f;
            if (f.needsTruncate) {
                truncateToCommitted(f);
            }
            BasicFileAttributes attrs;
            try {
                attrs = Files.readAttributes(f.path, BasicFileAttributes.class);
            } catch (NoSuchFileException e) {
                attrs = null;
            }
            if (attrs == null) {
                if (f.channel != null || f.committed > 0) {
                    LOG.info("sink={} event=file_gone path={} committed={} action=create", id, f.path, f.committed);
                    closeChannel(f);
                }
                adoptLength(f, 0);
                return;
            }
            if (!attrs.isRegularFile()) {
                throw new IOException(f.path + " is not a regular file");
            }
            if (f.channel != null && !Objects.equals(attrs.fileKey(), f.fileKey)) {
                LOG.info("sink={} event=file_replaced path={} action=reopen", id, f.path);
                closeChannel(f);
            }
            if (f.committed < 0 && attrs.size() > 0) {
                LOG.info("sink={} event=appending_to_existing_file path={} size={}", id, f.path, attrs.size());
            } else if (f.committed >= 0 && attrs.size() != f.committed) {
                LOG.warn("sink={} event=file_changed_outside path={} committed={} size={} action=adopt_size", id,
                        f.path, f.committed, attrs.size());
            }
            adoptLength(f, attrs.size());
        }
    }

    private void adoptLength(TrackedFile f, long length) {
        if (f.committed != length) {
            f.committed = length;
            durable = false;
        }
    }

    /**
     * Appends a group's encoded bytes after what the write appended so far (at first, the file's
     * committed length) and empties its buffer. Does not fsync.
     */
    private void append(Group g) throws IOException {
        TrackedFile f = g.file;
        FileChannel ch = channelFor(f);
        long pos = f.committed + g.appended;
        if (ch.size() != pos) {
            throw new IOException("file changed while being written: expected " + pos + " bytes, found " + ch.size());
        }
        byte[] arr = g.bytes.array();
        int off = 0;
        int end = g.bytes.length();
        // g.appended counts what reached the file, so a failure part way is cut back too
        while (off < end) {
            int n = ch.write(HeapChannelIo.chunk(arr, off, end), pos);
            pos += n;
            off += n;
            g.appended += n;
        }
        g.bytes.reset();
    }

    private ByteBuilder takeBuffer() {
        ByteBuilder b = bufferPool.pollFirst();
        return b != null ? b : new ByteBuilder(64 * 1024);
    }

    private void returnBuffers(Map<Path, Group> groups) {
        for (Group g : groups.values()) {
            if (bufferPool.size() < MAX_POOLED_BUFFERS && g.bytes.array().length <= MAX_POOLED_BYTES) {
                g.bytes.reset();
                bufferPool.addFirst(g.bytes);
            }
        }
    }

    /** Cuts every file of a failed write back to its committed length. */
    private void undo(List<Group> groups) {
        for (Group g : groups) {
            TrackedFile f = g.file;
            try {
                truncateToCommitted(f);
            } catch (IOException | RuntimeException e) {
                f.needsTruncate = true;
                closeChannel(f);
                LOG.error("sink={} event=truncate_failed path={} committed={} error=\"{}\" action=retry_before_next_write",
                        id, f.path, f.committed, e.toString());
            }
        }
    }

    private void truncateToCommitted(TrackedFile f) throws IOException {
        if (f.channel != null) {
            cut(f.channel, f);
        } else if (Files.exists(f.path)) {
            try (FileChannel ch = FileChannel.open(f.path, StandardOpenOption.WRITE)) {
                cut(ch, f);
            }
        }
        f.needsTruncate = false;
    }

    private void cut(FileChannel ch, TrackedFile f) throws IOException {
        if (f.committed >= 0 && ch.size() > f.committed) {
            ch.truncate(f.committed);
            if (config.fsync()) {
                ch.force(false);
            }
        }
    }

    // ---- open files --------------------------------------------------------------------------

    /** The open channel of a file, opening (and creating) it if needed, closing the least recently written beyond the limit. */
    private FileChannel channelFor(TrackedFile f) throws IOException {
        if (f.channel != null) {
            open.get(f.path); // mark as most recently used
            return f.channel;
        }
        while (open.size() >= config.maxOpenFiles()) {
            closeChannel(open.values().iterator().next());
        }
        Path parent = f.path.getParent();
        if (parent != null) {
            createDirectories(parent);
        }
        boolean existed = Files.exists(f.path);
        FileChannel ch = opener.open(f.path);
        try {
            f.fileKey = Files.readAttributes(f.path, BasicFileAttributes.class).fileKey();
            if (!existed && config.fsync() && parent != null) {
                CheckpointStore.fsyncDirectory(parent); // the new name must survive a crash too
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        f.channel = ch;
        open.put(f.path, f);
        openCount = open.size();
        return ch;
    }

    /** Creates missing directories one by one, fsyncing each parent so the new entries are durable. */
    private void createDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.getParent();
        if (parent != null) {
            createDirectories(parent);
        }
        try {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            if (Files.isDirectory(dir)) {
                return; // created meanwhile
            }
            throw e;
        }
        if (config.fsync() && parent != null) {
            CheckpointStore.fsyncDirectory(parent);
        }
    }

    private void closeChannel(TrackedFile f) {
        FileChannel ch = f.channel;
        if (ch == null) {
            return;
        }
        if (syncBehind != null) {
            try {
                syncBehind.quiesce(); // a background fsync may be running on this channel; its error stays for the write
            } catch (IOException e) {
                LOG.warn("sink={} event=close_interrupted path={} error=\"{}\"", id, f.path, e.toString());
            }
        }
        f.channel = null;
        f.fileKey = null;
        open.remove(f.path);
        openCount = open.size();
        try {
            ch.close();
        } catch (IOException e) {
            LOG.warn("sink={} event=close_failed path={} error=\"{}\"", id, f.path, e.toString());
        }
    }

    /** Forgets the least recently written files beyond the bound, never one of the current write. */
    private void forgetOldFiles(Map<Path, Group> current) {
        for (Iterator<TrackedFile> it = files.values().iterator(); files.size() > maxTrackedFiles && it.hasNext(); ) {
            TrackedFile f = it.next();
            if (current.containsKey(f.path)) {
                break; // everything after it was written more recently still
            }
            if (f.needsTruncate) {
                continue;
            }
            closeChannel(f);
            it.remove();
            durable = false;
        }
    }

    // ---- checkpoint --------------------------------------------------------------------------

    /**
     * Saves the state:
     * <pre>{@code
     * {"files":   [{"path": "/var/log/remote/web-01/nginx.log", "length": 1234}, ...],
     *  "streams": [{"source": "nginx", "stream": "file:2049:1234", "position": 987}, ...]}
     * }</pre>
     * Both lists are least recently written first, so that the order survives a restart.
     */
    private void saveCheckpoint() throws IOException {
        CheckpointStore store = ctx.checkpoints();
        ObjectNode state = store.json().createObjectNode();
        ArrayNode fileList = state.putArray("files");
        for (TrackedFile f : files.values()) {
            if (f.committed >= 0) {
                fileList.addObject().put("path", f.path.toString()).put("length", f.committed);
            }
        }
        ArrayNode streamList = state.putArray("streams");
        watermarks.forEach((source, stream, position) ->
                streamList.addObject().put("source", source).put("stream", stream).put("position", position));
        store.save(checkpointName, state);
        durable = true;
    }
}
