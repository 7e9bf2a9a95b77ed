package io.hakobu.core.codec;

import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;

/**
 * The {@code raw} encoding: the entry's {@code MESSAGE}, followed by {@code '\n'}. Other fields
 * are not written; that is the point of {@code raw}.
 *
 * <p>Choices:
 * <ul>
 *   <li><b>One entry, one line.</b> A line feed inside {@code MESSAGE} is written as the two
 *       characters {@code \n} and a carriage return as {@code \r}, so that line-oriented readers
 *       (including hakobu's own file source) see exactly one line per entry and line counts equal
 *       entry counts. Backslashes are not escaped, so a message that already contains the text
 *       {@code \n} cannot be told apart afterwards: use {@code ndjson} where that matters. Every
 *       other byte, including TAB and invalid UTF-8, is written unchanged.</li>
 *   <li><b>Nothing is lost silently.</b> An entry without {@code MESSAGE} (or whose
 *       {@code MESSAGE} is {@code null}) is written in its {@link NdjsonEncoder NDJSON} form
 *       instead, e.g. a structured line parsed without {@code keep_message}.</li>
 *   <li>When {@code MESSAGE} is repeated, the first one is written.</li>
 *   <li>A non-string {@code MESSAGE}: raw bytes (a binary journal field) are written as they are
 *       (with the same newline escaping); numbers, booleans, lists and maps as their JSON text.</li>
 * </ul>
 * Stateless and thread-safe.
 */
public final class RawEncoder implements Encoder {
    @Override
    public void encode(LogEntry entry, ByteBuilder out) {
        int i = entry.indexOf(Fields.MESSAGE);
        if (i < 0) {
            JsonWriter.writeEntry(entry, out);
        } else if (entry.isSlice(i)) {
            writeEscapedBytes(entry.backing(), entry.sliceOffset(i), entry.sliceLength(i), out);
        } else {
            Object v = entry.value(i);
            if (v == null) {
                JsonWriter.writeEntry(entry, out);
            } else if (v instanceof String s) {
                writeEscapedString(s, out);
            } else if (v instanceof byte[] b) {
                writeEscapedBytes(b, 0, b.length, out);
            } else {
                JsonWriter.writeValue(v, out); // JSON text holds no raw line breaks
            }
        }
        out.write('\n');
    }

    private static void writeEscapedBytes(byte[] b, int off, int len, ByteBuilder out) {
        int end = off + len;
        int run = off;
        for (int i = off; i < end; i++) {
            byte c = b[i];
            if (c == '\n' || c == '\r') {
                out.write(b, run, i - run);
                out.write('\\');
                out.write(c == '\n' ? 'n' : 'r');
                run = i + 1;
            }
        }
        out.write(b, run, end - run);
    }

    private static void writeEscapedString(String s, ByteBuilder out) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                i = JsonWriter.writeUtf8Char(s, i, out);
            } else if (c == '\n' || c == '\r') {
                out.write('\\');
                out.write(c == '\n' ? 'n' : 'r');
            } else {
                out.write(c);
            }
        }
    }
}
