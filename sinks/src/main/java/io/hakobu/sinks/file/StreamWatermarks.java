package io.hakobu.sinks.file;

import io.hakobu.core.event.LogEntry;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per input stream, the highest position a sink has durably written: the sink's memory of what
 * it already has, used to skip entries a source sends again after a crash (its own checkpoint
 * lagged behind the sink's).
 *
 * <p>A stream is identified by the batch's source id together with {@link LogEntry#stream()}
 * (two sources may read the same file, and must not hide each other's entries). An entry is a
 * duplicate when its position is at or below the stream's watermark; entries without a stream
 * or with a negative position are never duplicates. This relies on the source contract that
 * positions grow along a stream and that one source's batches arrive in order.
 *
 * <p>A write works in two steps: {@link #isDuplicate} raises a <em>pending</em> watermark for
 * each new entry (so a repeat within the same write is caught too); then {@link #commit()} makes
 * the pending marks the committed ones, or {@link #rollback()} forgets them when the write failed
 * and will be retried.
 *
 * <p>Bounded: at most {@code maxStreams} streams are kept. When a commit goes beyond, the streams
 * written (or seen) least recently are forgotten. Forgetting a stream is safe unless its source
 * later re-sends entries from before the last time the stream was written: by then the source
 * has long since been acknowledged and moved its checkpoint on.
 *
 * <p>Not thread-safe: used from the sink's runner thread only. Public for the s3 sink, which
 * skips re-sent entries the same way.
 */
public final class StreamWatermarks {
    private record Key(String source, String stream) {
    }

    private static final class Mark {
        final Key key;
        /** Highest position durably written, -1 when none. */
        long committed = -1;
        /** Highest position in the write in progress, valid while {@link #inWrite}. */
        long pending = -1;
        boolean inWrite;

        Mark(Key key) {
            this.key = key;
        }
    }

    /** What {@link #forEach} reports: one stream and its committed position. */
    public interface Visitor {
        void visit(String source, String stream, long position);
    }

    private final int maxStreams;
    /** Access order: least recently written or seen first. */
    private final LinkedHashMap<Key, Mark> marks = new LinkedHashMap<>(64, 0.75f, true);
    private final List<Mark> inWrite = new ArrayList<>();
    /** One-entry cache: consecutive entries usually share their stream (and its String instance). */
    private String lastSource;
    private String lastStream;
    private Mark lastMark;

    public StreamWatermarks(int maxStreams) {
        if (maxStreams < 1) {
            throw new IllegalArgumentException("maxStreams < 1");
        }
        this.maxStreams = maxStreams;
    }

    /**
     * True when {@code entry}, from source {@code sourceId}, was already written (committed) or is
     * already part of the write in progress; otherwise records it as pending and returns false.
     */
    public boolean isDuplicate(String sourceId, LogEntry entry) {
        return isDuplicate(sourceId, entry.stream(), entry.position());
    }

    /** {@link #isDuplicate(String, LogEntry)} for an entry of stream {@code stream} at {@code position}. */
    public boolean isDuplicate(String sourceId, String stream, long position) {
        if (stream == null || position < 0) {
            return false;
        }
        Mark m;
        if (stream == lastStream && sourceId == lastSource) {
            m = lastMark;
        } else {
            m = marks.computeIfAbsent(new Key(sourceId, stream), Mark::new);
            lastSource = sourceId;
            lastStream = stream;
            lastMark = m;
        }
        long high = m.inWrite ? Math.max(m.committed, m.pending) : m.committed;
        if (position <= high) {
            return true;
        }
        if (!m.inWrite) {
            m.inWrite = true;
            inWrite.add(m);
        }
        m.pending = position;
        return false;
    }

    /** The write succeeded: pending marks become committed; then forgets the oldest streams beyond the bound. */
    public void commit() {
        for (Mark m : inWrite) {
            m.committed = Math.max(m.committed, m.pending);
            m.inWrite = false;
        }
        inWrite.clear();
        forgetCache();
        for (Iterator<Mark> it = marks.values().iterator(); marks.size() > maxStreams && it.hasNext(); ) {
            it.next();
            it.remove();
        }
    }

    /** The write failed: forgets the pending marks (streams first seen in it are removed). */
    void rollback() {
        for (Mark m : inWrite) {
            m.inWrite = false;
            if (m.committed < 0) {
                marks.remove(m.key);
            }
        }
        inWrite.clear();
        forgetCache();
    }

    /** Sets a committed watermark read from a checkpoint; call in the saved order (oldest first). */
    public void restore(String sourceId, String stream, long position) {
        Mark m = marks.computeIfAbsent(new Key(sourceId, stream), Mark::new);
        m.committed = Math.max(m.committed, position);
        forgetCache();
        for (Iterator<Mark> it = marks.values().iterator(); marks.size() > maxStreams && it.hasNext(); ) {
            it.next();
            it.remove();
        }
    }

    /** The committed watermark of a stream, or -1. */
    long committed(String sourceId, String stream) {
        Mark m = marks.get(new Key(sourceId, stream));
        return m == null ? -1 : m.committed;
    }

    int size() {
        return marks.size();
    }

    /** Visits every stream with a committed watermark, least recently written first. */
    public void forEach(Visitor v) {
        for (Map.Entry<Key, Mark> e : marks.entrySet()) {
            Mark m = e.getValue();
            if (m.committed >= 0) {
                v.visit(m.key.source(), m.key.stream(), m.committed);
            }
        }
    }

    private void forgetCache() {
        lastSource = null;
        lastStream = null;
        lastMark = null;
    }
}
