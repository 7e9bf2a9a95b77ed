package io.hakobu.core.pipeline;

import io.hakobu.core.event.LogEntry;
import java.util.List;
import java.util.Objects;

/**
 * Entries that travel together from one source, with their accounting and their acknowledgement.
 * Immutable once built; the list must not be modified after construction.
 */
public final class Batch {
    private final String sourceId;
    private final List<LogEntry> entries;
    private final long bytes;
    private final BatchAck ack;
    private final long createdNanos;
    private final long firstRecord;
    private final long lastRecord;

    public Batch(String sourceId, List<LogEntry> entries, long bytes, BatchAck ack) {
        this(sourceId, entries, bytes, ack, -1, -1);
    }

    /**
     * A batch read back from a disk buffer, which holds the buffer records
     * {@code [firstRecord, lastRecord]} (see {@link #firstRecord()}).
     */
    public Batch(String sourceId, List<LogEntry> entries, long bytes, BatchAck ack, long firstRecord, long lastRecord) {
        if (firstRecord > lastRecord) {
            throw new IllegalArgumentException("record range " + firstRecord + ".." + lastRecord);
        }
        this.firstRecord = firstRecord;
        this.lastRecord = lastRecord;
        this.sourceId = Objects.requireNonNull(sourceId, "sourceId");
        this.entries = Objects.requireNonNull(entries, "entries");
        this.bytes = bytes;
        this.ack = Objects.requireNonNull(ack, "ack");
        this.createdNanos = System.nanoTime();
    }

    /** A batch whose byte size is the sum of its entries' {@link LogEntry#sizeEstimate()}. */
    public static Batch of(String sourceId, List<LogEntry> entries, BatchAck ack) {
        long b = 0;
        for (LogEntry e : entries) {
            b += e.sizeEstimate();
        }
        return new Batch(sourceId, entries, b, ack);
    }

    public String sourceId() {
        return sourceId;
    }

    public List<LogEntry> entries() {
        return entries;
    }

    public int size() {
        return entries.size();
    }

    public long bytes() {
        return bytes;
    }

    public BatchAck ack() {
        return ack;
    }

    public long createdNanos() {
        return createdNanos;
    }

    /**
     * For a batch a sink receives from a disk buffer: the sequence number of the first buffer
     * record it holds; -1 otherwise (memory buffers, batches on their way in). Record numbers
     * increase by one per record, never repeat within a buffer (across restarts too), and a
     * redelivery after a crash hands out the same records with the same numbers and contents,
     * so a sink can decide durably "this output holds records a..b" before it writes, and make
     * the same decision again after a crash (see the S3 and hakobu sinks).
     */
    public long firstRecord() {
        return firstRecord;
    }

    /** The last buffer record this batch holds, -1 when {@link #firstRecord()} is. */
    public long lastRecord() {
        return lastRecord;
    }
}
