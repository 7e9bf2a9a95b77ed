package io.hakobu.core.pipeline;

/**
 * The outcome of delivering a batch to one sink. Merged worst-first when a batch went to several
 * sinks: {@code REJECTED} beats {@code ERRORED} beats {@code DELIVERED}.
 */
public enum DeliveryStatus {
    /** The sink has the entries with the durability it promises. */
    DELIVERED,
    /** A transient failure (timeout, 5xx, connection refused): the same batch may be retried. */
    ERRORED,
    /**
     * A permanent failure (the destination refuses these entries) or an explicit, counted drop.
     * The entries will never be delivered; sources treat them as done so they are not re-read forever.
     */
    REJECTED;

    public DeliveryStatus merge(DeliveryStatus other) {
        return other.ordinal() > ordinal() ? other : this;
    }

    /** True when no retry will follow: the source may move its checkpoint past the entries. */
    public boolean isFinal() {
        return this != ERRORED;
    }
}
