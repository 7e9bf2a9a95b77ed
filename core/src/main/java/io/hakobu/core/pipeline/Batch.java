package io.hakobu.core.pipeline;

import io.hakobu.core.buffer.CorruptRecordException;
import io.hakobu.core.buffer.RecordCodec;
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
    /** One disk buffer record's payload, not decoded (see {@link #encoded()}), or null. */
    private final byte[] encoded;
    private final int count;
    /** The decoded entries of an encoded batch, once somebody asked for them. */
    private volatile List<LogEntry> decoded;

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
        this.encoded = null;
        this.count = entries.size();
    }

    private Batch(String sourceId, byte[] encoded, int count, long bytes, BatchAck ack, long record) {
        this.sourceId = Objects.requireNonNull(sourceId, "sourceId");
        this.encoded = Objects.requireNonNull(encoded, "encoded");
        this.count = count;
        this.entries = null;
        this.bytes = bytes;
        this.ack = Objects.requireNonNull(ack, "ack");
        this.createdNanos = System.nanoTime();
        this.firstRecord = record;
        this.lastRecord = record;
    }

    /**
     * A batch of one disk buffer record, left encoded for a sink that sends records on unchanged
     * (see {@link Sink#acceptsEncoded()}); {@code payload} is the record's {@link RecordCodec}
     * payload with sequence number {@code record}, holding {@code count} entries.
     */
    public static Batch encoded(String sourceId, byte[] payload, int count, long bytes, BatchAck ack, long record) {
        if (record < 0 || count < 0) {
            throw new IllegalArgumentException("record " + record + " count " + count);
        }
        return new Batch(sourceId, payload, count, bytes, ack, record);
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

    /** The entries; an {@link #encoded()} batch decodes them on first use. */
    public List<LogEntry> entries() {
        if (entries != null) {
            return entries;
        }
        List<LogEntry> d = decoded;
        if (d == null) {
            try {
                d = new RecordCodec().decode(encoded, encoded.length).entries();
            } catch (CorruptRecordException e) {
                throw new IllegalStateException("buffer record " + firstRecord + " does not decode: " + e.getMessage(), e);
            }
            decoded = d;
        }
        return d;
    }

    /**
     * For a batch read from a disk buffer by a sink that {@linkplain Sink#acceptsEncoded() accepts
     * encoded records}: the record's payload exactly as the buffer stored it (sequence number
     * {@link #firstRecord()}, {@link #size()} entries); null for every other batch. Do not modify.
     */
    public byte[] encoded() {
        return encoded;
    }

    public int size() {
        return count;
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
