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

    public Batch(String sourceId, List<LogEntry> entries, long bytes, BatchAck ack) {
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
}
