package io.hakobu.daemon.source.file;

import io.hakobu.core.event.EntryId;
import io.hakobu.core.event.LogEntry;
import io.hakobu.core.pipeline.Batch;
import io.hakobu.core.pipeline.BatchAck;
import io.hakobu.core.pipeline.DeliveryStatus;
import io.hakobu.core.pipeline.OrderedAcker;
import io.hakobu.core.pipeline.SourceContext;
import io.hakobu.core.telemetry.Counter;
import io.hakobu.daemon.source.LineEntries;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one file from an offset, splits it into lines ({@code \n}; a trailing {@code \r} is left
 * to the parsers), optionally joins lines into multi-line entries, and emits batches. A last line
 * without its newline is held back until it is complete (or until the file is truncated or let
 * go: then it is emitted as it is, never dropped).
 *
 * <h2>Identity and streams</h2>
 * The file is {@code <dev>:<ino>} ({@link #key()}) plus a {@link Fingerprint} of its first bytes.
 * Its entries belong to a stream {@code file:<dev>:<ino>:<anchor>[#<generation>]}: the anchor
 * (CRC32C of the first line) makes a reused inode a new stream even when the checkpoint has
 * forgotten the old file, and the generation counts truncations (new content at old offsets).
 * Streams of checkpoints written before fingerprints keep their old name {@code file:<dev>:<ino>[#g]}.
 *
 * <h2>Positions</h2>
 * An entry's position is the offset just after its last line. The position registered with the
 * acknowledger for a batch never passes the first byte of a multi-line entry still being built,
 * so a crash re-reads that entry whole.
 *
 * <p>Used only by its source's thread, except {@link #checkpointState()} and the gauges.
 */
final class FileTail {
    private static final Logger LOG = LoggerFactory.getLogger(FileTail.class);
    private static final int READ_CHUNK = 256 * 1024;

    /** What every tail of one source shares: settings, the entry builder and the source's counters. */
    record Shared(String sourceId, LineEntries entries, int maxLine, int fingerprintBytes, FileSourceConfig.Multiline multiline,
                  Counter bytesRead, Counter linesRead, Counter truncations, Counter linesCut, Counter replaced) {
    }

    /** What a checkpoint keeps of a file identity: the acknowledged offset in a generation's stream. */
    record State(int generation, String stream, long offset, Fingerprint.Value fingerprint) {
    }

    /** One generation: its stream name is known once its first line is. */
    private static final class Gen {
        final int number;
        volatile String stream;

        Gen(int number, String stream) {
            this.number = number;
            this.stream = stream;
        }
    }

    private record Acked(Gen gen, long offset) {
    }

    private final Shared sh;
    private final String key;
    private final long multilineTimeoutNanos;

    private Gen gen;
    private String cursorPrefix;
    private EntryId ids;
    private OrderedAcker<Long> acker;
    /** Acknowledged position of the current generation; acks of an older generation never move it. */
    private final AtomicReference<Acked> acked = new AtomicReference<>();
    private volatile Fingerprint.Value fingerprint = Fingerprint.Value.NONE;
    /** File size at the last head check: the head is checked again when the size changes... */
    private long headCheckedAt = -1;
    /** ...or at least this often (a file rewritten to the very same size). */
    private static final long HEAD_RECHECK_NANOS = 1_000_000_000L;
    private long headCheckedNanos;

    private Path path;
    private String pathString;
    private final FileChannel channel;
    /** File offset of {@code buf[0]}. */
    private long bufStart;
    private byte[] buf = new byte[READ_CHUNK];
    private int bufLen;
    /** The end of the last line (or skipped tail of a cut line) taken from the buffer. */
    private long consumed;
    private long lastRegistered;
    /** True while skipping the rest of a line that was cut at {@code maxLine}. */
    private boolean skipping;
    private boolean gone;
    private long goneSinceNanos;
    private boolean atEof;
    /** {@link #finish} ran and nothing was read since. */
    private boolean finished;
    private long lastGrowthNanos = System.nanoTime();

    // the multi-line entry being built
    private byte[] mlBuf;
    private int mlLen;
    private int mlLines;
    private long mlStart;
    private long mlEnd;
    private boolean mlCut;
    private long mlLastNanos;

    // per-file figures for the gauges (written by the source thread, read by the metrics renderer)
    private volatile long fileBytes;
    private volatile long fileLines;
    private volatile long lastSize;
    final LongSupplier bytesGauge = () -> fileBytes;
    final LongSupplier linesGauge = () -> fileLines;
    final LongSupplier lagGauge = () -> Math.max(0, lastSize - acked.get().offset());

    /**
     * Opens the file. With a checkpointed {@code saved} state, resumes there if the file still
     * starts with the fingerprinted bytes, else (a reused inode, or a file rewritten while hakobu
     * was stopped) starts a new generation at 0. Without one, starts at {@code startOffset}.
     */
    FileTail(Shared shared, Path path, String key, State saved, long startOffset) throws IOException {
        this.sh = shared;
        this.key = key;
        this.multilineTimeoutNanos = shared.multiline() == null ? 0 : shared.multiline().timeout().toNanos();
        this.path(path);
        this.channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            if (saved == null) {
                startGeneration(0, null, startOffset);
            } else if (Fingerprint.matches(Fingerprint.head(channel, saved.fingerprint().len()), saved.fingerprint())) {
                startGeneration(saved.generation(), saved.stream(), saved.offset());
                fingerprint = saved.fingerprint();
            } else {
                LOG.warn("source={} event=file_replaced path={} key={} checkpointed_offset={} generation={} "
                        + "reason=\"first bytes differ from the fingerprint (inode reused or file rewritten)\" action=read_from_start",
                        sh.sourceId(), pathString, key, saved.offset(), saved.generation() + 1);
                sh.replaced().inc();
                startGeneration(saved.generation() + 1, null, 0);
            }
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Whether the file at {@code p} still starts with the bytes fingerprinted in {@code saved}. */
    static boolean sameContent(Path p, State saved) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            return Fingerprint.matches(Fingerprint.head(ch, saved.fingerprint().len()), saved.fingerprint());
        }
    }

    private void startGeneration(int number, String stream, long offset) {
        Gen g = new Gen(number, stream);
        this.gen = g;
        this.ids = null;
        this.bufStart = offset;
        this.bufLen = 0;
        this.consumed = offset;
        this.lastRegistered = offset;
        this.skipping = false;
        this.mlLen = 0;
        this.mlLines = 0;
        this.acked.set(new Acked(g, offset));
        // acks of an older generation arriving late must not move this generation's position
        this.acker = new OrderedAcker<>(o -> acked.updateAndGet(a -> a.gen() == g ? new Acked(g, o) : a));
    }

    /** Names the stream from the file's first line, once (see the class javadoc). */
    private void ensureStream() throws IOException {
        if (ids != null) {
            return;
        }
        if (gen.stream == null) {
            int limit = Math.min(sh.fingerprintBytes(), sh.maxLine());
            byte[] head = Fingerprint.head(channel, limit);
            String anchor = Fingerprint.anchor(head, limit);
            if (anchor == null) {
                // only for the unterminated remainder of a file that is let go or truncated
                anchor = String.format("%08x", Fingerprint.crc(head, head.length));
            }
            gen.stream = "file:" + key + ":" + anchor + (gen.number == 0 ? "" : "#" + gen.number);
        }
        cursorPrefix = gen.stream + ":";
        ids = new EntryId(sh.entries().hostname(), sh.sourceId(), gen.stream);
    }

    /** {@code <dev>:<inode>} of the file (follows symlinks). */
    static String keyOf(Path p) throws IOException {
        Object dev = Files.getAttribute(p, "unix:dev");
        Object ino = Files.getAttribute(p, "unix:ino");
        return dev + ":" + ino;
    }

    String key() {
        return key;
    }

    Path path() {
        return path;
    }

    void path(Path p) {
        this.path = p;
        this.pathString = p.toString();
    }

    boolean isGone() {
        return gone;
    }

    /** Marks whether the path no longer leads to this file (renamed away, deleted or replaced). */
    void gone(boolean g, long nowNanos) {
        if (g && !gone) {
            goneSinceNanos = nowNanos;
        }
        this.gone = g;
    }

    /**
     * True when the file is gone, everything in it was read, and it has not grown for
     * {@code waitNanos} (since it was last seen growing or found gone, whichever is later).
     */
    boolean isReleasable(long nowNanos, long waitNanos) {
        return gone && atEof && nowNanos - Math.max(lastGrowthNanos, goneSinceNanos) >= waitNanos;
    }

    long readOffset() {
        return bufStart + bufLen;
    }

    boolean isFinished() {
        return finished;
    }

    /** True when every position registered so far is acknowledged (the checkpoint has it all). */
    boolean isDrained() {
        return acked.get().offset() >= lastRegistered;
    }

    /** The acknowledged state for the checkpoint (thread-safe). */
    State checkpointState() {
        Acked a = acked.get();
        return new State(a.gen().number, a.gen().stream, a.offset(), fingerprint);
    }

    /**
     * Reads what is available (up to {@code maxLines} lines: a file's turn in the round robin) and
     * emits it as one batch; emits a multi-line entry whose timeout passed.
     *
     * @return the number of entries emitted (0 when nothing new was complete)
     */
    int poll(SourceContext ctx, int maxLines, long nowNanos) throws IOException, InterruptedException {
        long size = channel.size();
        if (checkHead(size, nowNanos)) {
            newGeneration(ctx, nowNanos);
            size = channel.size();
            checkHead(size, nowNanos);
        }
        lastSize = size;
        Out out = new Out(Math.min(maxLines, 256));
        long nowMicros = System.currentTimeMillis() * 1000L;
        long before = fileBytes;
        drainLines(out, maxLines, true, nowMicros, nowNanos);
        if (fileBytes != before && fingerprint.len() > 0
                && !Fingerprint.matches(Fingerprint.head(channel, fingerprint.len()), fingerprint)) {
            // rewritten while we read: what this poll read may be the new content at old offsets
            LOG.warn("source={} event=file_rewritten_while_reading path={} generation={} entries_discarded={} "
                    + "reason=\"a read may mix old and new content\" action=read_from_start",
                    sh.sourceId(), pathString, gen.number + 1, out.entries.size());
            mlLines = 0;
            sh.truncations().inc();
            startGeneration(gen.number + 1, null, 0);
            fingerprint = Fingerprint.Value.NONE;
            headCheckedAt = -1;
            return 0;
        }
        if (mlLines > 0 && nowNanos - mlLastNanos >= multilineTimeoutNanos) {
            flushMultiline(out, nowMicros);
        }
        return emit(ctx, out);
    }

    /** After a truncation: emits what was read before it, then starts the next generation at 0. */
    private void newGeneration(SourceContext ctx, long nowNanos) throws IOException, InterruptedException {
        emitRemainder(ctx, nowNanos, true);
        sh.truncations().inc();
        startGeneration(gen.number + 1, null, 0);
        fingerprint = Fingerprint.Value.NONE;
        headCheckedAt = -1;
    }

    /**
     * Splits lines off the buffer (reading more when {@code read}) until {@code maxLines} lines
     * were taken or no complete line is left.
     */
    private void drainLines(Out out, int maxLines, boolean read, long nowMicros, long nowNanos) throws IOException {
        int lines = 0;
        int scanFrom = 0;
        int lineStart = 0;
        while (lines < maxLines) {
            int nl = -1;
            for (int i = scanFrom; i < bufLen; i++) {
                if (buf[i] == '\n') {
                    nl = i;
                    break;
                }
            }
            if (nl < 0) {
                int pending = bufLen - lineStart;
                if (pending >= sh.maxLine() && !skipping) {
                    // cut an overlong line: its first maxLine bytes are an entry, the rest is skipped up to the newline
                    long end = bufStart + lineStart + sh.maxLine();
                    addLine(out, Arrays.copyOfRange(buf, lineStart, lineStart + sh.maxLine()), bufStart + lineStart, end, true,
                            nowMicros, nowNanos);
                    sh.linesCut().inc();
                    lines++;
                    consumed = end;
                    skipping = true;
                }
                if (skipping) {
                    lineStart = bufLen;
                    consumed = bufStart + bufLen;
                }
                compact(lineStart);
                lineStart = 0;
                scanFrom = bufLen;
                if (!read || !fill(nowNanos)) {
                    break;
                }
                continue;
            }
            if (skipping) {
                skipping = false;
            } else {
                int len = nl - lineStart;
                boolean cut = len > sh.maxLine();
                addLine(out, Arrays.copyOfRange(buf, lineStart, lineStart + Math.min(len, sh.maxLine())), bufStart + lineStart,
                        bufStart + nl + 1, cut, nowMicros, nowNanos);
                if (cut) {
                    sh.linesCut().inc();
                }
                lines++;
            }
            consumed = bufStart + nl + 1;
            lineStart = nl + 1;
            scanFrom = lineStart;
        }
        compact(lineStart);
        if (lines > 0) {
            sh.linesRead().add(lines);
            fileLines += lines;
        }
    }

    /**
     * Emits what is left before the file is let go: an unterminated last line and the multi-line
     * entry being built.
     */
    void finish(SourceContext ctx) throws IOException, InterruptedException {
        emitRemainder(ctx, System.nanoTime(), false);
        finished = true;
    }

    /**
     * Emits every line still in the buffer, then an unterminated last line as it is (marked
     * {@code _TRUNCATED} when a truncation cut it), then the multi-line entry being built.
     */
    private void emitRemainder(SourceContext ctx, long nowNanos, boolean truncated) throws IOException, InterruptedException {
        Out out = new Out(16);
        long nowMicros = System.currentTimeMillis() * 1000L;
        drainLines(out, Integer.MAX_VALUE, false, nowMicros, nowNanos);
        if (bufLen > 0 && !skipping) {
            addLine(out, Arrays.copyOf(buf, bufLen), bufStart, bufStart + bufLen, truncated, nowMicros, nowNanos);
            sh.linesRead().inc();
            fileLines++;
            if (truncated) {
                sh.linesCut().inc();
            }
            LOG.info("source={} event=unterminated_line_kept path={} offset={} bytes={} truncated={}", sh.sourceId(), pathString,
                    bufStart, bufLen, truncated);
        }
        if (bufLen > 0) {
            consumed = bufStart + bufLen;
            compact(bufLen);
        }
        skipping = false;
        flushMultiline(out, nowMicros);
        emit(ctx, out);
    }

    /** Entries of one poll and their heap estimate. */
    private static final class Out {
        final List<LogEntry> entries;
        long bytes;

        Out(int capacity) {
            entries = new ArrayList<>(capacity);
        }
    }

    private void addLine(Out out, byte[] line, long start, long end, boolean cut, long nowMicros, long nowNanos)
            throws IOException {
        FileSourceConfig.Multiline ml = sh.multiline();
        if (ml == null) {
            build(out, line, end, cut, nowMicros);
            return;
        }
        int len = line.length;
        if (len > 0 && line[len - 1] == '\r') {
            len--; // joined lines are separated by \n alone
        }
        boolean isStart = ml.start().matcher(new String(line, 0, len, StandardCharsets.UTF_8)).find();
        if (mlLines > 0 && (isStart || mlLines >= ml.maxLines() || (long) mlLen + 1 + len > ml.maxBytes())) {
            flushMultiline(out, nowMicros);
        }
        if (mlLines == 0) {
            mlStart = start;
            mlLen = 0;
            mlCut = false;
        } else {
            append(new byte[] {'\n'}, 1);
        }
        append(line, len);
        mlLines++;
        mlEnd = end;
        mlCut |= cut;
        mlLastNanos = nowNanos;
    }

    private void append(byte[] b, int len) {
        if (mlBuf == null || mlBuf.length - mlLen < len) {
            mlBuf = Arrays.copyOf(mlBuf == null ? new byte[0] : mlBuf, Math.max(mlLen + len, Math.max(1024, mlLen * 2)));
        }
        System.arraycopy(b, 0, mlBuf, mlLen, len);
        mlLen += len;
    }

    private void flushMultiline(Out out, long nowMicros) throws IOException {
        if (mlLines == 0) {
            return;
        }
        build(out, Arrays.copyOf(mlBuf, mlLen), mlEnd, mlCut, nowMicros);
        mlLines = 0;
        mlLen = 0;
        if (mlBuf.length > READ_CHUNK) {
            mlBuf = null; // give back memory after a huge entry
        }
    }

    private void build(Out out, byte[] line, long position, boolean cut, long nowMicros) throws IOException {
        ensureStream();
        LogEntry e = sh.entries().build(line, gen.stream, ids, cursorPrefix, position, pathString, cut, nowMicros);
        out.entries.add(e);
        out.bytes += e.sizeEstimate(); // heap estimate: what the sinks' buffers bound
    }

    /**
     * Registers the position reached with the acknowledger (never past a multi-line entry still
     * being built) and emits the entries, if any.
     */
    private int emit(SourceContext ctx, Out out) throws InterruptedException {
        long position = mlLines > 0 ? mlStart : consumed;
        if (out.entries.isEmpty()) {
            if (position > lastRegistered) {
                // only the tail of a cut line was consumed: nothing to deliver but the position
                acker.register(position).complete(DeliveryStatus.DELIVERED);
                lastRegistered = position;
            }
            return 0;
        }
        BatchAck ack = acker.register(Math.max(position, lastRegistered));
        lastRegistered = Math.max(position, lastRegistered);
        ctx.emit(new Batch(sh.sourceId(), out.entries, out.bytes, ack));
        return out.entries.size();
    }

    /** Moves {@code buf[from, bufLen)} to the front. */
    private void compact(int from) {
        if (from == 0) {
            return;
        }
        System.arraycopy(buf, from, buf, 0, bufLen - from);
        bufLen -= from;
        bufStart += from;
    }

    /** Reads more bytes into buf; returns false at end of file. */
    private boolean fill(long nowNanos) throws IOException {
        if (bufLen == buf.length) {
            int grown = Math.min(Math.max(buf.length * 2, READ_CHUNK), sh.maxLine() + READ_CHUNK);
            if (grown <= buf.length) {
                return false; // cannot happen: a full buffer always holds a cuttable line
            }
            buf = Arrays.copyOf(buf, grown);
        }
        int n = channel.read(ByteBuffer.wrap(buf, bufLen, buf.length - bufLen), bufStart + bufLen);
        if (n <= 0) {
            atEof = true;
            return false;
        }
        atEof = false;
        finished = false;
        lastGrowthNanos = nowNanos;
        bufLen += n;
        sh.bytesRead().add(n);
        fileBytes += n;
        if (buf.length > READ_CHUNK * 4 && bufLen < READ_CHUNK) {
            buf = Arrays.copyOf(buf, READ_CHUNK); // give back memory after a huge line
        }
        return true;
    }

    /**
     * Whether the file was truncated (smaller than what was read) or rewritten in place (its first
     * bytes no longer match the fingerprint; checked whenever the size changed, and once a second
     * when it did not). Extends the
     * fingerprint while the file is shorter than {@code fingerprint_bytes}.
     */
    private boolean checkHead(long size, long nowNanos) throws IOException {
        if (size < bufStart + bufLen) {
            LOG.warn("source={} event=file_truncated path={} size={} offset={} generation={} action=read_from_start",
                    sh.sourceId(), pathString, size, bufStart + bufLen, gen.number + 1);
            return true;
        }
        if (size == headCheckedAt && nowNanos - headCheckedNanos < HEAD_RECHECK_NANOS) {
            return false;
        }
        Fingerprint.Value fp = fingerprint;
        if (fp.len() > 0 || size > 0) {
            byte[] head = Fingerprint.head(channel, sh.fingerprintBytes());
            if (!Fingerprint.matches(head, fp)) {
                LOG.warn("source={} event=file_rewritten path={} size={} offset={} generation={} "
                        + "reason=\"first bytes differ from the fingerprint\" action=read_from_start",
                        sh.sourceId(), pathString, size, bufStart + bufLen, gen.number + 1);
                return true;
            }
            if (head.length > fp.len()) {
                fingerprint = Fingerprint.of(head);
            }
        }
        headCheckedAt = size;
        headCheckedNanos = nowNanos;
        return false;
    }

    void closeChannel() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("close failed", e);
        }
    }
}
