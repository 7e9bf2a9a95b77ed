package io.hakobu.core.codec;

import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code json} format: one JSON object per line (NDJSON, JSON Lines, {@code journalctl -o json},
 * most application loggers). Each member of the object becomes a field, in order.
 *
 * <p>Value mapping: strings become {@code String}s, integers {@code Long}, other numbers
 * {@code Double}, {@code true}/{@code false} {@code Boolean}, {@code null} a null value, objects a
 * {@code LinkedHashMap<String,Object>} and arrays an {@code ArrayList<Object>}. Two cases keep the
 * number's text as a {@code String} so that nothing is lost or made unencodable: an integer outside
 * the range of a {@code long}, and a number too large for a {@code double} (which would be
 * infinite).
 *
 * <p>Strict RFC 8259 syntax, failing the line (whole line as {@code MESSAGE}, reason in
 * {@code _PARSE_ERROR}, e.g. {@code "json: unexpected end of input at byte 17"}, offsets counted
 * from 0 at the start of the line) when: the top level is not an object; anything but whitespace
 * follows it; a string holds a raw control character or a bad escape; a number or literal is
 * malformed; nesting is deeper than {@value #MAX_DEPTH}. Bytes of strings are not checked as UTF-8:
 * invalid sequences decode to U+FFFD instead of failing the line, and so does a lone surrogate
 * written as a {@code \}{@code u} escape. An empty line is an empty record and, like an empty
 * object {@code {}}, is kept as {@code MESSAGE} (the line) without {@code _PARSE_ERROR}. A repeated
 * member keeps its first position and its last value, at the top level as in nested objects.
 *
 * <p>This is a small hand-written recursive-descent parser rather than Jackson's streaming one: it
 * adds top-level strings without escapes as slices of the line (no {@code String} until somebody
 * reads them), scans strings 8 bytes at a time, and recognises a member name by comparing it with
 * the name at the same position in the previous line (else interns it through a
 * {@link io.hakobu.core.event.FieldNames} cache). See {@code ParseBenchmark} for how it compares
 * with Jackson. Not thread-safe.
 */
public final class JsonLineParser implements Parser {

    /**
     * The deepest nesting accepted; the top-level object is depth 1. Bounds the recursion, and stays
     * well below {@link JsonWriter#MAX_DEPTH} so that whatever parses can be written back whole.
     */
    static final int MAX_DEPTH = 128;

    private static final long QUOTES = 0x2222222222222222L;
    private static final long BACKSLASHES = 0x5c5c5c5c5c5c5c5cL;
    /** {@code 0x20} in every byte: a byte below it is a control character. */
    private static final long CONTROLS = 0x2020202020202020L;

    private final boolean keepMessage;
    /** Member names; top-level ones are remembered by position. */
    private final Parsers.NameCache names = new Parsers.NameCache();
    private final Parsers.PendingFields pending = new Parsers.PendingFields();
    /** Reused output for strings with escapes; unescaping never makes a string longer. */
    private byte[] scratch = new byte[256];

    // State for the line being parsed.
    private byte[] buf;
    /** Start of the line: error offsets are reported relative to it. */
    private int base;
    private int pos;
    private int end;
    // The string last scanned by scanString(): raw bytes between its quotes, and whether it has escapes.
    private int strStart;
    private int strEnd;
    private boolean strEscaped;

    public JsonLineParser(boolean keepMessage) {
        this.keepMessage = keepMessage;
    }

    @Override
    public void parse(byte[] line, int off, int len, LogEntry entry) {
        final int lineEnd = Parsers.stripCr(line, off, len);
        if (lineEnd > off) {
            buf = line;
            base = off;
            pos = off;
            end = lineEnd;
            try {
                parseObjectLine();
            } catch (SyntaxException e) {
                pending.clear();
                Parsers.fail(entry, off, lineEnd, e.getMessage());
                return;
            } finally {
                buf = null;
            }
        }
        if (keepMessage || pending.size() == 0) {
            // an empty record ("" or "{}") still leaves a trace of the line
            entry.addSlice(Fields.MESSAGE, off, lineEnd - off);
        }
        pending.drainTo(entry);
    }

    /** {@code ws object ws}, adding the object's members to {@link #pending}. */
    private void parseObjectLine() {
        skipWhitespace();
        if (pos == end) {
            throw endOfInput();
        }
        if (buf[pos] != '{') {
            throw error("top level is not an object, found " + Parsers.describe(buf[pos]), pos);
        }
        pos++;
        skipWhitespace();
        if (peek() == '}') {
            pos++;
        } else {
            for (int member = 0;; member++) {
                String name = memberName(member);
                if (peek() == '"') {
                    scanString();
                    if (strEscaped) {
                        pending.add(name, unescape());
                    } else {
                        pending.addSlice(name, strStart, strEnd - strStart);
                    }
                } else {
                    pending.add(name, value(1));
                }
                if (endOfMembers('}')) {
                    break;
                }
            }
        }
        skipWhitespace();
        if (pos != end) {
            throw error("trailing data after the object", pos);
        }
    }

    /**
     * {@code string ws ':' ws}: a member's name, leaving {@link #pos} at its value. {@code position}
     * is the member's index in the top-level object, or -1 in a nested one.
     */
    private String memberName(int position) {
        if (peek() != '"') {
            throw unexpected("expected a member name");
        }
        scanString();
        String name;
        final int length = strEnd - strStart;
        if (strEscaped) {
            name = unescape();
        } else if (position < 0) {
            name = names.intern(buf, strStart, length);
        } else {
            name = names.expected(position, buf, strStart, strEnd);
            if (name == null || names.expectedLength(position) != length) {
                name = names.intern(position, buf, strStart, length);
            }
        }
        skipWhitespace();
        if (peek() != ':') {
            throw unexpected("expected ':'");
        }
        pos++;
        skipWhitespace();
        return name;
    }

    /**
     * {@code ws (',' ws | close)} after a member or element: true when the container is closed by
     * {@code close}, false when a {@code ','} says another member follows.
     */
    private boolean endOfMembers(char close) {
        skipWhitespace();
        byte c = peek();
        pos++;
        if (c == ',') {
            skipWhitespace();
            return false;
        }
        if (c == close) {
            return true;
        }
        pos--;
        throw unexpected("expected ',' or '" + close + "'");
    }

    /** Any JSON value, {@code depth} being that of the container holding it. */
    private Object value(int depth) {
        byte c = peek();
        switch (c) {
            case '"':
                scanString();
                return strEscaped ? unescape() : new String(buf, strStart, strEnd - strStart, StandardCharsets.UTF_8);
            case '{':
                return object(depth + 1);
            case '[':
                return array(depth + 1);
            case 't':
                literal("true");
                return Boolean.TRUE;
            case 'f':
                literal("false");
                return Boolean.FALSE;
            case 'n':
                literal("null");
                return null;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw unexpected("expected a value");
        }
    }

    private Map<String, Object> object(int depth) {
        checkDepth(depth);
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        do {
            String name = memberName(-1);
            map.put(name, value(depth));
        } while (!endOfMembers('}'));
        return map;
    }

    private List<Object> array(int depth) {
        checkDepth(depth);
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        do {
            list.add(value(depth));
        } while (!endOfMembers(']'));
        return list;
    }

    private void checkDepth(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH, pos);
        }
    }

    /**
     * Finds the end of the string starting at {@link #pos} (a {@code '"'}), setting
     * {@link #strStart}, {@link #strEnd} and {@link #strEscaped}; escapes are checked later, by
     * {@link #unescape()}.
     */
    private void scanString() {
        final byte[] b = buf;
        int p = pos + 1;
        boolean escaped = false;
        for (;;) {
            // 8 bytes at a time up to the first that needs a look: '"', '\\' or a control character
            for (; p <= end - Long.BYTES; p += Long.BYTES) {
                long x = (long) Parsers.LONGS.get(b, p);
                long special = zeroBytes(x ^ QUOTES) | zeroBytes(x ^ BACKSLASHES)
                        | ((x - CONTROLS) & ~x & Parsers.HIGHS);
                if (special != 0) {
                    p += Long.numberOfTrailingZeros(special) >>> 3;
                    break;
                }
            }
            if (p >= end) {
                throw endOfInput();
            }
            byte c = b[p];
            if (c == '"') {
                break;
            }
            if (c == '\\') {
                escaped = true;
                p += 2; // the escaped byte cannot end the string
                continue;
            }
            if (c >= 0 && c < 0x20) {
                throw error("control character " + Parsers.describe(c) + " in a string", p);
            }
            p++;
        }
        strStart = pos + 1;
        strEnd = p;
        strEscaped = escaped;
        pos = p + 1;
    }

    /**
     * The high bit set in each byte of {@code x} that is zero. Only the lowest is exact (a borrow
     * can mark the byte above a zero byte), which is all a scan for the first one needs.
     */
    private static long zeroBytes(long x) {
        return (x - Parsers.ONES) & ~x & Parsers.HIGHS;
    }

    /** Decodes the escapes of the string last scanned. */
    private String unescape() {
        final byte[] b = buf;
        final int e = strEnd;
        byte[] out = scratch;
        if (out.length < e - strStart) {
            out = new byte[Math.max(e - strStart, out.length * 2)];
            if (out.length <= Parsers.MAX_SCRATCH) {
                scratch = out;
            }
        }
        int n = 0;
        for (int i = strStart; i < e; i++) {
            byte c = b[i];
            if (c != '\\') {
                out[n++] = c;
                continue;
            }
            final int escape = i++; // scanString guarantees a byte after each backslash
            switch (b[i]) {
                case '"': out[n++] = '"'; break;
                case '\\': out[n++] = '\\'; break;
                case '/': out[n++] = '/'; break;
                case 'b': out[n++] = '\b'; break;
                case 'f': out[n++] = '\f'; break;
                case 'n': out[n++] = '\n'; break;
                case 'r': out[n++] = '\r'; break;
                case 't': out[n++] = '\t'; break;
                case 'u':
                    int cp = hex4(i + 1, e, escape);
                    i += 4;
                    if (Character.isHighSurrogate((char) cp) && i + 6 < e && b[i + 1] == '\\' && b[i + 2] == 'u') {
                        int low = hex4(i + 3, e, i + 1);
                        if (Character.isLowSurrogate((char) low)) {
                            cp = Character.toCodePoint((char) cp, (char) low);
                            i += 6;
                        }
                    }
                    if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) {
                        cp = 0xfffd; // a lone surrogate has no UTF-8 form
                    }
                    n = Parsers.writeUtf8(cp, out, n);
                    break;
                default:
                    throw error("invalid escape", escape);
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    /** The value of the 4 hex digits at {@code b[i, i+4)}, all before {@code e}. */
    private int hex4(int i, int e, int escape) {
        if (i + 4 > e) {
            throw error("invalid \\u escape", escape);
        }
        int v = 0;
        for (int k = i; k < i + 4; k++) {
            int d = Character.digit(buf[k], 16);
            if (d < 0) {
                throw error("invalid \\u escape", escape);
            }
            v = (v << 4) | d;
        }
        return v;
    }

    /** {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?} */
    private Object number() {
        final byte[] b = buf;
        final int start = pos;
        final boolean negative = b[start] == '-';
        int p = negative ? start + 1 : start;
        final int digits = p;
        if (p < end && b[p] == '0') {
            p++;
        } else {
            p = skipDigits(p, start);
        }
        final int integerEnd = p;
        int fractionEnd = p;
        if (p < end && b[p] == '.') {
            p = fractionEnd = skipDigits(p + 1, start);
        }
        int exponentStart = -1;
        if (p < end && (b[p] == 'e' || b[p] == 'E')) {
            p++;
            exponentStart = p;
            if (p < end && (b[p] == '+' || b[p] == '-')) {
                p++;
            }
            p = skipDigits(p, start);
        }
        pos = p;
        final boolean integer = fractionEnd == integerEnd && exponentStart < 0;
        if (integer && integerEnd - digits <= 18) {
            // fits a long for sure: no String, no exception
            long v = 0;
            for (int i = digits; i < integerEnd; i++) {
                v = v * 10 + (b[i] - '0');
            }
            return Long.valueOf(negative ? -v : v);
        }
        if (!integer) {
            Double fast = fastDouble(digits, integerEnd, fractionEnd, exponentStart, p, negative);
            if (fast != null) {
                return fast;
            }
        }
        String text = new String(b, start, p - start, StandardCharsets.ISO_8859_1);
        if (integer) {
            try {
                return Long.valueOf(Long.parseLong(text));
            } catch (NumberFormatException tooLarge) {
                return text;
            }
        }
        double d = Double.parseDouble(text);
        return Double.isInfinite(d) ? text : Double.valueOf(d);
    }

    /** Exact powers of ten as doubles: 10^22 is the largest a double holds exactly. */
    private static final double[] POWERS_OF_TEN = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

    /**
     * The common decimals ({@code 4.25}, {@code 0.004}, {@code 1.5e3}) without a {@code String} or
     * {@link Double#parseDouble}: with at most 15 digits the digits are an exact {@code long}, and
     * one multiplication or division by an exact power of ten up to 10^22 is correctly rounded by
     * IEEE 754, so the result is the same double. Returns null for anything else (the slow path).
     */
    private Double fastDouble(int digits, int integerEnd, int fractionEnd, int exponentStart, int end,
            boolean negative) {
        final byte[] b = buf;
        int count = (integerEnd - digits) + Math.max(0, fractionEnd - integerEnd - 1);
        if (count > 15) {
            return null;
        }
        long mantissa = 0;
        for (int i = digits; i < fractionEnd; i++) {
            if (i != integerEnd) { // skip the '.'
                mantissa = mantissa * 10 + (b[i] - '0');
            }
        }
        int exponent = 0;
        if (exponentStart >= 0) {
            int i = exponentStart;
            boolean negativeExponent = b[i] == '-';
            if (b[i] == '-' || b[i] == '+') {
                i++;
            }
            if (end - i > 3) {
                return null; // a huge exponent (or many leading zeros): leave it to parseDouble
            }
            for (; i < end; i++) {
                exponent = exponent * 10 + (b[i] - '0');
            }
            if (negativeExponent) {
                exponent = -exponent;
            }
        }
        exponent -= Math.max(0, fractionEnd - integerEnd - 1); // digits after the '.'
        if (exponent < -22 || exponent > 22) {
            return null;
        }
        double d = exponent < 0 ? mantissa / POWERS_OF_TEN[-exponent] : mantissa * POWERS_OF_TEN[exponent];
        return Double.valueOf(negative ? -d : d);
    }

    /** Skips one or more digits from {@code p}; fails the number starting at {@code start} if none. */
    private int skipDigits(int p, int start) {
        final int from = p;
        while (p < end && buf[p] >= '0' && buf[p] <= '9') {
            p++;
        }
        if (p == from) {
            if (p == end) {
                throw endOfInput();
            }
            throw error("invalid number", start);
        }
        return p;
    }

    private void literal(String word) {
        for (int i = 0; i < word.length(); i++) {
            if (pos == end) {
                throw endOfInput();
            }
            if (buf[pos] != word.charAt(i)) {
                throw unexpected("expected " + word);
            }
            pos++;
        }
    }

    private void skipWhitespace() {
        final byte[] b = buf;
        int p = pos;
        while (p < end) {
            byte c = b[p];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                break;
            }
            p++;
        }
        pos = p;
    }

    /** The byte at {@link #pos}; fails the line at the end of input. */
    private byte peek() {
        if (pos >= end) {
            throw endOfInput();
        }
        return buf[pos];
    }

    private SyntaxException unexpected(String expectation) {
        return error("unexpected " + Parsers.describe(buf[pos]) + " (" + expectation + ")", pos);
    }

    private SyntaxException endOfInput() {
        return error("unexpected end of input", end);
    }

    private SyntaxException error(String what, int at) {
        return new SyntaxException("json: " + what + " at byte " + (at - base));
    }

    /** Unwinds the recursive descent on the first error. Cheap: no stack trace. */
    private static final class SyntaxException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SyntaxException(String message) {
            super(message, null, false, false);
        }
    }
}
