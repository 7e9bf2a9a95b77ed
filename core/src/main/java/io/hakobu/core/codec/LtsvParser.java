package io.hakobu.core.codec;

import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;

/**
 * The {@code ltsv} format (Labeled Tab-separated Values, ltsv.org): {@code label:value} fields
 * separated by TAB, each field split at its <em>first</em> {@code ':'}, so values may contain
 * colons ({@code time:14/Nov/2023:22:13:20 +0000}).
 *
 * <p>Choices where the grammar leaves room or real files stray from it:
 * <ul>
 *   <li>Labels must match {@code [0-9A-Za-z_.-]+}; any other label fails the line
 *       ({@code "ltsv: field 2 has an invalid label"}), as does a field without a {@code ':'}
 *       ({@code "ltsv: field 3 has no ':'"}). Fields are numbered from 1, counting every
 *       TAB-separated field.</li>
 *   <li>An empty value ({@code referer:}) is an empty string. The {@code -} that web servers write
 *       for "no value" is kept as {@code "-"}; converting it is configuration's business.</li>
 *   <li>An empty field (two TABs in a row, or a trailing TAB) holds no data and is skipped.</li>
 *   <li>A repeated label keeps its first position and its last value.</li>
 *   <li>An empty line is an empty record. So that it is not silently lost it becomes an entry whose
 *       only field is {@code MESSAGE = ""}, without {@code _PARSE_ERROR} (likewise a line of TABs
 *       only: its {@code MESSAGE} is the line).</li>
 *   <li>Value bytes are not checked: LTSV has no escaping and values may hold any byte except TAB
 *       (a NUL or invalid UTF-8 is kept rather than failing the line).</li>
 * </ul>
 *
 * <p>Hot path: values are added to the entry as slices of the line as they are found (8 bytes at a
 * time), with no staging in between; a label is usually recognised by one comparison with the
 * label the same field had in the previous line, else interned through a
 * {@link io.hakobu.core.event.FieldNames} cache; a 64-bit Bloom filter over the labels' hash codes
 * finds repeats without a scan in the usual case. A line with known labels allocates nothing but
 * the entry's own arrays. A line that fails half-way is cut back to what the entry held before.
 * Not thread-safe.
 */
public final class LtsvParser implements Parser {

    /**
     * {@code LABEL[b]} is true for the bytes a label may contain: {@code [0-9A-Za-z_.-]} (ltsv.org's
     * grammar). Shared with {@link LtsvEncoder}.
     */
    static final boolean[] LABEL = new boolean[256];

    static {
        for (int c = '0'; c <= '9'; c++) {
            LABEL[c] = true;
        }
        for (int c = 'A'; c <= 'Z'; c++) {
            LABEL[c] = true;
            LABEL[c + ('a' - 'A')] = true;
        }
        LABEL['_'] = true;
        LABEL['.'] = true;
        LABEL['-'] = true;
    }

    /** TAB in every byte of a long. */
    private static final long TABS = 0x0909090909090909L;

    private final boolean keepMessage;
    /** Labels, remembered by field number. */
    private final Parsers.NameCache names = new Parsers.NameCache();

    public LtsvParser(boolean keepMessage) {
        this.keepMessage = keepMessage;
    }

    @Override
    public void parse(byte[] line, int off, int len, LogEntry entry) {
        final int end = Parsers.stripCr(line, off, len);
        final int base = entry.size();
        if (keepMessage) {
            entry.addSlice(Fields.MESSAGE, off, end - off);
        }
        // fields go straight into the entry; a failing line is cut back to what it was
        final int first = entry.size();
        long seen = 0; // Bloom filter of this line's labels over their (cached) hash codes
        int field = 0;
        int p = off;
        while (p <= end) {
            final int start = p;
            field++;
            String name = names.expected(field, line, start, end - 1); // leaves room for the ':'
            if (name != null && line[start + names.expectedLength(field)] == ':') {
                p = start + names.expectedLength(field); // the usual case: this field's label of the last line
            } else {
                while (p < end && LABEL[line[p] & 0xff]) {
                    p++;
                }
                if (p == end || line[p] != ':') {
                    if (p == start && (p == end || line[p] == '\t')) {
                        p++; // empty field: nothing to keep
                        continue;
                    }
                    entry.truncate(base);
                    Parsers.fail(entry, off, end, badField(line, p, end, field));
                    return;
                }
                if (p == start) {
                    entry.truncate(base);
                    Parsers.fail(entry, off, end, "ltsv: field " + field + " has an empty label");
                    return;
                }
                name = names.intern(field, line, start, p - start);
            }
            final int value = ++p;
            p = indexOfTab(line, p, end);
            long bit = 1L << name.hashCode(); // the shift uses the low 6 bits
            int earlier = (seen & bit) == 0 ? -1 : entry.indexOf(name, first);
            if (earlier < 0) {
                entry.addSlice(name, value, p - value);
                seen |= bit;
            } else {
                entry.setSlice(earlier, value, p - value); // a repeated label: first position, last value
            }
            p++; // past the TAB, or past the end after the last field
        }
        if (!keepMessage && entry.size() == first) {
            // an empty record (empty line, or only TABs) still leaves a trace of the line
            entry.addSlice(Fields.MESSAGE, off, end - off);
        }
    }

    /**
     * The index of the first TAB in {@code b[from, end)}, or {@code end}. Tests 8 bytes at a time
     * (SWAR, as Netty's {@code SWARUtil}): values are most of an access line, a User-Agent alone
     * often 100 bytes.
     */
    static int indexOfTab(byte[] b, int from, int end) {
        int p = from;
        for (; p <= end - Long.BYTES; p += Long.BYTES) {
            long x = (long) Parsers.LONGS.get(b, p) ^ TABS;
            // the high bit set in each byte of x that is zero, i.e. was a TAB (exact for the lowest one)
            long zeros = (x - Parsers.ONES) & ~x & Parsers.HIGHS;
            if (zeros != 0) {
                return p + (Long.numberOfTrailingZeros(zeros) >>> 3);
            }
        }
        for (; p < end; p++) {
            if (b[p] == '\t') {
                return p;
            }
        }
        return end;
    }

    /**
     * The reason a field failed, given the position {@code p} of its first byte that is neither a
     * label byte nor the {@code ':'} that should end the label.
     */
    private static String badField(byte[] line, int p, int end, int field) {
        for (int i = p; i < end && line[i] != '\t'; i++) {
            if (line[i] == ':') {
                return "ltsv: field " + field + " has an invalid label (byte " + Parsers.describe(line[p]) + ")";
            }
        }
        return "ltsv: field " + field + " has no ':'";
    }
}
