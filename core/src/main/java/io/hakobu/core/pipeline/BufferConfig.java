package io.hakobu.core.pipeline;

import java.util.Objects;

/**
 * The limits of one sink's in-memory buffer ({@code sinks.<id>.buffer}).
 *
 * <p>The buffer is bounded both by the number of entries and by their estimated size
 * ({@link Batch#bytes()}); whichever limit is reached first makes it full, and {@link #whenFull}
 * decides what happens next. A single batch larger than a limit is still accepted when the buffer
 * is empty, so an oversized batch can never wedge a pipeline.
 *
 * @param maxEvents the most entries the buffer holds (at least 1)
 * @param maxBytes the most bytes the buffer holds (at least 1)
 * @param whenFull what an emit does when the buffer is full
 */
public record BufferConfig(long maxEvents, long maxBytes, WhenFull whenFull) {
    /**
     * 8192 entries, 16 MiB, {@link WhenFull#BLOCK}. A memory buffer only smooths bursts between a
     * source and a sink: a few dozen batches are enough to keep both busy, and every entry held
     * costs heap (entries' {@link io.hakobu.core.event.LogEntry#sizeEstimate() size estimates}
     * approximate their heap footprint, so {@code maxBytes} bounds the heap the buffer can take).
     */
    public static final BufferConfig DEFAULT = new BufferConfig(8192, 16L << 20, WhenFull.BLOCK);

    public BufferConfig {
        if (maxEvents < 1) {
            throw new IllegalArgumentException("maxEvents must be at least 1: " + maxEvents);
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be at least 1: " + maxBytes);
        }
        Objects.requireNonNull(whenFull, "whenFull");
    }
}
