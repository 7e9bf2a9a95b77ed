package io.hakobu.daemon.source.file;

import io.hakobu.core.buffer.HeapChannelIo;
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
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
 * so a crash re-reads that entry whole. Each generation has its own acknowledger; the checkpoint
 * stays on the previous generation until everything read from it is acknowledged.
 *
 * <h2>Truncation (copytruncate)</h2>
 * When the file shrinks below the read offset {@code O}, or its first bytes change, the bytes past
 * {@code O} that were not read are gone from it. They are looked for in a copy (logrotate's
 * {@code copytruncate} copies the file, then truncates it): a regular file in the same directory,
 * not one this source reads as its own file, not compressed, that starts with the fingerprinted
 * bytes, is at least {@code O} long and holds, just before {@code O}, the last bytes read from
 * the file ({@link CopyFinder}). If one exists (looked for during a short grace, as the copy may
 * appear a moment after the truncation is seen), {@code [O, end of copy)} is read from it as the
 * rest of the old generation (same stream, same positions, checkpointed as usual), then the new
 * generation of the file is read from 0. Without a copy, what was read is emitted (a line cut
 * short marked {@code _TRUNCATED}), the bytes known to be unread (size at the last look minus
 * {@code O}) are counted as {@code truncation_unread_bytes_total}, and the new generation starts.
 *
 * <p>Used only by its source's thread, except {@link #checkpointState()} and the gauges.
 */
final class FileTail {
    private static final byte[] NEWLINE = {'\n'};
    private static final Logger LOG = LoggerFactory.getLogger(FileTail.class);
    /**
     * The read buffer of a file being read as fast as it grows, and the most bytes per read: 64 KiB
     * reads cost a few system calls more per MB than 256 KiB ones, nothing next to parsing, and
     * an agent catching up on many files at once holds a quarter of the heap.
     */
    static final int READ_CHUNK = 64 * 1024;
    /**
     * The read buffer of a file that is quiet or written slowly: an agent may tail hundreds of
     * files, most of them idle, and each would otherwise hold {@link #READ_CHUNK} of heap.
     */
    static final int IDLE_BUFFER = 16 * 1024;
    /** A file that has not grown for this long gives its large read buffer back. */
    private static final long IDLE_BUFFER_NANOS = 5_000_000_000L;

    /** Fewest nanoseconds between two looks for the copy of a truncated file. */
    private static final long COPY_LOOK_NANOS = 50_000_000L;
    /** How many of the last bytes read before a truncation a copy must hold at the same offsets. */
    private static final int TAIL_BYTES = 256;

    /**
     * What every tail of one source shares: settings, the entry builder, the source's counters, and
     * how copies of truncated files are found ({@code copies} may be null: no copy is looked for).
     */
    record Shared(String sourceId, LineEntries entries, int maxLine, int fingerprintBytes, FileSourceConfig.Multiline multiline,
                  Counter bytesRead, Counter linesRead, Counter truncations, Counter linesCut, Counter replaced,
                  CopyFinder copies, long copyGraceNanos, Counter copiesRead, Counter copyBytes, Counter unreadBytes) {
    }

    /** Finds the copy of a truncated file (implemented by the source, which knows every file it reads). */
    interface CopyFinder {
        /**
         * Looks in {@code original}'s directory for its copy: a regular file other than the
         * original (device and inode {@code key}), not compressed, starting with the bytes of
         * {@code fingerprint}, at least {@code minSize} long, whose bytes just before {@code minSize}
         * are {@code tail} (when not null); the most recently modified one.
         */
        Copy find(Path original, String key, Fingerprint.Value fingerprint, long minSize, byte[] tail);

        /**
         * The copy was read to its end as the continuation of {@code covered}'s stream, and all of
         * it is acknowledged: the source may remember it as read (if {@code include} matches it, it
         * must not be read again).
         */
        void copyRead(Copy copy, State covered);
    }

    /**
     * A copy found: open on {@code channel} (the finder's caller closes it), or {@link #NONE}, or
     * {@link #TRACKED} (a matching file exists, but the source reads it as a file of its own).
     */
    record Copy(Path path, String key, FileChannel channel) {
        static final Copy NONE = new Copy(null, null, null);
        static final Copy TRACKED = new Copy(null, null, null);
    }

    /** What a checkpoint keeps of a file identity: the acknowledged offset in a generation's stream. */
    record State(int generation, String stream, long offset, Fingerprint.Value fingerprint) {
    }

    /**
     * One generation (the file's content since its last truncation): its stream name is known once
     * its first line is; it has its own acknowledger, so acks of an older generation arriving late
     * never move a newer one's position.
     */
    private static final class Gen {
        final int number;
        volatile String stream;
        volatile Fingerprint.Value fingerprint = Fingerprint.Value.NONE;
        /** Acknowledged position (written by the acknowledger's listener). */
        volatile long acked;
        /** Last position registered with the acknowledger (written by the source thread). */
        volatile long registered;
        final OrderedAcker<Long> acker;

        Gen(int number, String stream, long offset) {
            this.number = number;
            this.stream = stream;
            this.acked = offset;
            this.registered = offset;
            this.acker = new OrderedAcker<>(o -> this.acked = o);
        }

        boolean drained() {
            return acked >= registered;
        }

        State state() {
            return new State(number, stream, acked, fingerprint);
        }
    }

    private final Shared sh;
    private final String key;
    private final long multilineTimeoutNanos;

    private volatile Gen gen;
    /** The previous generation while some of it is not acknowledged: the checkpoint stays on it. */
    private volatile Gen retiring;
    private String cursorPrefix;
    private EntryId ids;
    /** File size at the last head check: the head is checked again when the size changes... */
    private long headCheckedAt = -1;
    /** ...or at least this often (a file rewritten to the very same size). */
    private static final long HEAD_RECHECK_NANOS = 1_000_000_000L;
    private long headCheckedNanos;

    private Path path;
    private String pathString;
    private final FileChannel channel;
    /** What {@link #fill} reads: {@link #channel}, or the copy of the truncated file. */
    private FileChannel src;
    /** The copy being read (the rest of the generation before a truncation), or null. */
    private Copy copy;
    /** A copy read to its end, remembered once its generation is acknowledged, or null. */
    private Copy copyDone;
    private State copyDoneState;
    /** After a truncation: a copy is being looked for until {@link #awaitUntilNanos}. */
    private boolean awaiting;
    private long awaitUntilNanos;
    private long nextLookNanos;
    /** The copy must be at least this long and hold {@link #truncTail} just before it. */
    private long truncVerified;
    private byte[] truncTail;
    /** The last bytes read (ending at {@link #readOffset()}). */
    private final byte[] tailBytes = new byte[TAIL_BYTES];
    private int tailLen;
    /** File offset of {@code buf[0]}. */
    private long bufStart;
    /** Starts small; a read that fills it grows it to {@link #READ_CHUNK}; idle, it shrinks back. */
    private byte[] buf = new byte[IDLE_BUFFER];
    private int bufLen;
    /** The end of the last line (or skipped tail of a cut line) taken from the buffer. */
    private long consumed;
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
    final LongSupplier lagGauge = () -> Math.max(0, lastSize - gen.acked);

    /**
     * Opens the file. With a checkpointed {@code saved} state, resumes there if the file still
     * starts with the fingerprinted bytes. Else the file was truncated (copytruncate) while hakobu
     * was stopped, or rewritten, or its inode reused: if a copy of the old content holds more than
     * the checkpoint, the rest is read from the copy first; then a new generation starts at 0.
     * Without a checkpointed state, starts at {@code startOffset}.
     */
    FileTail(Shared shared, Path path, String key, State saved, long startOffset) throws IOException {
        this.sh = shared;
        this.key = key;
        this.multilineTimeoutNanos = shared.multiline() == null ? 0 : shared.multiline().timeout().toNanos();
        this.path(path);
        this.channel = FileChannel.open(path, StandardOpenOption.READ);
        this.src = channel;
        try {
            if (saved == null) {
                startGeneration(0, null, startOffset);
            } else if (Fingerprint.matches(Fingerprint.head(channel, saved.fingerprint().len()), saved.fingerprint())) {
                startGeneration(saved.generation(), saved.stream(), saved.offset());
                gen.fingerprint = saved.fingerprint();
            } else if (resumeFromCopy(saved)) {
                LOG.warn("source={} event=file_truncated_while_stopped path={} key={} checkpointed_offset={} generation={} copy={} "
                        + "action=\"read the rest from the copy, then the file from the start\"",
                        sh.sourceId(), pathString, key, saved.offset(), saved.generation(), copy.path());
            } else {
                LOG.warn("source={} event=file_replaced path={} key={} checkpointed_offset={} generation={} "
                        + "reason=\"first bytes differ from the fingerprint (inode reused or file rewritten)\" action=read_from_start",
                        sh.sourceId(), pathString, key, saved.offset(), saved.generation() + 1);
                sh.replaced().inc();
                startGeneration(saved.generation() + 1, null, 0);
            }
        } catch (IOException | RuntimeException e) {
            channel.close();
            if (copy != null) {
                closeQuietly(copy.channel());
            }
            throw e;
        }
    }

    /** With a copy of the checkpointed content longer than the checkpoint: resumes there, in the copy. */
    private boolean resumeFromCopy(State saved) {
        if (sh.copies() == null || saved.fingerprint().len() == 0 || saved.offset() == 0) {
            return false;
        }
        Copy c = sh.copies().find(path, key, saved.fingerprint(), saved.offset(), null);
        if (c.channel() == null) {
            return false;
        }
        sh.truncations().inc();
        startGeneration(saved.generation(), saved.stream(), saved.offset());
        gen.fingerprint = saved.fingerprint();
        readCopy(c);
        return true;
    }

    /** Whether the file at {@code p} still starts with the bytes fingerprinted in {@code saved}. */
    static boolean sameContent(Path p, State saved) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            return Fingerprint.matches(Fingerprint.head(ch, saved.fingerprint().len()), saved.fingerprint());
        }
    }

    private void startGeneration(int number, String stream, long offset) {
        this.gen = new Gen(number, stream, offset);
        this.ids = null;
        this.bufStart = offset;
        this.bufLen = 0;
        this.consumed = offset;
        this.skipping = false;
        this.mlLen = 0;
        this.mlLines = 0;
        this.tailLen = 0;
    }

    /** The next generation of the file, at 0; the checkpoint stays on this one until it is acknowledged. */
    private void nextGeneration() {
        Gen old = gen;
        Gen r = retiring;
        if (r == null || r.drained()) {
            retiring = old.drained() ? null : old;
        } // else: the older one still holds the checkpoint (re-reading more after a crash, never less)
        startGeneration(old.number + 1, null, 0);
        src = channel;
        atEof = false;
        headCheckedAt = -1;
    }

    /** Names the stream from the file's first line, once (see the class javadoc). */
    private void ensureStream() throws IOException {
        if (ids != null) {
            return;
        }
        if (gen.stream == null) {
            int limit = Math.min(sh.fingerprintBytes(), sh.maxLine());
            byte[] head = Fingerprint.head(src, limit); // the copy's head, while reading the copy
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
        return gone && atEof && copy == null && !awaiting && nowNanos - Math.max(lastGrowthNanos, goneSinceNanos) >= waitNanos;
    }

    long readOffset() {
        return bufStart + bufLen;
    }

    boolean isFinished() {
        return finished;
    }

    /** True when every position registered so far is acknowledged (the checkpoint has it all). */
    boolean isDrained() {
        Gen r = retiring;
        return gen.drained() && (r == null || r.drained()) && copy == null && copyDone == null && !awaiting;
    }

    /** The fingerprint of the generation being read (NONE until its first bytes were checked). */
    Fingerprint.Value fingerprint() {
        return gen.fingerprint;
    }

    /** The device and inode of the copy this tail reads (or read and waits to remember), or null. */
    String copyKey() {
        return copy != null ? copy.key() : copyDone != null ? copyDone.key() : null;
    }

    /** The acknowledged state for the checkpoint (thread-safe). */
    State checkpointState() {
        Gen r = retiring;
        if (r != null && !r.drained()) {
            return r.state();
        }
        return gen.state();
    }

    /**
     * Reads what is available (up to {@code maxLines} lines: a file's turn in the round robin) and
     * emits it as one batch; emits a multi-line entry whose timeout passed.
     *
     * @return the number of entries emitted (0 when nothing new was complete)
     */
    int poll(SourceContext ctx, int maxLines, long nowNanos) throws IOException, InterruptedException {
        rememberCopy();
        if (awaiting && !lookForCopy(ctx, nowNanos)) {
            return 0; // the truncated file waits for its copy; the other files go on
        }
        if (copy != null) {
            return pollCopy(ctx, maxLines, nowNanos);
        }
        long size = channel.size();
        if (checkHead(size, nowNanos)) {
            truncated(ctx, readOffset(), lastBytes(), nowNanos);
            if (awaiting) {
                return 0;
            }
            if (copy != null) {
                return pollCopy(ctx, maxLines, nowNanos);
            }
            size = channel.size();
            checkHead(size, nowNanos);
        }
        lastSize = size;
        // what a rewrite found after this read takes back: everything since the last entry emitted
        long verified = readOffset();
        byte[] verifiedTail = null;
        long rewindTo = mlLines > 0 ? mlStart : consumed;
        boolean rewindSkipping = mlLines == 0 && skipping;
        Out out = new Out(Math.min(maxLines, 1024));
        long nowMicros = System.currentTimeMillis() * 1000L;
        long before = fileBytes;
        Fingerprint.Value fp = gen.fingerprint;
        if (fp.len() > 0) {
            verifiedTail = lastBytes();
        }
        drainLines(out, maxLines, true, nowMicros, nowNanos);
        if (fileBytes != before && fp.len() > 0 && !Fingerprint.matches(Fingerprint.head(channel, fp.len()), fp)) {
            // truncated and rewritten while we read: what this poll read may be new content at old offsets
            LOG.warn("source={} event=file_rewritten_while_reading path={} generation={} offset={} entries_discarded={} "
                    + "reason=\"a read may mix old and new content\" action=\"read again from offset {} in a copy, if any\"",
                    sh.sourceId(), pathString, gen.number + 1, verified, out.entries.size(), rewindTo);
            bufStart = rewindTo;
            bufLen = 0;
            consumed = rewindTo;
            mlLines = 0;
            mlLen = 0;
            skipping = rewindSkipping;
            tailLen = 0;
            truncated(ctx, verified, verifiedTail, nowNanos);
            return 0;
        }
        if (mlLines > 0 && nowNanos - mlLastNanos >= multilineTimeoutNanos) {
            flushMultiline(out, nowMicros);
        }
        return emit(ctx, out);
    }

    /**
     * The file was truncated (or rewritten) after {@code verified} bytes were read, the last of
     * them {@code tail}: looks for a copy holding the rest, during a grace, or gives up at once
     * when nothing a copy could be matched against was read.
     */
    private void truncated(SourceContext ctx, long verified, byte[] tail, long nowNanos) throws IOException, InterruptedException {
        sh.truncations().inc();
        truncVerified = verified;
        truncTail = tail;
        if (sh.copies() == null || gen.fingerprint.len() == 0 || verified == 0) {
            giveUpCopy(ctx, nowNanos, true);
            return;
        }
        awaiting = true;
        awaitUntilNanos = nowNanos + sh.copyGraceNanos();
        nextLookNanos = nowNanos;
        lookForCopy(ctx, nowNanos);
    }

    /** @return false while still waiting for a copy; true once one was found or the wait is over */
    private boolean lookForCopy(SourceContext ctx, long nowNanos) throws IOException, InterruptedException {
        if (nowNanos - nextLookNanos < 0) {
            return false;
        }
        nextLookNanos = nowNanos + COPY_LOOK_NANOS;
        Copy c = sh.copies().find(path, key, gen.fingerprint, truncVerified, truncTail);
        if (c.channel() != null) {
            awaiting = false;
            readCopy(c);
            LOG.info("source={} event=truncation_copy_found path={} copy={} offset={} generation={} "
                    + "action=\"read the rest of generation {} from the copy, then the file from the start\"",
                    sh.sourceId(), pathString, c.path(), readOffset(), gen.number, gen.number);
            return true;
        }
        if (c == Copy.TRACKED) {
            awaiting = false;
            LOG.warn("source={} event=truncation_copy_is_read_as_a_file path={} offset={} "
                    + "reason=\"include matches the copy: it is read as a file of its own (duplicates)\"",
                    sh.sourceId(), pathString, truncVerified);
            giveUpCopy(ctx, nowNanos, false);
            return true;
        }
        if (nowNanos - awaitUntilNanos < 0) {
            return false;
        }
        awaiting = false;
        giveUpCopy(ctx, nowNanos, true);
        return true;
    }

    /** No copy: emits what was read before the truncation, counts what was not, starts the next generation at 0. */
    private void giveUpCopy(SourceContext ctx, long nowNanos, boolean countLoss) throws IOException, InterruptedException {
        long unread = Math.max(0, lastSize - readOffset());
        if (countLoss) {
            sh.unreadBytes().add(unread);
            LOG.warn("source={} event=truncation_without_copy path={} offset={} size_at_last_look={} unread_bytes={} generation={} "
                    + "reason=\"no copy of the file holds what was not read\" action=read_from_start",
                    sh.sourceId(), pathString, readOffset(), lastSize, unread, gen.number + 1);
        }
        emitRemainder(ctx, new Out(16), nowNanos, true);
        nextGeneration();
    }

    private void readCopy(Copy c) {
        copy = c;
        src = c.channel();
        sh.copiesRead().inc();
    }

    /** Reads the copy from where the file was truncated; at its end, goes on with the file at 0. */
    private int pollCopy(SourceContext ctx, int maxLines, long nowNanos) throws IOException, InterruptedException {
        Out out = new Out(Math.min(maxLines, 1024));
        long nowMicros = System.currentTimeMillis() * 1000L;
        int lines = drainLines(out, maxLines, true, nowMicros, nowNanos);
        if (lines >= maxLines || readOffset() < src.size()) {
            return emit(ctx, out);
        }
        // the copy is read: a last line without its newline was cut by the copy or the truncation
        int n = emitRemainder(ctx, out, nowNanos, true);
        LOG.info("source={} event=truncation_copy_read path={} copy={} end={} generation={} action=\"read the file from the start\"",
                sh.sourceId(), pathString, copy.path(), readOffset(), gen.number + 1);
        copyDone = copy;
        copyDoneState = new State(gen.number, gen.stream, readOffset(), gen.fingerprint);
        closeQuietly(copy.channel());
        copy = null;
        nextGeneration();
        return Math.max(n, 1); // progress: the file is read next at once
    }

    /** Tells the source about a copy read to its end once all of it is acknowledged. */
    private void rememberCopy() {
        if (copyDone == null) {
            return;
        }
        Gen r = retiring;
        if (r == null || r.drained()) {
            sh.copies().copyRead(copyDone, copyDoneState);
            copyDone = null;
            copyDoneState = null;
        }
    }

    /**
     * Splits lines off the buffer (reading more when {@code read}) until {@code maxLines} lines
     * were taken or no complete line is left.
     */
    private int drainLines(Out out, int maxLines, boolean read, long nowMicros, long nowNanos) throws IOException {
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
                    addLine(out, buf, lineStart, sh.maxLine(), bufStart + lineStart, end, true,
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
                addLine(out, buf, lineStart, Math.min(len, sh.maxLine()), bufStart + lineStart,
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
        return lines;
    }

    /**
     * Emits what is left before the file is let go: an unterminated last line and the multi-line
     * entry being built.
     */
    void finish(SourceContext ctx) throws IOException, InterruptedException {
        emitRemainder(ctx, new Out(16), System.nanoTime(), false);
        finished = true;
    }

    /**
     * Emits {@code out}, every line still in the buffer, then an unterminated last line as it is
     * (marked {@code _TRUNCATED} when a truncation cut it), then the multi-line entry being built.
     */
    private int emitRemainder(SourceContext ctx, Out out, long nowNanos, boolean truncated) throws IOException, InterruptedException {
        long nowMicros = System.currentTimeMillis() * 1000L;
        drainLines(out, Integer.MAX_VALUE, false, nowMicros, nowNanos);
        if (bufLen > 0 && !skipping) {
            addLine(out, buf, 0, bufLen, bufStart, bufStart + bufLen, truncated, nowMicros, nowNanos);
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
        return emit(ctx, out);
    }

    /** Entries of one poll and their heap estimate. */
    private static final class Out {
        final List<LogEntry> entries;
        long bytes;

        Out(int capacity) {
            entries = new ArrayList<>(capacity);
        }
    }

    /** Adds the line at {@code line[off, off+len)} (copied: the caller reuses the array). */
    private void addLine(Out out, byte[] line, int off, int len, long start, long end, boolean cut, long nowMicros, long nowNanos)
            throws IOException {
        FileSourceConfig.Multiline ml = sh.multiline();
        if (ml == null) {
            build(out, line, off, len, end, cut, nowMicros);
            return;
        }
        if (len > 0 && line[off + len - 1] == '\r') {
            len--; // joined lines are separated by \n alone
        }
        boolean isStart = ml.start().matcher(new String(line, off, len, StandardCharsets.UTF_8)).find();
        if (mlLines > 0 && (isStart || mlLines >= ml.maxLines() || (long) mlLen + 1 + len > ml.maxBytes())) {
            flushMultiline(out, nowMicros);
        }
        if (mlLines == 0) {
            mlStart = start;
            mlLen = 0;
            mlCut = false;
        } else {
            append(NEWLINE, 0, 1);
        }
        append(line, off, len);
        mlLines++;
        mlEnd = end;
        mlCut |= cut;
        mlLastNanos = nowNanos;
    }

    private void append(byte[] b, int off, int len) {
        if (mlBuf == null || mlBuf.length - mlLen < len) {
            mlBuf = Arrays.copyOf(mlBuf == null ? new byte[0] : mlBuf, Math.max(mlLen + len, Math.max(1024, mlLen * 2)));
        }
        System.arraycopy(b, off, mlBuf, mlLen, len);
        mlLen += len;
    }

    private void flushMultiline(Out out, long nowMicros) throws IOException {
        if (mlLines == 0) {
            return;
        }
        build(out, mlBuf, 0, mlLen, mlEnd, mlCut, nowMicros);
        mlLines = 0;
        mlLen = 0;
        if (mlBuf.length > READ_CHUNK) {
            mlBuf = null; // give back memory after a huge entry
        }
    }

    private void build(Out out, byte[] line, int off, int len, long position, boolean cut, long nowMicros) throws IOException {
        ensureStream();
        LogEntry e = sh.entries().build(line, off, len, gen.stream, ids, cursorPrefix, position, pathString, cut, nowMicros);
        out.entries.add(e);
        out.bytes += e.sizeEstimate(); // heap estimate: what the sinks' buffers bound
    }

    /**
     * Registers the position reached with the acknowledger (never past a multi-line entry still
     * being built) and emits the entries, if any.
     */
    private int emit(SourceContext ctx, Out out) throws InterruptedException {
        long position = mlLines > 0 ? mlStart : consumed;
        Gen g = gen;
        if (out.entries.isEmpty()) {
            if (position > g.registered) {
                // only the tail of a cut line was consumed: nothing to deliver but the position
                g.registered = position;
                g.acker.register(position).complete(DeliveryStatus.DELIVERED);
            }
            return 0;
        }
        long at = Math.max(position, g.registered);
        BatchAck ack = g.acker.register(at);
        g.registered = at;
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
        int room = buf.length - bufLen;
        int n = src.read(HeapChannelIo.chunk(buf, bufLen, buf.length), bufStart + bufLen);
        if (n <= 0) {
            atEof = true;
            if (buf.length > IDLE_BUFFER && bufLen <= IDLE_BUFFER / 2 && nowNanos - lastGrowthNanos >= IDLE_BUFFER_NANOS) {
                buf = Arrays.copyOf(buf, IDLE_BUFFER); // quiet for a while: give the large buffer back
            }
            return false;
        }
        atEof = false;
        finished = false;
        lastGrowthNanos = nowNanos;
        rememberLastBytes(bufLen, n);
        bufLen += n;
        sh.bytesRead().add(n);
        fileBytes += n;
        if (copy != null) {
            sh.copyBytes().add(n);
        }
        if (n == room && buf.length < READ_CHUNK) {
            buf = Arrays.copyOf(buf, READ_CHUNK); // the file has more than the small buffer holds
        } else if (buf.length > READ_CHUNK * 4 && bufLen < READ_CHUNK) {
            buf = Arrays.copyOf(buf, READ_CHUNK); // give back memory after a huge line
        }
        return true;
    }

    /** Heap held for reading this file: its read buffer and a multi-line entry being built. */
    int bufferBytes() {
        return buf.length + (mlBuf == null ? 0 : mlBuf.length);
    }

    /** Keeps the last {@link #TAIL_BYTES} bytes read, {@code buf[from, from + n)} being the newest. */
    private void rememberLastBytes(int from, int n) {
        if (n >= TAIL_BYTES) {
            System.arraycopy(buf, from + n - TAIL_BYTES, tailBytes, 0, TAIL_BYTES);
            tailLen = TAIL_BYTES;
            return;
        }
        int keep = Math.min(tailLen, TAIL_BYTES - n);
        System.arraycopy(tailBytes, tailLen - keep, tailBytes, 0, keep);
        System.arraycopy(buf, from, tailBytes, keep, n);
        tailLen = keep + n;
    }

    /** The last bytes read, ending at {@link #readOffset()} (fewer after a restart or a rewind). */
    private byte[] lastBytes() {
        return Arrays.copyOf(tailBytes, tailLen);
    }

    /**
     * Whether the file was truncated (smaller than what was read) or rewritten in place (its first
     * bytes no longer match the fingerprint; checked whenever the size changed, and once a second
     * when it did not). Extends the
     * fingerprint while the file is shorter than {@code fingerprint_bytes}.
     */
    private boolean checkHead(long size, long nowNanos) throws IOException {
        if (size < bufStart + bufLen) {
            LOG.warn("source={} event=file_truncated path={} size={} offset={} generation={} "
                    + "action=\"read the rest from a copy, if any, then the file from the start\"",
                    sh.sourceId(), pathString, size, bufStart + bufLen, gen.number + 1);
            return true;
        }
        if (size == headCheckedAt && nowNanos - headCheckedNanos < HEAD_RECHECK_NANOS) {
            return false;
        }
        Fingerprint.Value fp = gen.fingerprint;
        if (fp.len() > 0 || size > 0) {
            byte[] head = Fingerprint.head(channel, sh.fingerprintBytes());
            if (!Fingerprint.matches(head, fp)) {
                LOG.warn("source={} event=file_rewritten path={} size={} offset={} generation={} "
                        + "reason=\"first bytes differ from the fingerprint\" "
                        + "action=\"read the rest from a copy, if any, then the file from the start\"",
                        sh.sourceId(), pathString, size, bufStart + bufLen, gen.number + 1);
                return true;
            }
            if (head.length > fp.len()) {
                gen.fingerprint = Fingerprint.of(head);
            }
        }
        headCheckedAt = size;
        headCheckedNanos = nowNanos;
        return false;
    }

    void closeChannel() {
        closeQuietly(channel);
        if (copy != null) {
            closeQuietly(copy.channel());
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            LOG.debug("close failed", e);
        }
    }
}
