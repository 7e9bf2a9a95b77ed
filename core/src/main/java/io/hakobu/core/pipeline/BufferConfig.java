package io.hakobu.core.pipeline;

import java.time.Duration;
import java.util.Objects;

/**
 * One sink's buffer ({@code sinks.<id>.buffer}).
 *
 * <h2>Memory</h2>
 * A bounded in-memory queue, limited both by the number of entries and by their estimated size
 * ({@link Batch#bytes()}); whichever limit is reached first makes it full, and {@link #whenFull}
 * decides what happens next. A single batch larger than a limit is still accepted when the buffer
 * is empty, so an oversized batch can never wedge a pipeline. Sources are acknowledged when the
 * sink has delivered.
 *
 * <h2>Disk</h2>
 * Segment files under {@code data_dir/buffer/<sink id>/}, at most {@link #maxBytes} on disk.
 * Sources are acknowledged once their entries are durable in the buffer ({@link #fsyncInterval}:
 * zero means an fsync per group of writes, "always"; otherwise at most that long after the write);
 * the sink's deliveries then acknowledge against the buffer. In front of the files sits a small
 * staging queue ({@link #maxEvents} entries, {@link #STAGING_BYTES} estimated bytes) that the buffer's writer thread
 * empties in groups.
 *
 * @param type memory or disk
 * @param maxEvents memory: the most entries held; disk: the staging queue's entry limit (at least 1)
 * @param maxBytes memory: the most (estimated) bytes held; disk: the most bytes of segment files
 * @param whenFull what an emit does when the buffer is full
 * @param fsyncInterval disk only: {@link Duration#ZERO} for an fsync per group ("always"), else the interval
 * @param segmentBytes disk only: the size at which a segment is sealed and a new one begun
 */
public record BufferConfig(Type type, long maxEvents, long maxBytes, WhenFull whenFull, Duration fsyncInterval,
        long segmentBytes) {

    public enum Type {
        MEMORY, DISK
    }

    /**
     * Memory, 8192 entries, 16 MiB, {@link WhenFull#BLOCK}. A memory buffer only smooths bursts
     * between a source and a sink: a few dozen batches are enough to keep both busy, and every
     * entry held costs heap (entries' {@link io.hakobu.core.event.LogEntry#sizeEstimate() size
     * estimates} approximate their heap footprint, so {@code maxBytes} bounds the heap it can take).
     */
    public static final BufferConfig DEFAULT = new BufferConfig(8192, 16L << 20, WhenFull.BLOCK);

    /** The disk buffer's default size on disk: 1 GiB. */
    public static final long DISK_DEFAULT_MAX_BYTES = 1L << 30;
    /**
     * The most estimated bytes the staging queue in front of a disk buffer holds: a sixteenth of
     * the heap, between 1 MiB and 8 MiB. Staging only has to cover what sources emit during one
     * group's write and fsync; on an agent's small heap, entries waiting there are most of what
     * survives a young collection, so a fixed 8 MiB filled the old generation (a full collection
     * every ~100 ms at -Xmx56m under load).
     */
    public static final long STAGING_BYTES = sixteenthOfHeap(8L << 20);
    static final long MIN_SEGMENT_BYTES = 4096;

    /** A sixteenth of the JVM's maximum heap, between 1 MiB and {@code max}: what a buffer's in-memory parts may take. */
    static long sixteenthOfHeap(long max) {
        return Math.max(1L << 20, Math.min(max, Runtime.getRuntime().maxMemory() / 16));
    }
    static final long MAX_SEGMENT_BYTES = 64L << 20;

    public BufferConfig {
        Objects.requireNonNull(type, "type");
        if (maxEvents < 1) {
            throw new IllegalArgumentException("maxEvents must be at least 1: " + maxEvents);
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be at least 1: " + maxBytes);
        }
        Objects.requireNonNull(whenFull, "whenFull");
        Objects.requireNonNull(fsyncInterval, "fsyncInterval");
        if (fsyncInterval.isNegative()) {
            throw new IllegalArgumentException("fsyncInterval must not be negative: " + fsyncInterval);
        }
        if (type == Type.DISK && segmentBytes < MIN_SEGMENT_BYTES) {
            throw new IllegalArgumentException("segmentBytes must be at least " + MIN_SEGMENT_BYTES + ": " + segmentBytes);
        }
    }

    /** A memory buffer. */
    public BufferConfig(long maxEvents, long maxBytes, WhenFull whenFull) {
        this(Type.MEMORY, maxEvents, maxBytes, whenFull, Duration.ZERO, 0);
    }

    /**
     * A disk buffer of at most {@code maxBytes}, with segments of an eighth of that (between 4 KiB
     * and 64 MiB) and a staging queue of 8192 entries.
     *
     * @param fsyncInterval {@link Duration#ZERO} for "always"
     */
    public static BufferConfig disk(long maxBytes, WhenFull whenFull, Duration fsyncInterval) {
        long segment = Math.max(MIN_SEGMENT_BYTES, Math.min(MAX_SEGMENT_BYTES, maxBytes / 8));
        return new BufferConfig(Type.DISK, 8192, maxBytes, whenFull, fsyncInterval, segment);
    }

    /** This disk buffer with segments of {@code bytes}. */
    public BufferConfig withSegmentBytes(long bytes) {
        return new BufferConfig(type, maxEvents, maxBytes, whenFull, fsyncInterval, bytes);
    }

    public boolean isDisk() {
        return type == Type.DISK;
    }
}
