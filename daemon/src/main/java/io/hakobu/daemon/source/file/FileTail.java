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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one file from an offset, splits it into lines ({@code \n}; a trailing {@code \r} is left
 * to the parsers), and emits batches. A last line without its newline is held back until it is
 * complete. Used only by its source's thread, except {@link #ackedOffset()}.
 */
final class FileTail {
    private static final Logger LOG = LoggerFactory.getLogger(FileTail.class);
    private static final int READ_CHUNK = 256 * 1024;

    private final String sourceId;
    private final String key;
    private final LineEntries entries;
    private final int maxLine;
    private final Counter bytesRead;
    private final Counter truncations;
    private final Counter linesCut;

    /**
     * The generation counts truncations of this file identity: content read after a truncation is
     * new content at old offsets, so it gets a new stream identity (and new ids) instead of being
     * mistaken by sinks for lines they already wrote.
     */
    private int generation;
    private String stream;
    private String cursorPrefix;
    private EntryId ids;
    private OrderedAcker<Long> acker;
    /** Acknowledged position of the current generation; replaced as a whole, read by the checkpointer. */
    private volatile Acked acked;

    /** An acknowledged offset within a generation. */
    record Acked(int generation, long offset) {
    }

    private Path path;
    private String pathString;
    private FileChannel channel;
    /** File offset of {@code buf[0]}. */
    private long bufStart;
    private byte[] buf = new byte[READ_CHUNK];
    private int bufLen;
    /** True while skipping the rest of a line that was cut at {@code maxLine}. */
    private boolean skipping;
    private boolean gone;
    private boolean atEof;

    FileTail(String sourceId, Path path, String key, int generation, long startOffset, LineEntries entries,
             long maxLine, Counter bytesRead, Counter truncations, Counter linesCut) throws IOException {
        this.sourceId = sourceId;
        this.key = key;
        this.entries = entries;
        this.maxLine = (int) maxLine;
        this.bytesRead = bytesRead;
        this.truncations = truncations;
        this.linesCut = linesCut;
        this.path(path);
        this.channel = FileChannel.open(path, StandardOpenOption.READ);
        startGeneration(generation, startOffset);
    }

    private void startGeneration(int gen, long offset) {
        this.generation = gen;
        this.stream = gen == 0 ? "file:" + key : "file:" + key + "#" + gen;
        this.cursorPrefix = stream + ":";
        this.ids = new EntryId(entries.hostname(), sourceId, stream);
        this.bufStart = offset;
        this.bufLen = 0;
        this.skipping = false;
        this.acked = new Acked(gen, offset);
        // acks of an older generation arriving late must not move this generation's position
        this.acker = new OrderedAcker<>(o -> acked = new Acked(gen, o));
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

    /** Marks whether the path no longer leads to this file (deleted or replaced). */
    void gone(boolean g) {
        this.gone = g;
    }

    /** True when the file is gone and everything in it was read: the tail can be released. */
    boolean isReleasable() {
        return gone && atEof;
    }

    long readOffset() {
        return bufStart + bufLen;
    }

    /** The acknowledged position (thread-safe). */
    Acked acked() {
        return acked;
    }

    /**
     * Reads what is available (up to {@code maxEvents} lines) and emits it as one batch.
     *
     * @return the number of entries emitted (0 when nothing new was complete)
     */
    int poll(SourceContext ctx, int maxEvents) throws IOException, InterruptedException {
        checkTruncation();
        List<LogEntry> out = new ArrayList<>(Math.min(maxEvents, 256));
        long bytes = 0;
        long lastPosition = -1;
        long nowMicros = System.currentTimeMillis() * 1000L;
        int scanFrom = 0;
        int lineStart = 0;
        while (out.size() < maxEvents) {
            // find the next newline in buf[scanFrom, bufLen)
            int nl = -1;
            for (int i = scanFrom; i < bufLen; i++) {
                if (buf[i] == '\n') {
                    nl = i;
                    break;
                }
            }
            if (nl < 0) {
                int pending = bufLen - lineStart;
                if (pending >= maxLine && !skipping) {
                    // cut an overlong line: emit its first maxLine bytes, skip the rest up to the newline
                    LogEntry e = entries.build(Arrays.copyOfRange(buf, lineStart, lineStart + maxLine), stream, ids,
                            cursorPrefix, bufStart + lineStart + maxLine, pathString, true, nowMicros);
                    out.add(e);
                    linesCut.inc();
                    lastPosition = bufStart + lineStart + maxLine;
                    bytes += e.sizeEstimate();
                    skipping = true;
                }
                if (skipping) {
                    lineStart = bufLen; // the rest of a cut line is dropped up to its newline
                }
                compact(lineStart);
                lineStart = 0;
                scanFrom = bufLen;
                if (!fill()) {
                    break;
                }
                continue;
            }
            if (skipping) {
                skipping = false;
            } else {
                int len = nl - lineStart;
                boolean cut = len > maxLine;
                byte[] line = Arrays.copyOfRange(buf, lineStart, lineStart + Math.min(len, maxLine));
                LogEntry e = entries.build(line, stream, ids, cursorPrefix, bufStart + nl + 1, pathString, cut, nowMicros);
                out.add(e);
                if (cut) {
                    linesCut.inc();
                }
                bytes += e.sizeEstimate(); // heap estimate: what the sinks' buffers bound
            }
            lastPosition = bufStart + nl + 1;
            lineStart = nl + 1;
            scanFrom = lineStart;
        }
        compact(lineStart);
        if (out.isEmpty()) {
            if (lastPosition >= 0) {
                // only the tail of a cut line was consumed: nothing to acknowledge but the position
                acker.register(lastPosition).complete(DeliveryStatus.DELIVERED);
            }
            return 0;
        }
        BatchAck ack = acker.register(lastPosition);
        ctx.emit(new Batch(sourceId, out, bytes, ack));
        return out.size();
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
    private boolean fill() throws IOException {
        if (bufLen == buf.length) {
            int grown = Math.min(Math.max(buf.length * 2, READ_CHUNK), maxLine + READ_CHUNK);
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
        bufLen += n;
        bytesRead.add(n);
        if (buf.length > READ_CHUNK * 4 && bufLen < READ_CHUNK) {
            buf = Arrays.copyOf(buf, READ_CHUNK); // give back memory after a huge line
        }
        return true;
    }

    private void checkTruncation() throws IOException {
        long size = channel.size();
        if (size < bufStart + bufLen) {
            LOG.warn("source={} event=file_truncated path={} size={} offset={} generation={} action=read_from_start",
                    sourceId, pathString, size, bufStart + bufLen, generation + 1);
            truncations.inc();
            startGeneration(generation + 1, 0);
        }
    }

    void closeChannel() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("close failed", e);
        }
    }
}
