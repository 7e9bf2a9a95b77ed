package io.hakobu.core.buffer;

import io.hakobu.core.codec.ByteBuilder;
import io.hakobu.core.event.LogEntry;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage engine of one sink's disk buffer: append-only segment files, a ledger of the
 * acknowledged position, recovery, and a sequential reader.
 *
 * <h2>Files</h2>
 * Under its directory ({@code data_dir/buffer/<sink id>/}): segments {@code <base seq>.seg}
 * (format in {@link SegmentFile}), the {@code ledger} (the highest record sequence number whose
 * entries the sink has acknowledged), and {@code quarantine/} for damaged segments.
 *
 * <h2>Threads</h2>
 * One <em>writer</em> thread calls {@link #append}, {@link #flush}, {@link #sync} and
 * {@link #roll}; one <em>reader</em> thread calls {@link #read} and {@link #skipTo}; acknowledgements
 * ({@link #ack}) come in sequence order from any one thread at a time. Sizes and positions are
 * readable from any thread.
 *
 * <h2>Rules that keep data safe</h2>
 * <ul>
 *   <li>A record is durable, and only then readable ({@link #syncedSeq()}), once {@link #sync}
 *       returned after the {@link #flush} that wrote it. Callers acknowledge sources only after
 *       sync, and a sink never sees a record that a power loss could take back: a record number,
 *       once read, always stands for the same contents.</li>
 *   <li>A segment file is deleted only when it is sealed (no longer written) and every record in it
 *       is acknowledged.</li>
 *   <li>Sequence numbers never go backwards, across restarts too: the next one is above both the
 *       last record on disk and the ledger.</li>
 *   <li>Recovery truncates a torn tail (a crash during a write: those records were never
 *       acknowledged to a source, which will send them again) and quarantines a segment damaged
 *       in the middle: the file is copied to {@code quarantine/} with a description of the damage,
 *       and the segment is rewritten with its good records, so everything else is delivered.</li>
 * </ul>
 */
public final class DiskBuffer implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(DiskBuffer.class);
    /** A record payload is cut at roughly this size; a batch larger than that becomes several records. */
    static final int TARGET_RECORD_BYTES = 4 << 20;
    private static final long LEDGER_SAVE_INTERVAL_NANOS = 500_000_000L;

    /**
     * Settings.
     *
     * @param maxBytes the most bytes the segment files may take together
     * @param segmentBytes a segment is sealed and a new one begun once it reaches this size
     */
    public record Options(long maxBytes, long segmentBytes) {
        public Options {
            if (maxBytes < 1 || segmentBytes < SegmentFile.HEADER_BYTES + 1) {
                throw new IllegalArgumentException("bad buffer limits: max_bytes=" + maxBytes + " segment_bytes=" + segmentBytes);
            }
        }
    }

    /** What recovery found and did. */
    public record Recovery(int segments, long records, long entries, long tornTailBytes, int quarantinedSegments,
            long damagedBytes, long missingRecords, List<String> problems) { }

    /**
     * A record read back: decoded {@code entries}, or, from {@link #read(boolean) read(true)}, the
     * verified payload as it is on disk ({@code encoded}, {@code count} entries; entries empty).
     */
    public record ReadRecord(long seq, String sourceId, List<LogEntry> entries, long payloadBytes, byte[] encoded, int count) {
        public ReadRecord(long seq, String sourceId, List<LogEntry> entries, long payloadBytes) {
            this(seq, sourceId, entries, payloadBytes, null, entries.size());
        }
    }

    /** The records a batch became (see {@link #append}). */
    public record Appended(long firstSeq, long lastSeq, long payloadBytes) { }

    static final class Segment {
        final long base;
        final Path path;
        /** Bytes handed to the OS (readable). */
        volatile long size;
        /** The last record flushed, base - 1 if none. */
        volatile long lastSeq;
        volatile boolean sealed;
        FileChannel channel; // writer only; null once sealed

        Segment(long base, Path path, long size, long lastSeq) {
            this.base = base;
            this.path = path;
            this.size = size;
            this.lastSeq = lastSeq;
        }
    }

    private final Path dir;
    private final Options options;
    private final Recovery recovery;
    private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
    private final AtomicLong diskBytes = new AtomicLong();
    private final AtomicLong unackedEntries = new AtomicLong();
    private final AtomicLong unackedPayloadBytes = new AtomicLong();
    private final Ledger ledger;

    // writer state
    private final RecordCodec writeCodec = new RecordCodec();
    private final ByteBuilder pending = new ByteBuilder(1 << 20);
    /** Per record in {@link #pending}: where it ends in pending, its seq, entries and payload length. */
    private long[] pendingEnds = new long[64];
    private long[] pendingSeqs = new long[64];
    private long[] pendingCounts = new long[64];
    private long[] pendingLens = new long[64];
    private int pendingRecords;
    private Segment active;
    private long nextSeq;
    private volatile long writtenSeq;
    private volatile long syncedSeq;
    private volatile boolean dirty;
    /** Size of the active segment at its last successful sync, and what was written to it since. */
    private long activeSyncedSize;
    private long unsyncedEntries;
    private long unsyncedPayload;
    /** Tests only: fails a sync on demand. */
    volatile SyncFault syncFault;

    interface SyncFault {
        void check() throws IOException;
    }

    // ack state
    private volatile long ackedSeq;
    private long lastLedgerSave;

    // reader state
    private final RecordCodec readCodec = new RecordCodec();
    private long readNext;
    private Segment readSegment;
    private FileChannel readChannel;
    private long readOffset;
    private final ByteBuffer frame = ByteBuffer.allocate(SegmentFile.FRAME_BYTES);
    private final ByteBuffer seqBuf = ByteBuffer.allocate(8);
    private final AtomicLong readCorruptions = new AtomicLong();

    private boolean closed;

    private DiskBuffer(Path dir, Options options) throws IOException {
        this.dir = dir;
        this.options = options;
        Files.createDirectories(dir);
        this.ledger = new Ledger(dir.resolve("ledger"));
        long acked = ledger.load();
        this.recovery = recover(acked);
        long lastOnDisk = segments.isEmpty() ? acked : Math.max(acked, segments.lastEntry().getValue().lastSeq);
        this.ackedSeq = Math.max(acked, segments.isEmpty() ? acked : segments.firstKey() - 1);
        this.nextSeq = lastOnDisk + 1;
        this.writtenSeq = lastOnDisk;
        this.syncedSeq = lastOnDisk;
        this.readNext = ackedSeq + 1;
        deleteAckedSegments();
    }

    /** Opens (creating if needed) the buffer in {@code dir} and recovers it. */
    public static DiskBuffer open(Path dir, Options options) throws IOException {
        return new DiskBuffer(dir, options);
    }

    public Recovery recovery() {
        return recovery;
    }

    // ---- recovery ----------------------------------------------------------------------------

    private Recovery recover(long acked) throws IOException {
        TreeMap<Long, Path> files = listSegments(dir);
        List<String> problems = new ArrayList<>();
        long tornBytes = 0;
        long damagedBytes = 0;
        long missing = 0;
        int quarantined = 0;
        long records = 0;
        long entries = 0;
        for (Map.Entry<Long, Path> f : files.entrySet()) {
            Path path = f.getValue();
            boolean isLast = f.getKey().equals(files.lastKey());
            SegmentFile.Scan scan = SegmentFile.scan(path, f.getKey());
            if (!scan.headerOk()) {
                if (isLast && scan.records().isEmpty() && scan.size() < SegmentFile.HEADER_BYTES) {
                    // created but never written: a crash between create and the first write
                    tornBytes += scan.size();
                    Files.delete(path);
                    problems.add(path.getFileName() + ": removed an unfinished segment (" + scan.size() + " bytes)");
                    continue;
                }
                quarantine(path, "unreadable segment header (" + scan.tornTailReason() + ")", scan);
                quarantined++;
                damagedBytes += scan.size();
                problems.add(path.getFileName() + ": header unreadable; segment quarantined");
                continue;
            }
            if (scan.baseSeq() != f.getKey()) {
                problems.add(path.getFileName() + ": header base " + scan.baseSeq() + " differs from the file name");
            }
            boolean rewrite = false;
            if (!scan.damage().isEmpty()) {
                rewrite = true;
                for (SegmentFile.Damage d : scan.damage()) {
                    damagedBytes += d.length();
                }
                missing += scan.missingRecords();
            }
            if (scan.tornTailOffset() >= 0) {
                long torn = scan.size() - scan.tornTailOffset();
                if (isLast) {
                    tornBytes += torn;
                    problems.add(path.getFileName() + ": truncated a torn tail of " + torn + " bytes at offset "
                            + scan.tornTailOffset() + " (" + scan.tornTailReason() + ")");
                    if (!rewrite) {
                        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
                            ch.truncate(scan.tornTailOffset());
                            ch.force(true);
                        }
                    }
                } else {
                    // a sealed segment must end on a record boundary: its end was lost
                    rewrite = true;
                    damagedBytes += torn;
                    Long nextBase = files.higherKey(f.getKey());
                    if (nextBase != null && nextBase > scan.lastSeq() + 1) {
                        missing += nextBase - scan.lastSeq() - 1;
                    }
                }
            }
            if (rewrite) {
                String what = scan.damage().size() + " damaged region(s), " + scan.missingRecords() + " record(s) lost";
                quarantine(path, what, scan);
                rewriteGood(path, scan);
                quarantined++;
                problems.add(path.getFileName() + ": " + what + "; original moved to quarantine/, good records kept");
            }
            long size = Files.size(path);
            Segment s = new Segment(scan.baseSeq(), path, size, scan.lastSeq());
            s.sealed = true; // the writer starts a fresh segment
            segments.put(s.base, s);
            diskBytes.addAndGet(size);
            for (SegmentFile.RecordInfo r : scan.records()) {
                records++;
                entries += r.entries();
                if (r.seq() > acked) {
                    unackedEntries.addAndGet(r.entries());
                    unackedPayloadBytes.addAndGet(r.length());
                }
            }
        }
        if (!problems.isEmpty()) {
            fsyncDir(dir);
        }
        return new Recovery(segments.size(), records, entries, tornBytes, quarantined, damagedBytes, missing, List.copyOf(problems));
    }

    static TreeMap<Long, Path> listSegments(Path dir) throws IOException {
        TreeMap<Long, Path> files = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return files;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SegmentFile.SUFFIX)) {
            for (Path p : ds) {
                long base = SegmentFile.baseOf(p.getFileName().toString());
                if (base >= 0 && Files.isRegularFile(p)) {
                    files.put(base, p);
                }
            }
        }
        return files;
    }

    private void quarantine(Path path, String what, SegmentFile.Scan scan) throws IOException {
        Path qdir = dir.resolve("quarantine");
        Files.createDirectories(qdir);
        String stamp = Instant.now().toString().replace(':', '-');
        Path copy = qdir.resolve(path.getFileName() + "." + stamp);
        Files.copy(path, copy, StandardCopyOption.REPLACE_EXISTING);
        StringBuilder json = new StringBuilder();
        json.append("{\"version\":1,\"segment\":\"").append(path.getFileName()).append("\",\"quarantined_at\":\"")
                .append(Instant.now()).append("\",\"what\":\"").append(what.replace("\"", "'"))
                .append("\",\"good_records\":").append(scan.records().size())
                .append(",\"missing_records\":").append(scan.missingRecords())
                .append(",\"damage\":[");
        for (int i = 0; i < scan.damage().size(); i++) {
            SegmentFile.Damage d = scan.damage().get(i);
            json.append(i > 0 ? "," : "").append("{\"offset\":").append(d.offset()).append(",\"length\":").append(d.length())
                    .append(",\"reason\":\"").append(d.reason().replace("\"", "'")).append("\"}");
        }
        json.append("],\"torn_tail_offset\":").append(scan.tornTailOffset()).append("}\n");
        Files.writeString(qdir.resolve(copy.getFileName() + ".json"), json.toString());
        fsyncDir(qdir);
        if (!scan.headerOk()) {
            Files.delete(path);
        }
        log.error("event=buffer_quarantine dir={} segment={} what=\"{}\" copy={}", dir, path.getFileName(), what, copy);
    }

    /** Rewrites {@code path} with only its good records (tmp file, fsync, rename). */
    private static void rewriteGood(Path path, SegmentFile.Scan scan) throws IOException {
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        try (FileChannel in = FileChannel.open(path, StandardOpenOption.READ);
                FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(out, ByteBuffer.wrap(SegmentFile.header(scan.baseSeq())));
            for (SegmentFile.RecordInfo r : scan.records()) {
                long n = SegmentFile.FRAME_BYTES + (long) r.length();
                long done = 0;
                while (done < n) {
                    done += in.transferTo(r.offset() + done, n - done, out);
                }
            }
            out.force(true);
        }
        try {
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    // ---- writer ------------------------------------------------------------------------------

    /**
     * Encodes {@code entries} as one or more records into the write buffer (nothing reaches the
     * disk until {@link #flush}). Writer thread only.
     *
     * @return the sequence numbers given to the records and where the last one will end
     */
    public Appended append(String sourceId, List<LogEntry> entries) throws IOException {
        rollIfFull();
        long first = nextSeq;
        long payloadBytes = 0;
        int from = 0;
        int n = entries.size();
        do {
            int to = recordEnd(entries, from);
            int start = beginRecord();
            long seq = nextSeq;
            writeCodec.encode(seq, sourceId, entries, from, to, pending);
            int len = pending.length() - start - SegmentFile.FRAME_BYTES;
            if (len > SegmentFile.MAX_RECORD_BYTES) {
                // only a single entry can be this large (records are cut at entry boundaries)
                rollbackAppend(first); // also cuts the write buffer back to before this call
                throw new OversizeException("an entry of " + len + " bytes exceeds the buffer's record limit of "
                        + SegmentFile.MAX_RECORD_BYTES + " bytes");
            }
            sealRecord(start, seq, to - from, len);
            payloadBytes += len;
            nextSeq++;
            from = to;
        } while (from < n);
        return new Appended(first, nextSeq - 1, payloadBytes);
    }

    /**
     * Where the record starting at {@code entries[from]} ends: it takes entries while their size
     * estimates add up to {@link #TARGET_RECORD_BYTES}, and at least one.
     */
    private static int recordEnd(List<LogEntry> entries, int from) {
        int n = entries.size();
        int to = from;
        long estimate = 0;
        while (to < n && (to == from || estimate + entries.get(to).sizeEstimate() <= TARGET_RECORD_BYTES)) {
            estimate += entries.get(to).sizeEstimate();
            to++;
        }
        return to;
    }

    /** A source thread's encoder for {@link #encodeAhead}. */
    private static final ThreadLocal<RecordCodec> AHEAD = ThreadLocal.withInitial(RecordCodec::new);

    /**
     * Encodes {@code entries} into record payloads on the caller's thread, cut as
     * {@link #append(String, List)} cuts them, for {@link #append(String, List, Supplier)} to store
     * by copying: a source thread (which waits for the buffer's writer much of the time on a busy
     * agent) does the encoding, and the writer, which also waits for its fsyncs, only copies,
     * reheads and checksums. The payloads share {@code out}'s array (emptied first; it must not be
     * reused while they are); their sequence numbers are 0 until stored. Any thread.
     */
    public static List<RecordCodec.Region> encodeAhead(String sourceId, List<LogEntry> entries, ByteBuilder out) {
        RecordCodec codec = AHEAD.get();
        out.reset();
        int n = entries.size();
        List<int[]> bounds = new ArrayList<>(1);
        int from = 0;
        while (from < n) {
            int to = recordEnd(entries, from);
            int start = out.length();
            codec.encode(0, sourceId, entries, from, to, out);
            bounds.add(new int[] {start, out.length() - start});
            from = to;
        }
        byte[] buf = out.array();
        List<RecordCodec.Region> regions = new ArrayList<>(bounds.size());
        for (int[] b : bounds) {
            regions.add(new RecordCodec.Region(buf, b[0], b[1], null));
        }
        return regions;
    }

    /**
     * Like {@link #append(String, List)}, for entries that arrived as the record payloads
     * {@code regions} (their concatenation): each becomes one record with a new header and its
     * streams prefixed (see {@link RecordCodec#writeReheaded}), the entries copied as they are
     * instead of being encoded again. Falls back to encoding the {@code entries} (asked for only
     * then) when a region would exceed the record limit or does not hold a well-formed header.
     * Writer thread only.
     */
    public Appended append(String sourceId, List<RecordCodec.Region> regions, Supplier<List<LogEntry>> entries)
            throws IOException {
        if (regions.isEmpty()) {
            return append(sourceId, entries.get());
        }
        rollIfFull();
        long first = nextSeq;
        long payloadBytes = 0;
        for (RecordCodec.Region r : regions) {
            int start = beginRecord();
            long seq = nextSeq;
            int len = -1;
            try {
                RecordCodec.writeReheaded(pending, seq, sourceId, r.streamPrefix(), r.buf(), r.offset(), r.length());
                len = pending.length() - start - SegmentFile.FRAME_BYTES;
            } catch (CorruptRecordException e) {
                // not expected (the regions were decoded on receipt): encode the entries instead
            }
            if (len < 0 || len > SegmentFile.MAX_RECORD_BYTES) {
                rollbackAppend(first); // also cuts the write buffer back to before this call
                return append(sourceId, entries.get()); // encodes, and splits what is too large, as usual
            }
            sealRecord(start, seq, r.count(), len);
            payloadBytes += len;
            nextSeq++;
        }
        return new Appended(first, nextSeq - 1, payloadBytes);
    }

    /** Starts a new segment when the active one is full: before encoding anything, so a failure leaves no half-appended batch. */
    private void rollIfFull() throws IOException {
        ensureActive();
        if (active.size > SegmentFile.HEADER_BYTES && active.size + pending.length() >= options.segmentBytes()) {
            roll();
            ensureActive();
        }
    }

    /** Starts a record in the write buffer: room for its frame (length, CRC), filled by {@link #sealRecord}. */
    private int beginRecord() {
        int start = pending.length();
        pending.write(0).write(0).write(0).write(0).write(0).write(0).write(0).write(0);
        return start;
    }

    /** Fills in the frame of the record at {@code start} ({@code len} payload bytes) and registers it as pending. */
    private void sealRecord(int start, long seq, int count, int len) {
        byte[] a = pending.array();
        putInt(a, start, len);
        putInt(a, start + 4, SegmentFile.crc(a, start + SegmentFile.FRAME_BYTES, len));
        if (pendingRecords == pendingEnds.length) {
            int cap = pendingRecords * 2;
            pendingEnds = java.util.Arrays.copyOf(pendingEnds, cap);
            pendingSeqs = java.util.Arrays.copyOf(pendingSeqs, cap);
            pendingCounts = java.util.Arrays.copyOf(pendingCounts, cap);
            pendingLens = java.util.Arrays.copyOf(pendingLens, cap);
        }
        pendingEnds[pendingRecords] = pending.length();
        pendingSeqs[pendingRecords] = seq;
        pendingCounts[pendingRecords] = count;
        pendingLens[pendingRecords] = len;
        pendingRecords++;
    }

    /** A batch holds an entry too large for one record; nothing of the batch was appended. */
    public static final class OversizeException extends IOException {
        private static final long serialVersionUID = 1L;

        OversizeException(String message) {
            super(message);
        }
    }

    /** Forgets the records of the current {@link #append} call (those with sequence numbers from {@code first}). */
    private void rollbackAppend(long first) {
        while (pendingRecords > 0 && pendingSeqs[pendingRecords - 1] >= first) {
            pendingRecords--;
        }
        pending.truncate(pendingRecords == 0 ? 0 : (int) pendingEnds[pendingRecords - 1]);
        nextSeq = first;
    }

    /** Bytes encoded by {@link #append} and not yet flushed. */
    public int pendingBytes() {
        return pending.length();
    }

    /**
     * Writes what {@link #append} encoded to the active segment (to the OS, not yet durable).
     * On failure (e.g. ENOSPC) the records that were written whole are kept (and become readable),
     * the segment is cut back to the end of the last of them, and the rest stays encoded for the
     * next attempt. Writer thread only.
     */
    public void flush() throws IOException {
        if (pending.length() == 0) {
            return;
        }
        ensureActive();
        Segment s = active;
        long before = s.size;
        long pos = before;
        try {
            byte[] a = pending.array();
            for (int at = 0, end = pending.length(); at < end; ) {
                int n = s.channel.write(HeapChannelIo.chunk(a, at, end), pos);
                pos += n; // counted as it goes: a failure part way keeps the whole records written
                at += n;
            }
        } catch (IOException e) {
            long done = pos - before;
            int whole = 0;
            while (whole < pendingRecords && pendingEnds[whole] <= done) {
                whole++;
            }
            long keep = whole == 0 ? 0 : pendingEnds[whole - 1];
            try {
                s.channel.truncate(before + keep);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
                keep = 0;
                whole = 0;
                try {
                    s.channel.truncate(before);
                } catch (IOException ignored) {
                    // the next scan finds a torn tail at worst
                }
            }
            if (whole > 0) {
                commit(s, before, whole, keep);
            }
            if (s.size > SegmentFile.HEADER_BYTES) {
                // seal what was written so that, once acknowledged, the file can be deleted and its
                // space reused: on a full disk that is how the buffer gets going again
                try {
                    s.channel.force(false);
                    markSynced();
                    s.channel.close();
                    s.channel = null;
                    s.sealed = true;
                    active = null;
                    deleteAckedSegments();
                } catch (IOException x) {
                    e.addSuppressed(x);
                }
            }
            throw e;
        }
        commit(s, before, pendingRecords, pending.length());
    }

    /** Publishes the first {@code records} pending records ({@code bytes} long) as written at {@code before}. */
    private void commit(Segment s, long before, int records, long bytes) {
        long entries = 0;
        long payload = 0;
        for (int i = 0; i < records; i++) {
            entries += pendingCounts[i];
            payload += pendingLens[i];
        }
        long lastSeq = pendingSeqs[records - 1];
        s.size = before + bytes;
        diskBytes.addAndGet(bytes);
        unackedEntries.addAndGet(entries);
        unackedPayloadBytes.addAndGet(payload);
        unsyncedEntries += entries;
        unsyncedPayload += payload;
        s.lastSeq = lastSeq;
        writtenSeq = lastSeq; // publishes the records to the reader
        dirty = true;
        int left = pendingRecords - records;
        if (left == 0) {
            pending.reset();
        } else {
            byte[] a = pending.array();
            int rest = pending.length() - (int) bytes;
            System.arraycopy(a, (int) bytes, a, 0, rest);
            pending.truncate(rest);
            for (int i = 0; i < left; i++) {
                pendingEnds[i] = pendingEnds[i + records] - bytes;
                pendingSeqs[i] = pendingSeqs[i + records];
                pendingCounts[i] = pendingCounts[i + records];
                pendingLens[i] = pendingLens[i + records];
            }
        }
        pendingRecords = left;
    }

    /** Makes everything flushed durable (fdatasync of the active segment). Writer thread only. */
    public void sync() throws IOException {
        if (!dirty || active == null) {
            markSynced();
            return;
        }
        SyncFault fault = syncFault;
        if (fault != null) {
            fault.check();
        }
        active.channel.force(false);
        markSynced();
    }

    private void markSynced() {
        dirty = false;
        syncedSeq = writtenSeq;
        if (active != null) {
            activeSyncedSize = active.size;
        }
        unsyncedEntries = 0;
        unsyncedPayload = 0;
    }

    /**
     * After a failed {@link #sync}: Linux may have dropped the dirty pages, and a later fsync can
     * report success for data that is gone ("fsyncgate"), so what was written since the last good
     * sync is not trusted. Cuts the active segment back to its size at that sync and seals it (or
     * deletes it, if nothing in it was synced), and forgets records encoded but not yet written.
     * Sequence numbers are not reused: the caller appends the same batches again, they get new
     * numbers in a new segment, and the numbers in between are a gap the reader steps over. No
     * reader ever saw the discarded records: only synced records are readable. Writer thread only.
     */
    public void discardUnsynced() throws IOException {
        pending.reset();
        pendingRecords = 0;
        Segment s = active;
        if (s != null) {
            active = null;
            long cut = s.size - activeSyncedSize;
            try {
                s.channel.truncate(activeSyncedSize);
                s.channel.force(true);
            } finally {
                s.channel.close();
                s.channel = null;
            }
            diskBytes.addAndGet(-cut);
            s.size = activeSyncedSize;
            s.lastSeq = Math.max(s.base - 1, Math.min(s.lastSeq, syncedSeq));
            if (activeSyncedSize <= SegmentFile.HEADER_BYTES) {
                segments.remove(s.base);
                diskBytes.addAndGet(-s.size);
                Files.deleteIfExists(s.path);
            } else {
                s.sealed = true;
            }
        }
        unackedEntries.addAndGet(-unsyncedEntries);
        unackedPayloadBytes.addAndGet(-unsyncedPayload);
        unsyncedEntries = 0;
        unsyncedPayload = 0;
        writtenSeq = syncedSeq;
        dirty = false;
        deleteAckedSegments();
    }

    /** The last record made durable by {@link #sync} (or found on disk at open): the last readable one. */
    public long syncedSeq() {
        return syncedSeq;
    }

    /**
     * Seals the active segment (synced, closed) and lets the next append begin a new one; deletes
     * segments that are now fully acknowledged. Writer thread only.
     */
    public void roll() throws IOException {
        if (active == null) {
            return;
        }
        flush();
        sync();
        Segment s = active;
        active = null;
        s.channel.close();
        s.channel = null;
        s.sealed = true;
        deleteAckedSegments();
    }

    private void ensureActive() throws IOException {
        if (active != null) {
            return;
        }
        long base = pendingRecords > 0 ? pendingSeqs[0] : nextSeq;
        Path path = dir.resolve(SegmentFile.name(base));
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        try {
            writeFully(ch, ByteBuffer.wrap(SegmentFile.header(base)));
            ch.force(true);
            fsyncDir(dir);
        } catch (IOException e) {
            ch.close();
            Files.deleteIfExists(path);
            throw e;
        }
        Segment s = new Segment(base, path, SegmentFile.HEADER_BYTES, base - 1);
        s.channel = ch;
        segments.put(base, s);
        diskBytes.addAndGet(SegmentFile.HEADER_BYTES);
        active = s;
        activeSyncedSize = SegmentFile.HEADER_BYTES;
    }

    // ---- acknowledgements --------------------------------------------------------------------

    /**
     * Records that the sink finished with every record up to {@code seq}, whose entries and
     * payload bytes are given; deletes segments that are now fully acknowledged. Calls come in
     * sequence order from one thread at a time.
     */
    public void ack(long seq, long entries, long payloadBytes) {
        if (seq <= ackedSeq) {
            return;
        }
        ackedSeq = seq;
        unackedEntries.addAndGet(-entries);
        unackedPayloadBytes.addAndGet(-payloadBytes);
        Map.Entry<Long, Segment> first = segments.firstEntry();
        if (first != null && first.getValue().sealed && first.getValue().lastSeq <= seq) {
            deleteAckedSegments();
        }
        long now = System.nanoTime();
        if (now - lastLedgerSave > LEDGER_SAVE_INTERVAL_NANOS) {
            lastLedgerSave = now;
            saveLedger(false);
        }
    }

    private synchronized void deleteAckedSegments() {
        for (;;) {
            Map.Entry<Long, Segment> first = segments.firstEntry();
            if (first == null) {
                return;
            }
            Segment s = first.getValue();
            if (!s.sealed || s.lastSeq > ackedSeq) {
                return;
            }
            try {
                Files.deleteIfExists(s.path);
            } catch (IOException e) {
                log.warn("event=buffer_delete_failed segment={} error=\"{}\"", s.path, e.toString());
                return;
            }
            segments.remove(s.base);
            diskBytes.addAndGet(-s.size);
        }
    }

    private void saveLedger(boolean durable) {
        try {
            ledger.save(ackedSeq, durable);
        } catch (IOException e) {
            log.warn("event=buffer_ledger_save_failed dir={} error=\"{}\"", dir, e.toString());
        }
    }

    // ---- reader ------------------------------------------------------------------------------

    /**
     * The next record after the last one read (or skipped), or null when every durable record has
     * been read. A record that fails its CRC here (damage after recovery) is skipped, logged and
     * counted ({@link #readCorruptions()}). Reader thread only.
     */
    public ReadRecord read() throws IOException {
        return read(false);
    }

    /**
     * Like {@link #read()}; with {@code encoded}, the record's payload is returned as it is (CRC
     * checked, header parsed, entries not decoded) for a sink that sends records on unchanged.
     */
    public ReadRecord read(boolean encoded) throws IOException {
        while (readNext <= syncedSeq) {
            if (readSegment != null && readSegment.lastSeq < readNext && (readSegment.sealed
                    || !segments.containsKey(readSegment.base))) {
                closeReadChannel(); // everything here was consumed (from memory): find readNext's segment
            }
            if (!positionReader()) {
                return null;
            }
            Segment s = readSegment;
            if (readOffset + SegmentFile.FRAME_BYTES > s.size) {
                if (s.sealed && moveToNextSegment()) {
                    continue;
                }
                return null;
            }
            frame.clear();
            HeapChannelIo.readFully(readChannel, frame, readOffset);
            int len = frame.getInt(0);
            int crc = frame.getInt(4);
            if (len < RecordCodec.COUNT_OFFSET + 4 || len > SegmentFile.MAX_RECORD_BYTES
                    || readOffset + SegmentFile.FRAME_BYTES + len > s.size) {
                corruptAt(s, readOffset, "bad length " + len + "; the rest of the segment is skipped");
                readOffset = s.size;
                if (s.sealed && moveToNextSegment()) {
                    continue;
                }
                return null;
            }
            long start = readOffset;
            seqBuf.clear();
            HeapChannelIo.readFully(readChannel, seqBuf, readOffset + SegmentFile.FRAME_BYTES);
            if (seqBuf.getLong(0) < readNext && seqBuf.getLong(0) >= s.base) {
                readOffset += SegmentFile.FRAME_BYTES + len; // consumed already: skip without reading it
                continue;
            }
            byte[] payload = new byte[len];
            HeapChannelIo.readFully(readChannel, ByteBuffer.wrap(payload), readOffset + SegmentFile.FRAME_BYTES);
            readOffset += SegmentFile.FRAME_BYTES + len;
            if (SegmentFile.crc(payload, 0, len) != crc) {
                corruptAt(s, start, "CRC mismatch");
                continue;
            }
            long seq = RecordCodec.seqOf(payload, 0);
            if (seq < readNext) {
                continue; // acknowledged before a restart
            }
            String source;
            List<LogEntry> entries = List.of();
            try {
                if (encoded) {
                    source = readCodec.sourceOf(payload, len); // the entries stay encoded
                } else {
                    RecordCodec.Decoded d = readCodec.decode(payload, len);
                    source = d.sourceId();
                    entries = d.entries();
                }
            } catch (CorruptRecordException e) {
                corruptAt(s, start, e.getMessage());
                readNext = seq + 1;
                continue;
            }
            readNext = seq + 1;
            return encoded ? new ReadRecord(seq, source, entries, len, payload, RecordCodec.countOf(payload, 0))
                    : new ReadRecord(seq, source, entries, len);
        }
        return null;
    }

    /**
     * Records that the reader consumed every record up to {@code seq} by other means (from
     * memory); the next {@link #read} continues after it, finding its place on disk by sequence.
     */
    public void skipTo(long seq) {
        readNext = Math.max(readNext, seq + 1);
    }

    /** The next sequence number the reader will return. */
    public long readNext() {
        return readNext;
    }

    /** Records found damaged while reading (after recovery). */
    public long readCorruptions() {
        return readCorruptions.get();
    }

    private boolean positionReader() throws IOException {
        if (readSegment != null) {
            return true;
        }
        Map.Entry<Long, Segment> e = segments.floorEntry(readNext);
        if (e == null) {
            e = segments.ceilingEntry(readNext);
        }
        if (e == null) {
            return false;
        }
        readSegment = e.getValue();
        readChannel = FileChannel.open(readSegment.path, StandardOpenOption.READ);
        readOffset = SegmentFile.HEADER_BYTES;
        return true;
    }

    /** Moves the reader to the segment after the current one; false (staying put) when there is none yet. */
    private boolean moveToNextSegment() throws IOException {
        Map.Entry<Long, Segment> next = segments.higherEntry(readSegment.base);
        if (next == null) {
            return false;
        }
        closeReadChannel();
        readSegment = next.getValue();
        readChannel = FileChannel.open(readSegment.path, StandardOpenOption.READ);
        readOffset = SegmentFile.HEADER_BYTES;
        if (readNext < readSegment.base) {
            readNext = readSegment.base;
        }
        return true;
    }

    private void corruptAt(Segment s, long offset, String why) {
        readCorruptions.incrementAndGet();
        log.error("event=buffer_record_damaged dir={} segment={} offset={} reason=\"{}\" action=skip", dir,
                s.path.getFileName(), offset, why);
    }

    private void closeReadChannel() {
        if (readChannel != null) {
            try {
                readChannel.close();
            } catch (IOException ignored) {
                // read-only
            }
            readChannel = null;
        }
        readSegment = null;
    }

    // ---- sizes -------------------------------------------------------------------------------

    /** Bytes the segment files take (what {@link Options#maxBytes()} limits). */
    public long diskBytes() {
        return diskBytes.get();
    }

    /** Entries written and not yet acknowledged. */
    public long unackedEntries() {
        return unackedEntries.get();
    }

    /** Payload bytes written and not yet acknowledged. */
    public long unackedBytes() {
        return unackedPayloadBytes.get();
    }

    public int segmentCount() {
        return segments.size();
    }

    /** True when every record written has been acknowledged. */
    public boolean fullyAcked() {
        return ackedSeq >= writtenSeq;
    }

    /** The last record a reader may read: {@link #syncedSeq()}. */
    public long readableSeq() {
        return syncedSeq;
    }

    /** Flushes, syncs, saves the ledger durably and closes files. Writer and reader must have stopped. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        IOException failure = null;
        try {
            if (active != null) {
                flush();
                sync();
                active.channel.close();
                active.channel = null;
            }
        } catch (IOException e) {
            failure = e;
        }
        closeReadChannel();
        try {
            ledger.save(ackedSeq, true);
        } catch (IOException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    static void putInt(byte[] a, int off, int v) {
        a[off] = (byte) (v >>> 24);
        a[off + 1] = (byte) (v >>> 16);
        a[off + 2] = (byte) (v >>> 8);
        a[off + 3] = (byte) v;
    }

    private static void writeFully(FileChannel ch, ByteBuffer bb) throws IOException {
        while (bb.hasRemaining()) {
            ch.write(bb);
        }
    }

    static void fsyncDir(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // some filesystems refuse directory fsync; the rename is still atomic
        }
    }
}
