package io.hakobu.core.codec;

import io.hakobu.core.event.FieldNames;
import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A streaming reader of the systemd journal Export Format ({@code journalctl -o export},
 * {@code application/vnd.fdo.journal}), one entry at a time, with bounded memory.
 *
 * <p>Format (systemd {@code JOURNAL_EXPORT_FORMATS.md}): an entry is a list of fields, each either
 * {@code NAME=VALUE\n} (text) or {@code NAME\n} + a 64-bit little-endian length + that many bytes
 * + {@code \n} (binary: used for values with a newline, control characters or invalid UTF-8); an
 * empty line ends the entry.
 *
 * <p>Fields are added to the {@link LogEntry} in the order read, with their journal names
 * (repeated names stay repeated). A value is a {@code String} when it is valid UTF-8 with no
 * control characters other than TAB and LF (so a multi-line {@code MESSAGE} stays text), otherwise
 * the raw {@code byte[]}. Pseudo-fields such as {@code __CURSOR} and {@code __REALTIME_TIMESTAMP}
 * are added as text; interpreting them is the caller's job.
 *
 * <p>Limits, never an unbounded allocation: a value longer than {@code maxFieldBytes} is cut to
 * that length; once an entry's values reach {@code maxEntryBytes}, further values are dropped
 * (except the small {@code __*} pseudo-fields and {@code _BOOT_ID}, kept up to 64 KiB on top), and
 * so are fields beyond {@value #MAX_FIELDS}. Either way the entry gets {@code _TRUNCATED=true} and
 * {@code _TRUNCATED_FIELDS} listing {@code NAME:original-length} of each value cut or dropped,
 * comma-separated (the first 32, then {@code +N more}).
 *
 * <p>Errors: the end of input between entries is a clean end ({@link #next()} returns null); the
 * end of input inside an entry throws {@link EOFException}; bytes that cannot be Export Format
 * (a binary value not followed by {@code \n}, an absurd length, an over-long or empty field name)
 * throw {@link JournalFormatException}. After either, the parser cannot continue.
 *
 * <p>Not thread-safe: one reader thread.
 */
public final class JournalExportParser {
    /** Lists the fields cut or dropped by the size limits. */
    public static final String TRUNCATED_FIELDS = "_TRUNCATED_FIELDS";
    /** Longest field name accepted (journald allows 64; remote producers are given some slack). */
    static final int MAX_NAME_BYTES = 256;
    private static final int BUFFER_BYTES = 64 * 1024;
    /** Most fields per entry (journald allows 1024); beyond, fields are dropped and listed. */
    static final int MAX_FIELDS = 4096;
    /** Bytes of {@code __*} and {@code _BOOT_ID} values kept regardless of {@code maxEntryBytes}. */
    static final int MAX_ALWAYS_KEPT_BYTES = 64 * 1024;
    private static final int MAX_NOTES = 32;

    /** Thrown when the input is not Export Format. */
    public static final class JournalFormatException extends IOException {
        public JournalFormatException(String message) {
            super(message);
        }
    }

    private final InputStream in;
    private final int maxFieldBytes;
    private final int maxEntryBytes;
    private final FieldNames names = new FieldNames();
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);

    private final byte[] buf = new byte[BUFFER_BYTES];
    private int pos;
    private int lim;
    private long bytesRead;
    private int lastEntryBytes;
    /** Scratch for a line or a value; grows up to the field limit. */
    private byte[] scratch = new byte[1024];
    /** Length of the line last read into {@link #scratch} that was kept (the rest was over the limit). */
    private int lineLenKept;

    // state of the entry being read
    private long kept;
    private int alwaysKeptBytes;
    private StringBuilder notes;
    private int noted;
    private int notedMore;

    /**
     * @param in the Export Format stream (not closed by the parser)
     * @param maxFieldBytes longest value kept; longer ones are cut (at least 64)
     * @param maxEntryBytes most value bytes kept per entry (at least {@code maxFieldBytes})
     */
    public JournalExportParser(InputStream in, int maxFieldBytes, int maxEntryBytes) {
        if (maxFieldBytes < 64 || maxEntryBytes < maxFieldBytes) {
            throw new IllegalArgumentException("need 64 <= maxFieldBytes <= maxEntryBytes");
        }
        this.in = in;
        this.maxFieldBytes = maxFieldBytes;
        this.maxEntryBytes = maxEntryBytes;
    }

    /** Bytes consumed from the stream so far. */
    public long bytesRead() {
        return bytesRead;
    }

    /** Bytes of the stream the last entry returned by {@link #next()} took, including its terminator. */
    public int lastEntryBytes() {
        return lastEntryBytes;
    }

    /** True when bytes are already buffered, so {@link #next()} will not block before reading them. */
    public boolean hasBuffered() {
        return pos < lim;
    }

    /**
     * Reads the next entry.
     *
     * @return the entry, or null at the end of input between entries
     * @throws EOFException the input ended inside an entry
     * @throws JournalFormatException the input is not Export Format
     */
    public LogEntry next() throws IOException {
        long start = bytesRead;
        // skip stray empty lines between entries (an entry has at least one field)
        while (true) {
            if (pos >= lim && !fill()) {
                return null;
            }
            if (buf[pos] != '\n') {
                break;
            }
            pos++;
            bytesRead++;
        }
        LogEntry e = new LogEntry(24);
        kept = 0;
        alwaysKeptBytes = 0;
        notes = null;
        noted = 0;
        notedMore = 0;
        while (true) {
            int lineLen = readLine();
            if (lineLen < 0) {
                throw new EOFException("input ended inside a journal entry");
            }
            if (lineLen == 0) {
                break; // empty line: end of entry
            }
            int eq = indexOf(scratch, lineLenKept, (byte) '=');
            if (eq >= 0) {
                if (eq == 0) {
                    throw new JournalFormatException("field with an empty name");
                }
                if (eq > MAX_NAME_BYTES) {
                    throw new JournalFormatException("field name longer than " + MAX_NAME_BYTES + " bytes");
                }
                String name = names.intern(scratch, 0, eq);
                long valueLen = (long) lineLen - eq - 1;
                boolean always = alwaysKept(name);
                int take = e.size() >= MAX_FIELDS ? 0 : (int) Math.min(lineLenKept - eq - 1, room(always));
                if (take < valueLen || e.size() >= MAX_FIELDS) {
                    note(name, valueLen);
                    if (take == 0) {
                        continue; // no room left in the entry: dropped, and listed
                    }
                }
                e.add(name, value(scratch, eq + 1, take, false));
                count(always, take);
            } else {
                // binary field: the line is its name, then a LE u64 length, the bytes and '\n'
                if (lineLen > MAX_NAME_BYTES) {
                    throw new JournalFormatException("field name longer than " + MAX_NAME_BYTES + " bytes");
                }
                String name = names.intern(scratch, 0, lineLen);
                long len = readLength();
                boolean always = alwaysKept(name);
                int take = e.size() >= MAX_FIELDS ? 0 : (int) Math.min(len, room(always));
                if (take == 0 && (len > 0 || e.size() >= MAX_FIELDS)) {
                    skip(len);
                    expectNewline(name);
                    note(name, len);
                    continue; // no room left in the entry: dropped, and listed
                }
                byte[] v = new byte[take];
                readFully(v, take);
                skip(len - take);
                expectNewline(name);
                if (take < len) {
                    note(name, len);
                }
                e.add(name, value(v, 0, take, true));
                count(always, take);
            }
        }
        if (notes != null) {
            if (notedMore > 0) {
                notes.append(",+").append(notedMore).append(" more");
            }
            e.add(Fields.TRUNCATED, Boolean.TRUE);
            e.add(TRUNCATED_FIELDS, notes.toString());
        }
        long took = bytesRead - start;
        lastEntryBytes = (int) Math.min(Integer.MAX_VALUE, took);
        return e;
    }

    /** How many value bytes a field may keep, given what the entry already kept. */
    private long room(boolean always) {
        if (always && alwaysKeptBytes < MAX_ALWAYS_KEPT_BYTES) {
            return maxFieldBytes;
        }
        return Math.max(0, Math.min(maxFieldBytes, maxEntryBytes - kept));
    }

    private void count(boolean always, int take) {
        if (always && alwaysKeptBytes < MAX_ALWAYS_KEPT_BYTES) {
            alwaysKeptBytes += take;
        } else {
            kept += take;
        }
    }

    /** The journal's own pseudo-fields and the boot id: small, and needed to place the entry. */
    private static boolean alwaysKept(String name) {
        return name.startsWith("__") || name.equals("_BOOT_ID");
    }

    /** Lists a field that was cut or dropped (the first {@value #MAX_NOTES}; then only a count). */
    private void note(String name, long originalLength) {
        if (noted >= MAX_NOTES) {
            notedMore++;
            return;
        }
        notes = notes == null ? new StringBuilder() : notes.append(',');
        notes.append(name).append(':').append(originalLength);
        noted++;
    }

    /** A value as text when it is printable UTF-8 (TAB and LF allowed), else its bytes. */
    private Object value(byte[] b, int off, int len, boolean owned) {
        boolean ascii = true;
        for (int i = off; i < off + len; i++) {
            int c = b[i] & 0xff;
            if (c < 0x20 && c != '\t' && c != '\n' || c == 0x7f) {
                return bytes(b, off, len, owned);
            }
            if (c >= 0x80) {
                ascii = false;
            }
        }
        if (ascii) {
            return new String(b, off, len, StandardCharsets.ISO_8859_1);
        }
        try {
            return utf8.decode(ByteBuffer.wrap(b, off, len)).toString();
        } catch (CharacterCodingException ex) {
            return bytes(b, off, len, owned);
        }
    }

    private static byte[] bytes(byte[] b, int off, int len, boolean owned) {
        if (owned && off == 0 && len == b.length) {
            return b;
        }
        return Arrays.copyOfRange(b, off, off + len);
    }

    /**
     * Reads up to the next {@code \n} into {@link #scratch} (without it), keeping at most
     * {@code maxFieldBytes + MAX_NAME_BYTES + 1} bytes ({@link #lineLenKept}).
     *
     * @return the full line length, or -1 at end of input
     */
    private int readLine() throws IOException {
        int cap = maxFieldBytes + MAX_NAME_BYTES + 1;
        long total = 0;
        int kept = 0;
        while (true) {
            if (pos >= lim && !fill()) {
                return -1;
            }
            int nl = -1;
            for (int i = pos; i < lim; i++) {
                if (buf[i] == '\n') {
                    nl = i;
                    break;
                }
            }
            int end = nl < 0 ? lim : nl;
            int n = end - pos;
            int copy = Math.min(n, cap - kept);
            if (copy > 0) {
                if (kept + copy > scratch.length) {
                    scratch = Arrays.copyOf(scratch, Math.min(cap, Math.max(kept + copy, scratch.length * 2)));
                }
                System.arraycopy(buf, pos, scratch, kept, copy);
                kept += copy;
            }
            total += n;
            bytesRead += n;
            pos = end;
            if (nl >= 0) {
                pos++;
                bytesRead++;
                lineLenKept = kept;
                return (int) Math.min(Integer.MAX_VALUE, total);
            }
        }
    }

    private long readLength() throws IOException {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v |= (long) readByte() << (8 * i);
        }
        if (v < 0) {
            throw new JournalFormatException("binary field length out of range");
        }
        return v;
    }

    private int readByte() throws IOException {
        if (pos >= lim && !fill()) {
            throw new EOFException("input ended inside a journal entry");
        }
        bytesRead++;
        return buf[pos++] & 0xff;
    }

    private void readFully(byte[] dst, int n) throws IOException {
        int off = 0;
        while (off < n) {
            if (pos >= lim && !fill()) {
                throw new EOFException("input ended inside a journal entry");
            }
            int c = Math.min(n - off, lim - pos);
            System.arraycopy(buf, pos, dst, off, c);
            pos += c;
            off += c;
            bytesRead += c;
        }
    }

    private void skip(long n) throws IOException {
        while (n > 0) {
            if (pos >= lim && !fill()) {
                throw new EOFException("input ended inside a journal entry");
            }
            int c = (int) Math.min(n, lim - pos);
            pos += c;
            n -= c;
            bytesRead += c;
        }
    }

    private void expectNewline(String name) throws IOException {
        if (readByte() != '\n') {
            throw new JournalFormatException("binary field " + name + " is not followed by a newline");
        }
    }

    private boolean fill() throws IOException {
        int n = in.read(buf, 0, buf.length);
        if (n <= 0) {
            pos = 0;
            lim = 0;
            return false;
        }
        pos = 0;
        lim = n;
        return true;
    }

    private static int indexOf(byte[] b, int len, byte c) {
        for (int i = 0; i < len; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }
}
