package io.hakobu.core.codec;

import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.nio.charset.StandardCharsets;

/**
 * The {@code logfmt} format (Heroku, go-kit, logrus, slog's text handler):
 * {@code key=value key2="quoted \" value" flag}.
 *
 * <ul>
 *   <li>Pairs are separated by whitespace (any byte {@code <= 0x20}, as in go-logfmt).</li>
 *   <li>A key is a run of bytes above {@code 0x20} up to {@code '='} or whitespace. A key holding
 *       {@code '"'}, or a {@code '='} with no key before it, fails the line.</li>
 *   <li>{@code key=value}: the value runs to the next whitespace and may contain {@code '='} and
 *       {@code '"'} (real logs write {@code url=/a?b=c} unquoted). {@code key=} is an empty
 *       string.</li>
 *   <li>{@code key="..."}: a quoted value; {@code \"}, {@code \\}, {@code \n}, {@code \t},
 *       {@code \r}, {@code \b}, {@code \f}, {@code \/} and {@code \}{@code uXXXX} are decoded, any
 *       other backslash is kept as written. A missing closing quote, or anything but whitespace
 *       right after it, fails the line.</li>
 *   <li>A bare {@code key} is {@code Boolean.TRUE}.</li>
 *   <li>All values are strings (no number detection); a value with no escape is a slice of the
 *       line.</li>
 *   <li>A repeated key keeps its first position and its last value. A line with no pairs (empty or
 *       only whitespace) is an empty record, kept as {@code MESSAGE} without
 *       {@code _PARSE_ERROR}.</li>
 * </ul>
 *
 * <p>Errors name the byte offset from the start of the line, e.g.
 * {@code "logfmt: unterminated quoted value at byte 12"}. Not thread-safe.
 */
public final class LogfmtParser implements Parser {

    private final boolean keepMessage;
    /** Keys, remembered by their pair's position in the line. */
    private final Parsers.NameCache names = new Parsers.NameCache();
    private final Parsers.PendingFields pending = new Parsers.PendingFields();
    private byte[] scratch = new byte[256];

    public LogfmtParser(boolean keepMessage) {
        this.keepMessage = keepMessage;
    }

    @Override
    public void parse(byte[] line, int off, int len, LogEntry entry) {
        final int end = Parsers.stripCr(line, off, len);
        final Parsers.PendingFields fields = pending;
        int p = off;
        int pair = 0;
        for (;;) {
            while (p < end && isSpace(line[p])) {
                p++;
            }
            if (p == end) {
                break;
            }
            // key: usually the one this pair had in the last line
            final int key = p;
            String name = names.expected(pair, line, key, end);
            if (name != null && isKeyEnd(line, key + names.expectedLength(pair), end)) {
                p = key + names.expectedLength(pair);
            } else {
                while (p < end && !isSpace(line[p]) && line[p] != '=') {
                    if (line[p] == '"') {
                        fields.clear();
                        Parsers.fail(entry, off, end, "logfmt: '\"' in a key at byte " + (p - off));
                        return;
                    }
                    p++;
                }
                if (p == key) {
                    fields.clear();
                    Parsers.fail(entry, off, end, "logfmt: '=' without a key at byte " + (p - off));
                    return;
                }
                name = names.intern(pair, line, key, p - key);
            }
            pair++;
            if (p == end || line[p] != '=') {
                fields.add(name, Boolean.TRUE);
                continue;
            }
            p++; // '='
            if (p < end && line[p] == '"') {
                // quoted value
                final int open = p;
                int q = p + 1;
                boolean escaped = false;
                while (q < end && line[q] != '"') {
                    if (line[q] == '\\') {
                        escaped = true;
                        q++;
                    }
                    q++;
                }
                if (q >= end) {
                    fields.clear();
                    Parsers.fail(entry, off, end, "logfmt: unterminated quoted value at byte " + (open - off));
                    return;
                }
                if (escaped) {
                    fields.add(name, unescape(line, open + 1, q));
                } else {
                    fields.addSlice(name, open + 1, q - open - 1);
                }
                p = q + 1;
                if (p < end && !isSpace(line[p])) {
                    fields.clear();
                    Parsers.fail(entry, off, end, "logfmt: " + Parsers.describe(line[p])
                            + " after a quoted value at byte " + (p - off));
                    return;
                }
            } else {
                final int value = p;
                while (p < end && !isSpace(line[p])) {
                    p++;
                }
                fields.addSlice(name, value, p - value);
            }
        }
        if (keepMessage || fields.size() == 0) {
            // an empty record still leaves a trace of the line
            entry.addSlice(Fields.MESSAGE, off, end - off);
        }
        fields.drainTo(entry);
    }

    /** Whether a key may end at {@code p}: at the end, an {@code '='} or whitespace. */
    private static boolean isKeyEnd(byte[] line, int p, int end) {
        return p == end || line[p] == '=' || isSpace(line[p]);
    }

    private static boolean isSpace(byte b) {
        return (b & 0xff) <= ' ';
    }

    /** Decodes {@code line[from, to)}, the inside of a quoted value; never fails. */
    private String unescape(byte[] line, int from, int to) {
        byte[] out = scratch;
        if (out.length < to - from) {
            out = new byte[Math.max(to - from, out.length * 2)];
            if (out.length <= Parsers.MAX_SCRATCH) {
                scratch = out;
            }
        }
        int n = 0;
        for (int i = from; i < to; i++) {
            byte c = line[i];
            if (c != '\\' || i + 1 == to) {
                out[n++] = c;
                continue;
            }
            byte e = line[i + 1];
            byte decoded;
            switch (e) {
                case '"': decoded = '"'; break;
                case '\\': decoded = '\\'; break;
                case '/': decoded = '/'; break;
                case 'n': decoded = '\n'; break;
                case 't': decoded = '\t'; break;
                case 'r': decoded = '\r'; break;
                case 'b': decoded = '\b'; break;
                case 'f': decoded = '\f'; break;
                case 'u':
                    int cp = hex4(line, i + 2, to);
                    if (cp >= 0 && (cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE)) {
                        n = Parsers.writeUtf8(cp, out, n);
                        i += 5;
                        continue;
                    }
                    decoded = 0; // not a usable escape: keep it as written
                    break;
                default:
                    decoded = 0;
                    break;
            }
            if (decoded == 0) {
                out[n++] = c;
                continue;
            }
            out[n++] = decoded;
            i++;
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    /** The 4 hex digits at {@code b[i, i+4)} before {@code to}, or -1. */
    private static int hex4(byte[] b, int i, int to) {
        if (i + 4 > to) {
            return -1;
        }
        int v = 0;
        for (int k = i; k < i + 4; k++) {
            int d = Character.digit(b[k], 16);
            if (d < 0) {
                return -1;
            }
            v = (v << 4) | d;
        }
        return v;
    }
}
