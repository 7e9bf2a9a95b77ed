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
    /** The record payloads the entries arrived as (see {@link #received}), or null. */
    private final List<RecordCodec.Region> regions;

    public Batch(String sourceId, List<LogEntry> entries, long bytes, BatchAck ack) {
        this(sourceId, entries, bytes, ack, -1, -1);
    }

    /**
     * A batch read back from a disk buffer, which holds the buffer records
     * {@code [firstRecord, lastRecord]} (see {@link #firstRecord()}).
     */
    public Batch(String sourceId, List<LogEntry> entries, long bytes, BatchAck ack, long firstRecord, long lastRecord) {
        this(sourceId, entries, bytes, ack, firstRecord, lastRecord, null);
    }

    private Batch(String sourceId, List<LogEntry> entries, long bytes, BatchAck ack, long firstRecord, long lastRecord,
                  List<RecordCodec.Region> regions) {
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
        this.regions = regions;
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
        this.regions = null;
    }

    /**
     * A batch whose entries arrived as the record payloads {@code regions} (the entries are their
     * decoded concatenation, in order, each non-null stream prefixed with its region's prefix). A
     * disk buffer stores such a batch by copying the regions under a new header instead of
     * encoding the entries again (see {@link io.hakobu.core.buffer.DiskBuffer#append(String, List,
     * List)}); everything else uses the entries.
     */
    public static Batch received(String sourceId, List<LogEntry> entries, long bytes, BatchAck ack, List<RecordCodec.Region> regions) {
        long n = 0;
        for (RecordCodec.Region r : regions) {
            n += r.count();
        }
        if (n != entries.size()) {
            throw new IllegalArgumentException("regions hold " + n + " entries, the batch " + entries.size());
        }
        return new Batch(sourceId, entries, bytes, ack, -1, -1, List.copyOf(regions));
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

    /** For a {@link #received} batch, the record payloads its entries arrived as; null otherwise. */
    public List<RecordCodec.Region> regions() {
        return regions;
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
