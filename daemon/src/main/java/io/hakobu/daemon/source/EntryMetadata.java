package io.hakobu.daemon.source;

import io.hakobu.core.event.EntryId;
import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.nio.charset.StandardCharsets;

/**
 * Writes an entry's {@code __ID} and {@code __CURSOR} as bytes into its own backing array, right
 * after the line, so that they become slices: no Strings per line (building the two of them cost a
 * sixth of a file source's thread), and the buffer and the encoders copy them as bytes.
 *
 * <p>Use per line: {@link #copyWithRoom} the line (the only copy of it the source makes), parse
 * the copy's first {@code len} bytes into an entry backed by it, then {@link #addTo} the entry.
 * One instance per source thread.
 */
public final class EntryMetadata {
    private static final int ID_BYTES = 32;
    /** Room for the decimal digits of any non-negative long. */
    private static final int MAX_DIGITS = 19;

    /** The last cursor prefix seen and its UTF-8 bytes (the same String while a file is read). */
    private String lastPrefix;
    private byte[] lastPrefixBytes;
    private int idAt;
    private int cursorAt;
    private int cursorEnd;

    /**
     * A copy of {@code line} with the {@code __ID} of {@code position} and the {@code __CURSOR}
     * {@code cursorPrefix + position} written after it.
     */
    public byte[] copyWithRoom(byte[] line, EntryId ids, String cursorPrefix, long position) {
        return copyWithRoom(line, 0, line.length, ids, cursorPrefix, position);
    }

    /**
     * A copy of {@code src[off, off+len)} with the {@code __ID} of {@code position} and the
     * {@code __CURSOR} {@code cursorPrefix + position} written after it; the line is at the copy's
     * start.
     */
    public byte[] copyWithRoom(byte[] src, int off, int len, EntryId ids, String cursorPrefix, long position) {
        if (cursorPrefix != lastPrefix) {
            lastPrefix = cursorPrefix;
            lastPrefixBytes = cursorPrefix.getBytes(StandardCharsets.UTF_8);
        }
        idAt = len;
        cursorAt = idAt + ID_BYTES;
        byte[] b = new byte[cursorAt + lastPrefixBytes.length + MAX_DIGITS];
        System.arraycopy(src, off, b, 0, len);
        ids.write(position, b, idAt);
        System.arraycopy(lastPrefixBytes, 0, b, cursorAt, lastPrefixBytes.length);
        cursorEnd = writeDecimal(position, b, cursorAt + lastPrefixBytes.length);
        return b;
    }

    /** Adds {@code __CURSOR} and {@code __ID} (in that order) to the entry built on the last copy. */
    public void addTo(LogEntry e) {
        e.addSlice(Fields.CURSOR, cursorAt, cursorEnd - cursorAt);
        e.addSlice(Fields.ID, idAt, ID_BYTES);
    }

    /** Writes {@code v >= 0} in decimal at {@code out[at]}; returns the index after the last digit. */
    static int writeDecimal(long v, byte[] out, int at) {
        if (v < 0) {
            throw new IllegalArgumentException("negative position " + v);
        }
        int digits = 1;
        for (long t = v; t >= 10; t /= 10) {
            digits++;
        }
        int end = at + digits;
        for (int i = end - 1; i >= at; i--) {
            out[i] = (byte) ('0' + (v % 10));
            v /= 10;
        }
        return end;
    }
}
