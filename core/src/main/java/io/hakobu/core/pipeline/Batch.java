package io.hakobu.core.pipeline;

import io.hakobu.core.buffer.CorruptRecordException;
import io.hakobu.core.buffer.RecordCodec;
import io.hakobu.core.codec.ByteBuilder;
import io.hakobu.core.event.LogEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

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
    /** The decoded entries of an encoded or received batch, once somebody asked for them. */
    private volatile List<LogEntry> decoded;
    /** The record payloads the entries arrived as (see {@link #received}), or null. */
    private final List<RecordCodec.Region> regions;
    /** The entries encoded ahead by a source thread (see {@link #encodeAhead}), until stored. Guarded by this. */
    private List<RecordCodec.Region> ahead;
    /** The buffer {@link #ahead} lies in, where it goes back to, and how many disk buffers still need it. Guarded by this. */
    private ByteBuilder aheadBytes;
    private Consumer<ByteBuilder> aheadReturn;
    private int aheadUsers;

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
        this.regions = null;
    }

    /** A {@link #received} batch: entries decoded from the regions on first use. */
    private Batch(String sourceId, List<RecordCodec.Region> regions, int count, long bytes, BatchAck ack) {
        this.sourceId = Objects.requireNonNull(sourceId, "sourceId");
        this.regions = List.copyOf(regions);
        this.count = count;
        this.entries = null;
        this.encoded = null;
        this.bytes = bytes;
        this.ack = Objects.requireNonNull(ack, "ack");
        this.createdNanos = System.nanoTime();
        this.firstRecord = -1;
        this.lastRecord = -1;
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
     * A batch whose entries arrived as the well-formed record payloads {@code regions} (checked
     * by the receiver, e.g. with {@link RecordCodec#check}): its entries are their decoded
     * concatenation, in order, each non-null stream prefixed with its region's prefix, decoded
     * only when somebody asks ({@link #entries()}). A disk buffer stores such a batch by copying
     * the regions under a new header (see {@link io.hakobu.core.buffer.DiskBuffer#append(String,
     * List, java.util.function.Supplier)}), so an aggregator whose sinks read records encoded
     * never makes the entries at all.
     */
    public static Batch received(String sourceId, long bytes, BatchAck ack, List<RecordCodec.Region> regions) {
        long n = 0;
        for (RecordCodec.Region r : regions) {
            n += r.count();
        }
        if (regions.isEmpty() || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a received batch needs 1 to 2^31-1 entries in its regions, not " + n);
        }
        return new Batch(sourceId, regions, (int) n, bytes, ack);
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

    /**
     * The entries; an {@link #encoded()} or {@link #received} batch decodes them on first use
     * (on the caller's thread; two threads asking at once may each decode).
     */
    public List<LogEntry> entries() {
        if (entries != null) {
            return entries;
        }
        List<LogEntry> d = decoded;
        if (d == null) {
            RecordCodec codec = new RecordCodec();
            try {
                if (encoded != null) {
                    d = codec.decode(encoded, encoded.length).entries();
                } else {
                    d = new ArrayList<>(count);
                    for (RecordCodec.Region r : regions) {
                        d.addAll(codec.decode(r.buf(), r.offset(), r.length(), r.streamPrefix()).entries());
                    }
                }
            } catch (CorruptRecordException e) {
                throw new IllegalStateException((encoded != null ? "buffer record " + firstRecord : "a received record")
                        + " does not decode: " + e.getMessage(), e);
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

    /**
     * Encodes the entries into record payloads ahead, on the caller's (a source's) thread, into a
     * buffer from {@code take} that goes back to {@code give} once every disk buffer that asked
     * has stored them ({@link #releaseEncodedAhead}); a batch offered to several disk buffers is
     * encoded once. Nothing for a {@link #received} or {@link #encoded} batch. Each call must be
     * matched by one {@link #releaseEncodedAhead} (or none, if the batch is never stored: its
     * buffer is then simply not reused).
     */
    public synchronized void encodeAhead(Supplier<ByteBuilder> take, Consumer<ByteBuilder> give) {
        if (entries == null || entries.isEmpty()) {
            return;
        }
        if (ahead == null) {
            ByteBuilder out = take.get();
            ahead = io.hakobu.core.buffer.DiskBuffer.encodeAhead(sourceId, entries, out);
            aheadBytes = out;
            aheadReturn = give;
        }
        aheadUsers++;
    }

    /**
     * The record payloads {@link #encodeAhead} made, valid until the caller's
     * {@link #releaseEncodedAhead}; null when the batch was not encoded ahead.
     */
    public synchronized List<RecordCodec.Region> encodedAhead() {
        return ahead;
    }

    /** One disk buffer stored the payloads encoded ahead; after the last, their buffer is given back. */
    public synchronized void releaseEncodedAhead() {
        if (ahead != null && --aheadUsers == 0) {
            ahead = null;
            ByteBuilder b = aheadBytes;
            aheadBytes = null;
            aheadReturn.accept(b);
            aheadReturn = null;
        }
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
