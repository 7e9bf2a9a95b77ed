package io.hakobu.core.codec;

import java.util.List;

/**
 * Creates the output {@link Encoder}s by their configuration name ({@code encoding:} of the file
 * and stdout sinks).
 *
 * <ul>
 *   <li>{@code raw}: the {@code MESSAGE} per line ({@link RawEncoder});</li>
 *   <li>{@code ndjson}: the JSON form of SPEC §2 per line ({@link NdjsonEncoder});</li>
 *   <li>{@code ltsv}: {@code label:value} TAB-separated per line ({@link LtsvEncoder}).</li>
 * </ul>
 *
 * <p>The encoders are stateless, so the returned instances are shared and thread-safe.
 */
public final class Encoders {

    /** The encoding names {@link #create} accepts, as written in the configuration. */
    public static final List<String> FORMATS = List.of("raw", "ndjson", "ltsv");

    private static final Encoder RAW = new RawEncoder();
    private static final Encoder NDJSON = new NdjsonEncoder();
    private static final Encoder LTSV = new LtsvEncoder();

    private Encoders() {
    }

    /**
     * The encoder called {@code name}.
     *
     * @param name one of {@link #FORMATS}
     * @throws IllegalArgumentException for an unknown name
     */
    public static Encoder create(String name) {
        if (name != null) {
            switch (name) {
                case "raw":
                    return RAW;
                case "ndjson":
                    return NDJSON;
                case "ltsv":
                    return LTSV;
                default:
                    break;
            }
        }
        throw new IllegalArgumentException("unknown encoding '" + name + "', expected one of " + FORMATS);
    }
}
