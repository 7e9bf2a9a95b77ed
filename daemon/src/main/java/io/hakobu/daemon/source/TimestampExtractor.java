package io.hakobu.daemon.source;

import io.hakobu.core.config.ConfigMap;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.Locale;

/**
 * Event time from a field of the line ({@code timestamp: {field, format}}): the entry's
 * {@code __REALTIME_TIMESTAMP} becomes that time instead of the time read.
 *
 * <p>{@code format} is {@code rfc3339} (also {@code iso8601}), {@code unix} (seconds, may have a
 * fraction), {@code unix_ms}, {@code unix_us}, or a {@link DateTimeFormatter} pattern such as
 * nginx's {@code dd/MMM/yyyy:HH:mm:ss Z} (English month names; a pattern without a zone is read
 * as UTC). A value that does not parse leaves the time read in place and adds
 * {@code _TIMESTAMP_ERROR}: the entry is never dropped.
 *
 * <p>Not thread-safe (one per source thread): it remembers the last text it parsed, since log
 * lines written in the same second carry the same text.
 */
public final class TimestampExtractor {
    public static final String ERROR_FIELD = "_TIMESTAMP_ERROR";

    private final String field;
    private final String format;
    private final DateTimeFormatter formatter;
    private String lastText;
    private long lastMicros;

    /** The configuration of {@code timestamp}. */
    public record Config(String field, String format) {
    }

    private TimestampExtractor(String field, String format, DateTimeFormatter formatter) {
        this.field = field;
        this.format = format;
        this.formatter = formatter;
    }

    /** Reads {@code timestamp} from a source's config; null when absent or invalid (reported). */
    public static Config parseConfig(ConfigMap source) {
        if (!source.has("timestamp")) {
            source.accept("timestamp");
            return null;
        }
        ConfigMap t = source.map("timestamp");
        String field = t.requiredString("field");
        String format = t.requiredString("format");
        t.finish();
        if (field == null || format == null) {
            return null;
        }
        try {
            create(new Config(field, format));
        } catch (IllegalArgumentException e) {
            t.problem("format", "not a timestamp format: " + e.getMessage()
                    + "; use rfc3339, unix, unix_ms, unix_us or a pattern like \"dd/MMM/yyyy:HH:mm:ss Z\"");
            return null;
        }
        return new Config(field, format);
    }

    /** @throws IllegalArgumentException for an invalid pattern */
    public static TimestampExtractor create(Config c) {
        switch (c.format()) {
            case "rfc3339":
            case "iso8601":
                return new TimestampExtractor(c.field(), "rfc3339", DateTimeFormatter.ISO_OFFSET_DATE_TIME);
            case "unix":
            case "unix_ms":
            case "unix_us":
                return new TimestampExtractor(c.field(), c.format(), null);
            default:
                DateTimeFormatter f = DateTimeFormatter.ofPattern(c.format(), Locale.ENGLISH).withZone(ZoneOffset.UTC);
                return new TimestampExtractor(c.field(), "pattern", f);
        }
    }

    public String field() {
        return field;
    }

    /**
     * The event time of {@code text} in microseconds since the epoch.
     *
     * @throws IllegalArgumentException with the reason when it does not parse
     */
    public long micros(String text) {
        if (text.equals(lastText)) {
            return lastMicros;
        }
        long m = parse(text.trim());
        lastText = text;
        lastMicros = m;
        return m;
    }

    private long parse(String s) {
        try {
            switch (format) {
                case "unix":
                    return Math.round(Double.parseDouble(s) * 1_000_000d);
                case "unix_ms":
                    return Math.multiplyExact(Long.parseLong(s), 1000L);
                case "unix_us":
                    return Long.parseLong(s);
                default:
                    TemporalAccessor t = formatter.parse(s);
                    long seconds = Instant.from(t).getEpochSecond();
                    long nanos = t.isSupported(ChronoField.NANO_OF_SECOND) ? t.getLong(ChronoField.NANO_OF_SECOND) : 0;
                    return seconds * 1_000_000L + nanos / 1000L;
            }
        } catch (java.time.DateTimeException | NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("'" + s + "' is not a " + format + " timestamp"
                    + (format.equals("pattern") ? " (" + e.getMessage() + ")" : ""), e);
        }
    }
}
