package io.hakobu.core.codec;

import io.hakobu.core.event.LogEntry;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Writes JSON text (RFC 8259) into a {@link ByteBuilder}: the entry's JSON form (SPEC §2) and the
 * values it holds. Shared by the NDJSON encoder and by every sink that needs the JSON form.
 *
 * <p>Output is always valid UTF-8 JSON, whatever the input:
 * <ul>
 *   <li>strings escape {@code "} and {@code \} and the control characters below U+0020 (as
 *       {@code \b \t \n \f \r}, others as <code>&#92;u00XX</code>); everything else passes through as UTF-8
 *       (no escaping of {@code /}, DEL or non-ASCII);</li>
 *   <li>UTF-8 bytes (slices, see {@link #writeUtf8String}) are copied as they are when valid;
 *       ill-formed sequences become U+FFFD exactly as Java's own decoder replaces them
 *       ({@code new String(bytes, UTF_8)}), so a slice encodes to the same JSON whether or not
 *       somebody materialized it as a String first;</li>
 *   <li>a Java string's unpaired surrogate becomes U+FFFD;</li>
 *   <li>{@code Long}, {@code Integer}, {@code Short}, {@code Byte}, {@code BigInteger} and
 *       {@code BigDecimal} are numbers; a finite {@code Double} or {@code Float} is a number, NaN
 *       and the infinities are the strings {@code "NaN"}, {@code "Infinity"},
 *       {@code "-Infinity"};</li>
 *   <li>{@code byte[]} is {@code {"base64":"…"}} (standard alphabet, padded); {@code List} an array,
 *       {@code Map} an object (keys via {@code String.valueOf}); any other object its
 *       {@code toString()} as a string;</li>
 *   <li>values nested deeper than {@value #MAX_DEPTH} levels (only possible with hand-built or
 *       cyclic values; parsers cap nesting far below) are written as {@code null}.</li>
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
public final class JsonWriter {
    /** Deepest nesting of lists and maps written; deeper values become {@code null}. */
    public static final int MAX_DEPTH = 256;

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NULL = {'n', 'u', 'l', 'l'};
    private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
    private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};
    private static final byte[] BASE64_PREFIX = "{\"base64\":\"".getBytes(StandardCharsets.US_ASCII);
    /** U+FFFD REPLACEMENT CHARACTER in UTF-8. */
    static final byte[] REPLACEMENT = {(byte) 0xef, (byte) 0xbf, (byte) 0xbd};

    /** Byte classes inside a JSON string: copy as is, escape, or start of a multi-byte sequence. */
    private static final byte PLAIN = 0;
    private static final byte ESCAPE = 1;
    private static final byte MULTI = 2;
    private static final byte[] CLASS = new byte[256];
    /** A space in every byte: fills the bytes of a word past a string's end so they count as plain. */
    private static final long SPACES = 0x2020202020202020L;

    static {
        for (int c = 0; c < 0x20; c++) {
            CLASS[c] = ESCAPE;
        }
        CLASS['"'] = ESCAPE;
        CLASS['\\'] = ESCAPE;
        for (int c = 0x80; c < 0x100; c++) {
            CLASS[c] = MULTI;
        }
    }

    private JsonWriter() {
    }

    // ---- entries -----------------------------------------------------------------------------

    /**
     * Writes the entry as one JSON object (no line terminator), fields in entry order.
     *
     * <p>A name that occurs more than once (journald allows repeated fields) is written once, at
     * its first position, with a JSON array of all its values in order: fields
     * {@code A=1, B=2, A=3} become {@code {"A":[1,3],"B":2}}. Objects with duplicate keys are
     * legal JSON but most readers keep only one of the values, so merging is the only way nothing
     * is lost. A repeated field whose values are themselves arrays gives an array of arrays.
     */
    public static void writeEntry(LogEntry entry, ByteBuilder out) {
        out.write('{');
        if (hasRepeatedNames(entry)) {
            writeMergedFields(entry, out);
        } else {
            for (int i = 0, n = entry.size(); i < n; i++) {
                if (i > 0) {
                    out.write(',');
                }
                writeName(entry.name(i), out);
                writeField(entry, i, out);
            }
        }
        out.write('}');
    }

    /** Writes the value of field {@code i}; a slice is copied from the backing bytes, never decoded to a String. */
    public static void writeField(LogEntry entry, int i, ByteBuilder out) {
        if (entry.isSlice(i)) {
            writeUtf8String(entry.backing(), entry.sliceOffset(i), entry.sliceLength(i), out);
        } else {
            writeValue(entry.value(i), out);
        }
    }

    /**
     * True when some field name occurs twice. The common case (no repeats) costs one pass with a
     * 64-bit Bloom filter over the names' (cached) hash codes; only a filter hit scans back.
     */
    static boolean hasRepeatedNames(LogEntry entry) {
        long seen = 0;
        for (int i = 0, n = entry.size(); i < n; i++) {
            String name = entry.name(i);
            long bit = 1L << name.hashCode(); // the shift uses the low 6 bits
            if ((seen & bit) != 0 && entry.indexOf(name) < i) {
                return true;
            }
            seen |= bit;
        }
        return false;
    }

    /** The slow path of {@link #writeEntry}: quadratic in the number of fields, only for entries that repeat a name. */
    private static void writeMergedFields(LogEntry entry, ByteBuilder out) {
        int n = entry.size();
        boolean first = true;
        for (int i = 0; i < n; i++) {
            String name = entry.name(i);
            if (entry.indexOf(name) < i) {
                continue; // already written with its first occurrence
            }
            if (!first) {
                out.write(',');
            }
            first = false;
            writeName(name, out);
            int next = entry.indexOf(name, i + 1);
            if (next < 0) {
                writeField(entry, i, out);
                continue;
            }
            out.write('[');
            writeField(entry, i, out);
            for (int j = next; j < n; j++) {
                if (name.equals(entry.name(j))) {
                    out.write(',');
                    writeField(entry, j, out);
                }
            }
            out.write(']');
        }
    }

    /**
     * A cache of encoded field names ({@code "name":}), direct-mapped by the name's hash. Entries
     * repeat the same few dozen names (parsers intern them), so most names are one lookup and one
     * bulk copy instead of an escape scan. Slots hold immutable pairs, so racing threads at worst
     * replace each other's slot; a reader always sees a complete pair.
     */
    private static final int NAME_SLOTS = 512;
    private static final EncodedName[] NAMES = new EncodedName[NAME_SLOTS];
    private static final int MAX_CACHED_NAME = 64;

    private record EncodedName(String name, byte[] bytes) {
    }

    /** Writes {@code "name":}. */
    static void writeName(String name, ByteBuilder out) {
        int slot = name.hashCode() & (NAME_SLOTS - 1);
        EncodedName cached = NAMES[slot];
        if (cached != null && (cached.name == name || cached.name.equals(name))) {
            out.write(cached.bytes);
            return;
        }
        int start = out.length();
        writeString(name, out);
        out.write(':');
        if (name.length() <= MAX_CACHED_NAME) {
            NAMES[slot] = new EncodedName(name, java.util.Arrays.copyOfRange(out.array(), start, out.length()));
        }
    }

    // ---- values ------------------------------------------------------------------------------

    /** Writes any value an entry may hold (see the class comment for the mapping). */
    public static void writeValue(Object value, ByteBuilder out) {
        writeValue(value, out, 0);
    }

    private static void writeValue(Object v, ByteBuilder out, int depth) {
        if (v == null) {
            out.write(NULL);
        } else if (v instanceof String s) {
            writeString(s, out);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            out.writeLong(((Number) v).longValue());
        } else if (v instanceof Double || v instanceof Float) {
            writeDouble(((Number) v).doubleValue(), out);
        } else if (v instanceof Boolean b) {
            out.write(b ? TRUE : FALSE);
        } else if (v instanceof byte[] bytes) {
            writeBase64Object(bytes, out);
        } else if (v instanceof List<?> list) {
            if (depth >= MAX_DEPTH) {
                out.write(NULL);
                return;
            }
            out.write('[');
            boolean first = true;
            for (Object item : list) {
                if (!first) {
                    out.write(',');
                }
                first = false;
                writeValue(item, out, depth + 1);
            }
            out.write(']');
        } else if (v instanceof Map<?, ?> map) {
            if (depth >= MAX_DEPTH) {
                out.write(NULL);
                return;
            }
            out.write('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!first) {
                    out.write(',');
                }
                first = false;
                writeString(String.valueOf(e.getKey()), out);
                out.write(':');
                writeValue(e.getValue(), out, depth + 1);
            }
            out.write('}');
        } else if (v instanceof BigInteger || v instanceof BigDecimal) {
            out.writeUtf8(v.toString()); // both print valid JSON numbers (e.g. 1E+3)
        } else {
            writeString(v.toString(), out);
        }
    }

    /** A finite double as a JSON number ({@code Double.toString} form); NaN and infinities as strings. */
    public static void writeDouble(double d, ByteBuilder out) {
        if (Double.isNaN(d)) {
            writeString("NaN", out);
        } else if (Double.isInfinite(d)) {
            writeString(d > 0 ? "Infinity" : "-Infinity", out);
        } else {
            out.writeUtf8(Double.toString(d));
        }
    }

    /** {@code {"base64":"…"}}. */
    static void writeBase64Object(byte[] bytes, ByteBuilder out) {
        out.write(BASE64_PREFIX);
        out.write(Base64.getEncoder().encode(bytes));
        out.write('"');
        out.write('}');
    }

    // ---- strings -----------------------------------------------------------------------------

    /** Writes {@code s} as a quoted, escaped JSON string. */
    public static void writeString(String s, ByteBuilder out) {
        out.write('"');
        writeStringContent(s, out);
        out.write('"');
    }

    /** Writes the escaped characters of {@code s}, without quotes. */
    private static void writeStringContent(String s, ByteBuilder out) {
        int n = s.length();
        int i = 0;
        // hot path: the leading run of plain ASCII (usually the whole string) is copied in bulk
        while (i < n) {
            char c = s.charAt(i);
            if (c >= 0x80 || CLASS[c] != PLAIN) {
                break;
            }
            i++;
        }
        if (i > 0) {
            out.writeAscii(s, 0, i);
        }
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                if (CLASS[c] == PLAIN) {
                    out.write(c);
                } else {
                    writeEscape(c, out);
                }
            } else {
                i = writeUtf8Char(s, i, out);
            }
        }
    }

    /**
     * Writes {@code bytes[off, off+len)}, taken as UTF-8, as a quoted, escaped JSON string.
     *
     * <p>Hot path: a string of plain ASCII is checked and copied 8 bytes at a time (its last 1-7
     * bytes as one masked word), with no call per copy; otherwise runs of plain ASCII and of valid
     * multi-byte sequences are copied in one block, and only {@code "}, {@code \} and control
     * characters interrupt a run. Cold path: from the
     * first ill-formed sequence on, the rest is decoded with Java's UTF-8 decoder (which replaces
     * what is ill-formed by U+FFFD) and written as a String, so the output is valid UTF-8 and equal
     * to what the decoded String would give.
     */
    public static void writeUtf8String(byte[] bytes, int off, int len, ByteBuilder out) {
        final int end = off + len;
        // the common case, plain ASCII throughout: copied by 8-byte words as it is checked, into
        // room reserved for the whole (plus a word's overrun), with no call per copy
        byte[] dst = out.reserve(len + 10);
        int p = out.length();
        dst[p++] = '"';
        int i = off;
        while (i + 8 <= end) {
            long w = (long) Parsers.LONGS.get(bytes, i);
            if (!isPlain8(w)) {
                break;
            }
            Parsers.LONGS.set(dst, p, w);
            i += 8;
            p += 8;
        }
        int left = end - i;
        if (left > 0 && left < 8) {
            // the last 1-7 bytes as one word: the word at i when the array holds 8 bytes from
            // there (the bytes past the end count as plain), else the word ending at the end
            if (i + 8 <= bytes.length) {
                long w = (long) Parsers.LONGS.get(bytes, i);
                long keep = -1L >>> (64 - 8 * left);
                if (isPlain8((w & keep) | (SPACES & ~keep))) {
                    Parsers.LONGS.set(dst, p, w);
                    p += left;
                    i = end;
                }
            } else if (len >= 8) {
                long w = (long) Parsers.LONGS.get(bytes, end - 8);
                if (isPlain8(w)) {
                    Parsers.LONGS.set(dst, p + left - 8, w); // rewrites 8 - left bytes already there
                    p += left;
                    i = end;
                }
            }
        }
        while (i < end && CLASS[bytes[i] & 0xff] == PLAIN) { // a short string at the array's end, or the plain bytes before the first that is not
            dst[p++] = bytes[i++];
        }
        if (i == end) {
            dst[p++] = '"';
            out.commit(p);
            return;
        }
        out.commit(p); // the quote and the plain prefix
        int run = i; // start of the bytes not yet copied
        while (i < end) {
            // SWAR: skip 8 plain ASCII bytes at a time (values are mostly plain)
            while (i + 8 <= end && isPlain8((long) Parsers.LONGS.get(bytes, i))) {
                i += 8;
            }
            if (i >= end) {
                break;
            }
            byte k = CLASS[bytes[i] & 0xff];
            if (k == PLAIN) {
                i++;
            } else if (k == ESCAPE) {
                out.write(bytes, run, i - run);
                writeEscape(bytes[i], out);
                run = ++i;
            } else {
                int n = utf8Sequence(bytes, i, end);
                if (n == 0) {
                    // i is at a sequence boundary, so decoding from here gives what decoding the whole would
                    out.write(bytes, run, i - run);
                    writeStringContent(new String(bytes, i, end - i, StandardCharsets.UTF_8), out);
                    out.write('"');
                    return;
                }
                i += n; // valid: stays part of the run
            }
        }
        out.write(bytes, run, end - run);
        out.write('"');
    }

    /**
     * True when none of the 8 bytes in {@code w} needs attention: no byte has its high bit set
     * (multi-byte UTF-8), is below 0x20 (control), or is {@code "} or {@code \\}.
     */
    private static boolean isPlain8(long w) {
        long control = (w - 0x2020202020202020L) & ~w;
        long q = w ^ 0x2222222222222222L;
        long quote = (q - Parsers.ONES) & ~q;
        long b = w ^ 0x5c5c5c5c5c5c5c5cL;
        long backslash = (b - Parsers.ONES) & ~b;
        return ((w | control | quote | backslash) & Parsers.HIGHS) == 0;
    }

    /** Writes the escape for an ASCII character that needs one: {@code " \ } or a control character. */
    private static void writeEscape(int c, ByteBuilder out) {
        out.write('\\');
        switch (c) {
            case '"' -> out.write('"');
            case '\\' -> out.write('\\');
            case '\n' -> out.write('n');
            case '\t' -> out.write('t');
            case '\r' -> out.write('r');
            case '\b' -> out.write('b');
            case '\f' -> out.write('f');
            default -> {
                out.write('u');
                out.write('0');
                out.write('0');
                out.write(HEX[(c >> 4) & 0xf]);
                out.write(HEX[c & 0xf]);
            }
        }
    }

    // ---- UTF-8 helpers (shared with the other encoders) ---------------------------------------

    /**
     * Writes the non-ASCII char at {@code s[i]} as UTF-8 (a surrogate pair as one 4-byte sequence,
     * an unpaired surrogate as U+FFFD) and returns the index of the last char consumed.
     */
    static int writeUtf8Char(String s, int i, ByteBuilder out) {
        char c = s.charAt(i);
        if (c < 0x800) {
            out.write(0xc0 | c >> 6);
            out.write(0x80 | c & 0x3f);
        } else if (!Character.isSurrogate(c)) {
            out.write(0xe0 | c >> 12);
            out.write(0x80 | c >> 6 & 0x3f);
            out.write(0x80 | c & 0x3f);
        } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
            int cp = Character.toCodePoint(c, s.charAt(i + 1));
            out.write(0xf0 | cp >> 18);
            out.write(0x80 | cp >> 12 & 0x3f);
            out.write(0x80 | cp >> 6 & 0x3f);
            out.write(0x80 | cp & 0x3f);
            return i + 1;
        } else {
            out.write(REPLACEMENT);
        }
        return i;
    }

    /**
     * Checks the UTF-8 sequence that starts with the non-ASCII byte {@code b[i]} against the
     * RFC 3629 table (no overlongs, no surrogates, nothing above U+10FFFF, nothing cut short by
     * {@code end}).
     *
     * @return its length (2 to 4) when well-formed, else 0
     */
    static int utf8Sequence(byte[] b, int i, int end) {
        int c = b[i] & 0xff;
        int need;
        int lo = 0x80;
        int hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            if (c == 0xe0) {
                lo = 0xa0; // no overlong 3-byte forms
            } else if (c == 0xed) {
                hi = 0x9f; // no UTF-16 surrogates
            }
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            if (c == 0xf0) {
                lo = 0x90; // no overlong 4-byte forms
            } else if (c == 0xf4) {
                hi = 0x8f; // nothing above U+10FFFF
            }
        } else {
            return 0; // a continuation byte, C0, C1 or F5..FF cannot start a sequence
        }
        if (i + need >= end) {
            return 0;
        }
        for (int j = i + 1; j <= i + need; j++) {
            int d = b[j] & 0xff;
            if (d < lo || d > hi) {
                return 0;
            }
            lo = 0x80;
            hi = 0xbf;
        }
        return need + 1;
    }
}
