package io.hakobu.sinks.file;

import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code path} of a file sink: a file name with {@code {NAME}} placeholders, rendered per
 * entry, e.g. {@code /var/log/remote/{_HOSTNAME}/{_SOURCE}.log}.
 *
 * <p>Placeholders:
 * <ul>
 *   <li>{@code {date}} and {@code {hour}}: the UTC date ({@code yyyy-MM-dd}) and hour ({@code HH})
 *       of the entry's {@code __REALTIME_TIMESTAMP}, for Hive-style layouts such as
 *       {@code dt={date}/hour={hour}} (the S3 sink's layout). These two names are reserved: they
 *       never refer to entry fields.</li>
 *   <li>any other name: the value of the entry's first field of that name (numbers in decimal,
 *       raw bytes decoded as UTF-8).</li>
 * </ul>
 *
 * <p>A field that is absent or {@code null} (or a missing timestamp) renders as {@value #MISSING},
 * so those entries still land somewhere predictable instead of failing.
 *
 * <p>Values can never leave the directory the template names:
 * <ul>
 *   <li>in a value, {@code /}, {@code \}, NUL and the other control characters become
 *       {@code _}; an empty value becomes {@value #MISSING};</li>
 *   <li>a path segment that holds a placeholder and would render as {@code .} or {@code ..}
 *       (e.g. {@code {A}} with {@code A=".."}, or {@code {A}.} with {@code A="."}) has its dots
 *       replaced by {@code _};</li>
 *   <li>a value is cut after {@value #MAX_VALUE_CHARS} characters, so a long value cannot make a
 *       file name longer than the file system allows (which would fail every retry).</li>
 * </ul>
 * The literal parts of the template are the operator's and are kept as written. A {@code {} always
 * starts a placeholder; templates cannot contain literal braces.
 *
 * <p>Immutable. Rendering goes through a {@link Renderer}, which caches and is not thread-safe.
 */
public final class PathTemplate {
    /** What an absent field renders as. */
    public static final String MISSING = "_";
    /** Longest value (in chars) a placeholder renders. */
    public static final int MAX_VALUE_CHARS = 128;
    static final String DATE = "date";
    static final String HOUR = "hour";

    private enum Kind { LITERAL, SEPARATOR, FIELD, DATE, HOUR }

    /** One piece of the template; a literal never contains '/', separators stand alone. */
    private record Part(Kind kind, String text) {
    }

    private final String template;
    private final List<Part> parts;
    private final boolean constant;

    private PathTemplate(String template, List<Part> parts) {
        this.template = template;
        this.parts = List.copyOf(parts);
        this.constant = parts.stream().allMatch(p -> p.kind == Kind.LITERAL || p.kind == Kind.SEPARATOR);
    }

    /**
     * Parses a template.
     *
     * @throws IllegalArgumentException with a message fit for a configuration problem
     */
    public static PathTemplate parse(String template) {
        if (template == null || template.isEmpty()) {
            throw new IllegalArgumentException("must not be empty");
        }
        if (template.endsWith("/")) {
            throw new IllegalArgumentException("must name a file, not a directory (it ends with '/')");
        }
        if (template.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("must not contain a NUL character");
        }
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            char c = template.charAt(i);
            if (c == '}') {
                throw new IllegalArgumentException("'}' at position " + (i + 1) + " has no matching '{'");
            }
            if (c == '/') {
                flushLiteral(literal, parts);
                parts.add(new Part(Kind.SEPARATOR, "/"));
                i++;
                continue;
            }
            if (c != '{') {
                literal.append(c);
                i++;
                continue;
            }
            int close = template.indexOf('}', i + 1);
            if (close < 0) {
                throw new IllegalArgumentException("'{' at position " + (i + 1) + " is not closed");
            }
            String name = template.substring(i + 1, close);
            if (name.isEmpty()) {
                throw new IllegalArgumentException("empty placeholder '{}' at position " + (i + 1));
            }
            if (name.indexOf('{') >= 0 || name.indexOf('/') >= 0) {
                throw new IllegalArgumentException("placeholder at position " + (i + 1)
                        + " must be a field name between '{' and '}', got '{" + name + "}'");
            }
            flushLiteral(literal, parts);
            Kind kind = name.equals(DATE) ? Kind.DATE : name.equals(HOUR) ? Kind.HOUR : Kind.FIELD;
            parts.add(new Part(kind, name));
            i = close + 1;
        }
        flushLiteral(literal, parts);
        return new PathTemplate(template, parts);
    }

    private static void flushLiteral(StringBuilder literal, List<Part> parts) {
        if (literal.length() > 0) {
            parts.add(new Part(Kind.LITERAL, literal.toString()));
            literal.setLength(0);
        }
    }

    /** The template as configured. */
    public String template() {
        return template;
    }

    public boolean isAbsolute() {
        return template.startsWith("/");
    }

    /** True when the template has no placeholder: every entry goes to the same file. */
    public boolean isConstant() {
        return constant;
    }

    /** The entry field names the template refers to (not {@code date}/{@code hour}), in order. */
    public List<String> fieldNames() {
        return parts.stream().filter(p -> p.kind == Kind.FIELD).map(Part::text).toList();
    }

    /** A new renderer; give each thread its own. */
    public Renderer renderer() {
        return new Renderer();
    }

    @Override
    public String toString() {
        return template;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PathTemplate t && t.template.equals(template);
    }

    @Override
    public int hashCode() {
        return template.hashCode();
    }

    /** Renders the template for entries. Keeps a scratch buffer and the last hour it formatted; not thread-safe. */
    public final class Renderer {
        private final StringBuilder sb = new StringBuilder(128);
        private long cachedHourBucket = Long.MIN_VALUE;
        private String cachedDate;
        private String cachedHour;

        private Renderer() {
        }

        /** The path for {@code entry}, as a string (relative when the template is). */
        public String render(LogEntry entry) {
            if (constant) {
                return template;
            }
            sb.setLength(0);
            int segmentStart = 0;
            boolean segmentHasPlaceholder = false;
            for (Part p : parts) {
                switch (p.kind) {
                    case LITERAL -> sb.append(p.text);
                    case SEPARATOR -> {
                        if (segmentHasPlaceholder) {
                            neutraliseDots(segmentStart);
                        }
                        sb.append('/');
                        segmentStart = sb.length();
                        segmentHasPlaceholder = false;
                    }
                    case FIELD -> {
                        appendValue(entry, p.text);
                        segmentHasPlaceholder = true;
                    }
                    case DATE, HOUR -> {
                        appendTime(entry, p.kind == Kind.DATE);
                        segmentHasPlaceholder = true;
                    }
                    default -> throw new AssertionError(p.kind);
                }
            }
            if (segmentHasPlaceholder) {
                neutraliseDots(segmentStart);
            }
            return sb.toString();
        }

        /** A segment that is exactly "." or ".." would step out of place: make it "_" or "__". */
        private void neutraliseDots(int start) {
            int len = sb.length() - start;
            if ((len == 1 || len == 2) && sb.charAt(start) == '.' && sb.charAt(sb.length() - 1) == '.') {
                for (int i = start; i < sb.length(); i++) {
                    sb.setCharAt(i, '_');
                }
            }
        }

        private void appendValue(LogEntry entry, String name) {
            int i = entry.indexOf(name);
            Object v = i < 0 ? null : entry.value(i);
            if (v == null) {
                sb.append(MISSING);
                return;
            }
            String s = v instanceof String str ? str
                    : v instanceof byte[] b ? new String(b, StandardCharsets.UTF_8)
                    : String.valueOf(v);
            if (s.isEmpty()) {
                sb.append(MISSING);
                return;
            }
            int n = Math.min(s.length(), MAX_VALUE_CHARS);
            if (n < s.length() && Character.isHighSurrogate(s.charAt(n - 1))) {
                n--; // do not cut a surrogate pair in half
            }
            for (int k = 0; k < n; k++) {
                char c = s.charAt(k);
                sb.append(c == '/' || c == '\\' || c < 0x20 || c == 0x7f ? '_' : c);
            }
        }

        private void appendTime(LogEntry entry, boolean date) {
            long micros = timestampMicros(entry.get(Fields.REALTIME_TIMESTAMP));
            if (micros == Long.MIN_VALUE) {
                sb.append(MISSING);
                return;
            }
            long bucket = Math.floorDiv(micros, 3_600_000_000L);
            if (bucket != cachedHourBucket) {
                LocalDateTime t = LocalDateTime.ofEpochSecond(bucket * 3600, 0, ZoneOffset.UTC);
                cachedDate = t.toLocalDate().toString(); // yyyy-MM-dd for years 0..9999
                cachedHour = t.getHour() < 10 ? "0" + t.getHour() : Integer.toString(t.getHour());
                cachedHourBucket = bucket;
            }
            sb.append(date ? cachedDate : cachedHour);
        }
    }

    /** {@code __REALTIME_TIMESTAMP} in microseconds, or {@code Long.MIN_VALUE} when absent or not a number. */
    static long timestampMicros(Object v) {
        if (v instanceof Long || v instanceof Integer) {
            return ((Number) v).longValue();
        }
        if (v instanceof String s) {
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                return Long.MIN_VALUE;
            }
        }
        return Long.MIN_VALUE;
    }
}
