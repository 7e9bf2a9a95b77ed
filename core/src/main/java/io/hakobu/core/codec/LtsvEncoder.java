package io.hakobu.core.codec;

import io.hakobu.core.event.LogEntry;
import java.util.Base64;

/**
 * The {@code ltsv} encoding: {@code label:value} fields separated by TAB, followed by
 * {@code '\n'} (PROTOCOLS.md §2).
 *
 * <p>LTSV has no escaping, so characters the format cannot carry are replaced:
 * <ul>
 *   <li>in values, TAB, LF, CR and NUL each become one space (what Fluentd's LTSV formatter
 *       does); every other byte is kept, including invalid UTF-8 in slices (LTSV values are bytes);</li>
 *   <li>in labels, every character outside {@code [0-9A-Za-z_.-]} becomes {@code '_'} (so a
 *       reader that splits at the first {@code ':'} finds the label again), and an empty label is
 *       written as {@code _}.</li>
 * </ul>
 * Non-string values are written as their JSON text ({@link JsonWriter}): numbers, {@code true},
 * {@code false}, {@code null}, lists and maps as compact JSON (JSON escaping leaves no raw TAB
 * or newline in them). NaN and the infinities are written bare ({@code NaN}, {@code Infinity}).
 * Raw bytes are their base64 text (standard alphabet, padded), without the {@code {"base64":…}}
 * wrapper of the JSON form.
 *
 * <p>Fields are written in entry order; a repeated name is written once per occurrence (LTSV
 * readers, hakobu's included, then keep the last value). An entry without fields is an empty
 * line. Stateless and thread-safe.
 */
public final class LtsvEncoder implements Encoder {
    /** {@code VALUE_BREAK[b]} is true for the bytes a value cannot carry (TAB, LF, CR, NUL). */
    private static final boolean[] VALUE_BREAK = new boolean[256];

    static {
        VALUE_BREAK['\t'] = true;
        VALUE_BREAK['\n'] = true;
        VALUE_BREAK['\r'] = true;
        VALUE_BREAK[0] = true;
    }

    @Override
    public void encode(LogEntry entry, ByteBuilder out) {
        for (int i = 0, n = entry.size(); i < n; i++) {
            if (i > 0) {
                out.write('\t');
            }
            writeLabel(entry.name(i), out);
            out.write(':');
            if (entry.isSlice(i)) {
                writeValueBytes(entry.backing(), entry.sliceOffset(i), entry.sliceLength(i), out);
            } else {
                writeValue(entry.value(i), out);
            }
        }
        out.write('\n');
    }

    private static void writeLabel(String name, ByteBuilder out) {
        int n = name.length();
        if (n == 0) {
            out.write('_');
            return;
        }
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            if (c < 0x80 && LtsvParser.LABEL[c]) {
                out.write(c);
            } else {
                out.write('_');
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(name.charAt(i + 1))) {
                    i++; // one '_' per code point
                }
            }
        }
    }

    private static void writeValue(Object v, ByteBuilder out) {
        if (v instanceof String s) {
            writeValueString(s, out);
        } else if (v instanceof byte[] b) {
            out.write(Base64.getEncoder().encode(b));
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isFinite(d)) {
                JsonWriter.writeDouble(d, out);
            } else {
                out.writeUtf8(Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
            }
        } else {
            // numbers, booleans, null, lists, maps: their JSON text, which never holds a raw TAB or newline
            JsonWriter.writeValue(v, out);
        }
    }

    /** Copies value bytes, turning TAB, LF, CR and NUL into spaces; runs without them are copied in one block. */
    static void writeValueBytes(byte[] b, int off, int len, ByteBuilder out) {
        int end = off + len;
        int run = off;
        for (int i = off; i < end; i++) {
            if (VALUE_BREAK[b[i] & 0xff]) {
                out.write(b, run, i - run);
                out.write(' ');
                run = i + 1;
            }
        }
        out.write(b, run, end - run);
    }

    private static void writeValueString(String s, ByteBuilder out) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                i = JsonWriter.writeUtf8Char(s, i, out);
            } else {
                out.write(VALUE_BREAK[c] ? ' ' : c);
            }
        }
    }
}
