package io.hakobu.core.pipeline;

/**
 * What a sink's buffer does with a new batch when it is full ({@code buffer.when_full}).
 *
 * @see BoundedBatchQueue
 * @see BufferConfig
 */
public enum WhenFull {
    /**
     * The emitting source waits until the sink frees space: a slow sink pauses its sources and
     * nothing is dropped. The default.
     */
    BLOCK("block"),
    /**
     * The new batch is dropped for this sink only: its share of the acknowledgement completes as
     * {@link DeliveryStatus#REJECTED} and the drop is counted as
     * {@code events_dropped_total{reason="buffer_full",intentional="true"}}.
     */
    DROP_NEWEST("drop_newest");

    private final String configName;

    WhenFull(String configName) {
        this.configName = configName;
    }

    /** The word used in the configuration: {@code block} or {@code drop_newest}. */
    public String configName() {
        return configName;
    }

    /**
     * Parses the configuration word ({@code block} or {@code drop_newest}, exactly).
     *
     * @throws IllegalArgumentException for any other word, with a message naming the valid ones
     */
    public static WhenFull parse(String word) {
        for (WhenFull w : values()) {
            if (w.configName.equals(word)) {
                return w;
            }
        }
        throw new IllegalArgumentException("when_full must be one of block, drop_newest; got '" + word + "'");
    }
}
