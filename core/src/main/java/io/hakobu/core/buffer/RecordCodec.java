package io.hakobu.core.buffer;

import io.hakobu.core.codec.ByteBuilder;
import io.hakobu.core.event.FieldNames;
import io.hakobu.core.event.LogEntry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The payload of one disk-buffer record: a run of entries from one source, in a compact binary
 * form that decodes back to equal entries (same fields in the same order, same stream, position
 * and size estimate).
 *
 * <h2>Layout</h2>
 * <pre>
 * payload  = seq:u64be  count:u32be  source:str  [prefix:str]  entry{count}
 * entry    = stream:ref  position:zigzag-varlong  estimate:varint  nfields:varint  field{nfields}
 * field    = name:ref  value
 * value    = 0x00                                  null
 *          | 0x01 len:varint utf8{len}             string
 *          | 0x02 zigzag-varlong                   integer (Long; an Integer comes back as Long)
 *          | 0x03 f64be                            double
 *          | 0x04 | 0x05                           true | false
 *          | 0x06 len:varint bytes{len}            binary (byte[])
 *          | 0x07 n:varint value{n}                list
 *          | 0x08 n:varint (str value){n}          map (keys in order)
 *          | 0x09 vref                             string from the record's value table (a field's
 *                                                  value only, not inside a list or map)
 * ref      = 0x00 (null) | k:varint, k-1 an index into the record's table, or k-1 == table size:
 *            a new table entry follows as str (tables: one for streams, one for field names)
 * vref     = k:varint, k-1 an index into the record's value table, or k-1 == table size: a new
 *            table entry follows as str (k = 0 is refused)
 * str      = len:varint utf8{len}
 * </pre>
 * The value table holds strings that entries repeat: the encoder writes a field's String value
 * as {@code 0x09} when it is the very object the previous entry had at the same place (the
 * source attached it to every entry: {@code _HOSTNAME}, {@code _SOURCE}, {@code _FILE}), so it
 * costs two bytes instead of its length (the first entry writes it in full, the second enters it
 * into the table). A value from the table decodes as a slice of the payload, like any string.
 * When the top bit of {@code count} is set ({@link #PREFIX_FLAG}; the count is the other 31 bits),
 * a {@code prefix} follows the source, and every non-null stream of the record decodes as
 * {@code prefix + stream}. An aggregator stores what agents sent this way: it gives each record
 * the origin {@code <agent node>/<agent source>/} with a new header
 * ({@link #writeReheaded}) and copies the entries byte for byte, instead of decoding and
 * re-encoding them to rename their streams.
 *
 * <p>Strings decode as zero-copy slices of the payload array, so a decoded record costs one array
 * plus its entries; the decoded entries share that array as their backing bytes.
 *
 * <p>Not thread-safe; keep one per thread.
 */
public final class RecordCodec {
    static final int T_NULL = 0;
    static final int T_STRING = 1;
    static final int T_LONG = 2;
    static final int T_DOUBLE = 3;
    static final int T_TRUE = 4;
    static final int T_FALSE = 5;
    static final int T_BYTES = 6;
    static final int T_LIST = 7;
    static final int T_MAP = 8;
    static final int T_REF = 9;
    private static final int MAX_NESTING = 64;

    /** Offset of the entry count in a payload. */
    static final int COUNT_OFFSET = 8;
    /** In the count word: a stream prefix follows the source. */
    static final int PREFIX_FLAG = 0x8000_0000;

    private String[] names = new String[32];
    /**
     * Encoding fast path: the previous entry's field names and their table indexes, by position.
     * Entries from one parser repeat the same interned names in the same order, so most lookups
     * are one identity comparison instead of a scan of the table.
     */
    private String[] lastNames = new String[32];
    private int[] lastRefs = new int[32];
    private int nameCount;
    private String[] streams = new String[4];
    private int streamCount;
    /**
     * The value table: encoding counts its entries; decoding keeps where each string lies in the
     * payload (its entries decode as slices there).
     */
    private int valueCount;
    private int[] valueOffsets = new int[8];
    private int[] valueLengths = new int[8];
    /**
     * Encoding: the previous entry's String values by position, and their value-table index (-1
     * while not in the table), so that a value the source attaches to every entry is found by one
     * identity comparison.
     */
    private Object[] lastValues = new Object[32];
    private int[] lastValueRefs = new int[32];
    /** Decoding: the record's stream prefix, or null. */
    private String streamPrefix;
    private final FieldNames interned = new FieldNames();

    // ---- encoding ---------------------------------------------------------------------------

    /**
     * Appends the payload for {@code entries[from, to)} to {@code out}.
     */
    public void encode(long seq, String sourceId, List<LogEntry> entries, int from, int to, ByteBuilder out) {
        nameCount = 0;
        streamCount = 0;
        valueCount = 0;
        writeLongBe(out, seq);
        writeIntBe(out, to - from);
        writeString(out, sourceId);
        try {
            for (int i = from; i < to; i++) {
                encodeEntry(entries.get(i), out);
            }
        } finally {
            resetTables(); // the same instance may decode next
        }
    }

    private void encodeEntry(LogEntry e, ByteBuilder out) {
        String stream = e.stream();
        if (stream == null) {
            out.write(0);
        } else {
            int k = indexOf(streams, streamCount, stream);
            if (k >= 0) {
                out.writeVarLong(k + 1);
            } else {
                if (streamCount == streams.length) {
                    streams = Arrays.copyOf(streams, streamCount * 2);
                }
                streams[streamCount++] = stream;
                out.writeVarLong(streamCount);
                writeString(out, stream);
            }
        }
        out.writeVarLong(zigzag(e.position()));
        out.writeVarLong(e.sizeEstimate());
        int n = e.size();
        out.writeVarLong(n);
        byte[] backing = e.backing();
        for (int i = 0; i < n; i++) {
            String name = e.name(i);
            if (i < lastNames.length && lastNames[i] == name) {
                out.writeVarLong(lastRefs[i] + 1); // the common case: same name at the same place
            } else {
                int k = indexOf(names, nameCount, name);
                if (k >= 0) {
                    out.writeVarLong(k + 1);
                } else {
                    if (nameCount == names.length) {
                        names = Arrays.copyOf(names, nameCount * 2);
                    }
                    k = nameCount++;
                    names[k] = name;
                    out.writeVarLong(nameCount); // one past the table: a new name follows
                    writeString(out, name);
                }
                if (i >= lastNames.length) {
                    lastNames = Arrays.copyOf(lastNames, Math.max(i + 1, lastNames.length * 2));
                    lastRefs = Arrays.copyOf(lastRefs, lastNames.length);
                }
                lastNames[i] = name;
                lastRefs[i] = k;
            }
            if (e.isSlice(i)) {
                out.writeTagged(T_STRING, backing, e.sliceOffset(i), e.sliceLength(i));
            } else {
                Object v = e.value(i);
                if (v instanceof String s) {
                    writeFieldString(out, i, s);
                } else {
                    writeValue(out, v, 0);
                }
            }
        }
    }

    /**
     * A field's String value: a reference into the value table when the previous entry had the
     * very same object at field {@code i} (entered into the table the first time it repeats), else
     * the string itself.
     */
    private void writeFieldString(ByteBuilder out, int i, String s) {
        if (i >= lastValues.length) {
            lastValues = Arrays.copyOf(lastValues, Math.max(i + 1, lastValues.length * 2));
            lastValueRefs = Arrays.copyOf(lastValueRefs, lastValues.length);
        }
        if (lastValues[i] != s) {
            lastValues[i] = s;
            lastValueRefs[i] = -1;
            out.write(T_STRING);
            writeString(out, s);
            return;
        }
        int k = lastValueRefs[i];
        out.write(T_REF);
        if (k >= 0) {
            out.writeVarLong(k + 1);
        } else {
            lastValueRefs[i] = valueCount++;
            out.writeVarLong(valueCount); // one past the table: the string follows
            writeString(out, s);
        }
    }

    private static int indexOf(String[] table, int n, String s) {
        for (int i = 0; i < n; i++) {
            if (table[i] == s) {
                return i;
            }
        }
        for (int i = 0; i < n; i++) {
            if (table[i].equals(s)) {
                return i;
            }
        }
        return -1;
    }

    private static void writeValue(ByteBuilder out, Object v, int depth) {
        if (depth > MAX_NESTING && (v instanceof List || v instanceof Map)) {
            out.write(T_STRING); // deeper than any decoder should recurse: kept as its text
            writeString(out, String.valueOf(v));
            return;
        }
        if (v == null) {
            out.write(T_NULL);
        } else if (v instanceof String s) {
            out.write(T_STRING);
            writeString(out, s);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            out.write(T_LONG);
            out.writeVarLong(zigzag(((Number) v).longValue()));
        } else if (v instanceof Double || v instanceof Float) {
            out.write(T_DOUBLE);
            writeLongBe(out, Double.doubleToRawLongBits(((Number) v).doubleValue()));
        } else if (v instanceof Boolean b) {
            out.write(b ? T_TRUE : T_FALSE);
        } else if (v instanceof byte[] b) {
            out.write(T_BYTES);
            out.writeVarLong(b.length);
            out.write(b);
        } else if (v instanceof List<?> list) {
            out.write(T_LIST);
            out.writeVarLong(list.size());
            for (Object o : list) {
                writeValue(out, o, depth + 1);
            }
        } else if (v instanceof Map<?, ?> map) {
            out.write(T_MAP);
            out.writeVarLong(map.size());
            for (Map.Entry<?, ?> me : map.entrySet()) {
                writeString(out, String.valueOf(me.getKey()));
                writeValue(out, me.getValue(), depth + 1);
            }
        } else {
            out.write(T_STRING); // unknown types are kept as their text, as the encoders do
            writeString(out, String.valueOf(v));
        }
    }

    static void writeString(ByteBuilder out, String s) {
        int n = s.length();
        int ascii = 0;
        while (ascii < n && s.charAt(ascii) < 0x80) {
            ascii++;
        }
        if (ascii == n) {
            out.writeVarLong(n);
            out.writeAscii(s, 0, n);
        } else {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.writeVarLong(b.length);
            out.write(b);
        }
    }

    static void writeLongBe(ByteBuilder out, long v) {
        for (int s = 56; s >= 0; s -= 8) {
            out.write((int) (v >>> s));
        }
    }

    static void writeIntBe(ByteBuilder out, int v) {
        out.write(v >>> 24).write(v >>> 16).write(v >>> 8).write(v);
    }

    private static long zigzag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    static long unzigzag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }

    // ---- decoding ---------------------------------------------------------------------------

    /** The record sequence number at the start of a payload. */
    public static long seqOf(byte[] payload, int off) {
        return readLongBe(payload, off);
    }

    /** The entry count of a payload (without decoding it). */
    public static int countOf(byte[] payload, int off) {
        return readIntBe(payload, off + COUNT_OFFSET) & ~PREFIX_FLAG;
    }

    /**
     * The source id of a payload, without decoding its entries.
     *
     * @throws CorruptRecordException if the header is not well-formed
     */
    public String sourceOf(byte[] payload, int length) throws CorruptRecordException {
        Cursor c = new Cursor(payload, length);
        try {
            c.longBe();
            count(c, length);
            return c.string(); // a prefix may follow: not needed here
        } catch (IndexOutOfBoundsException e) {
            throw new CorruptRecordException("record ends inside its header");
        } finally {
            resetTables();
        }
    }

    /**
     * Reads a record header's count word: the entry count, which cannot exceed the record's
     * length, and in its top bit whether a stream prefix follows the source. Returns the word.
     */
    static int count(Cursor c, int length) throws CorruptRecordException {
        int word = c.intBe();
        int count = word & ~PREFIX_FLAG;
        if (count > length) {
            throw new CorruptRecordException("entry count " + count + " out of range");
        }
        return word;
    }

    /** The rest of a header after the count word: the source, then the prefix if the word says so. */
    String header(Cursor c, int word) throws CorruptRecordException {
        return header(c, word, null);
    }

    /** {@link #header(Cursor, int)}, with {@code outerPrefix} (if not null) in front of the record's own prefix. */
    private String header(Cursor c, int word, String outerPrefix) throws CorruptRecordException {
        String source = c.string();
        String own = (word & PREFIX_FLAG) != 0 ? c.string() : null;
        streamPrefix = outerPrefix == null ? own : own == null ? outerPrefix : outerPrefix.concat(own);
        return source;
    }

    /**
     * Appends the payload at {@code buf[off, off+len)} with a new header: sequence number
     * {@code seq}, source {@code sourceId}, and its streams prefixed with {@code prefix} (in front
     * of any prefix it already had; null adds none). The entries are copied as they are, so the
     * result decodes to the same entries as the original, their non-null streams prefixed.
     *
     * @throws CorruptRecordException if the original header is not well-formed (nothing is appended)
     */
    public static void writeReheaded(ByteBuilder out, long seq, String sourceId, String prefix, byte[] buf, int off, int len)
            throws CorruptRecordException {
        Cursor c = Cursor.over(buf, off, len);
        int count;
        String old;
        try {
            c.longBe();
            int word = count(c, len);
            count = word & ~PREFIX_FLAG;
            c.skipString();
            old = (word & PREFIX_FLAG) != 0 ? c.string() : null;
        } catch (IndexOutOfBoundsException e) {
            throw new CorruptRecordException("record ends inside its header");
        }
        String p = prefix == null ? old : old == null ? prefix : prefix.concat(old);
        writeLongBe(out, seq);
        writeIntBe(out, p == null ? count : count | PREFIX_FLAG);
        writeString(out, sourceId);
        if (p != null) {
            writeString(out, p);
        }
        out.write(buf, c.pos, off + len - c.pos);
    }

    /**
     * A record payload at {@code buf[offset, offset+length)} (received from a peer, or encoded
     * ahead by a source thread) that is to be stored again with a new header and its streams
     * prefixed with {@code streamPrefix}, null for none (see {@link #writeReheaded}).
     */
    public record Region(byte[] buf, int offset, int length, String streamPrefix) {
        public Region {
            if (offset < 0 || length < 0 || offset + length > buf.length) {
                throw new IllegalArgumentException("region " + offset + "+" + length + " outside an array of " + buf.length);
            }
        }

        /** Its entry count. */
        public int count() {
            return countOf(buf, offset);
        }
    }

    /** A decoded record. */
    public record Decoded(long seq, String sourceId, List<LogEntry> entries) { }

    /**
     * Decodes a whole payload ({@code payload[0, length)}); the entries keep {@code payload} as
     * their backing array, so the caller must not reuse it.
     *
     * @throws CorruptRecordException if the payload is not a well-formed record
     */
    public Decoded decode(byte[] payload, int length) throws CorruptRecordException {
        return decode(payload, 0, length);
    }

    /**
     * Decodes the payload at {@code buf[offset, offset+length)}; the entries keep {@code buf} as
     * their backing array (so several records of one buffer can share it without copies).
     *
     * @throws CorruptRecordException if the payload is not a well-formed record
     */
    public Decoded decode(byte[] buf, int offset, int length) throws CorruptRecordException {
        return decode(buf, offset, length, null);
    }

    /**
     * {@link #decode(byte[], int, int)} for a record stored again under {@code streamPrefix} (see
     * {@link Region}): every non-null stream decodes with that prefix in front, exactly as after
     * {@link #writeReheaded}.
     */
    public Decoded decode(byte[] buf, int offset, int length, String streamPrefix) throws CorruptRecordException {
        Cursor c = Cursor.over(buf, offset, length);
        int end = c.limit;
        List<LogEntry> out = new ArrayList<>();
        try {
            long seq = c.longBe();
            int word = count(c, length);
            String source = header(c, word, streamPrefix);
            decodeEntries(c, word & ~PREFIX_FLAG, out);
            if (c.pos != end) {
                throw new CorruptRecordException((end - c.pos) + " bytes after the last entry");
            }
            return new Decoded(seq, source, out);
        } catch (IndexOutOfBoundsException e) {
            throw new CorruptRecordException("record ends inside a value at byte " + (c.pos - offset));
        } finally {
            resetTables();
        }
    }

    /** What {@link #check} found in a well-formed record. */
    public record Checked(long seq, String sourceId, int count, long fields) {
    }

    /**
     * Checks the payload at {@code buf[offset, offset+length)} exactly as {@link #decode} would
     * (every length, reference, tag and nesting depth), without making its entries: for a
     * receiver that stores records as they are and decodes them only if somebody asks.
     *
     * @throws CorruptRecordException if the payload is not a well-formed record
     */
    public Checked check(byte[] buf, int offset, int length) throws CorruptRecordException {
        Cursor c = Cursor.over(buf, offset, length);
        try {
            long seq = c.longBe();
            int word = count(c, length);
            String source = header(c, word);
            int count = word & ~PREFIX_FLAG;
            long fields = 0;
            for (int k = 0; k < count; k++) {
                streamRef(c);
                c.varLong(); // position
                c.varLong(); // size estimate
                int n = fieldCount(c);
                skipFields(c, n);
                fields += n;
            }
            if (c.pos != c.limit) {
                throw new CorruptRecordException((c.limit - c.pos) + " bytes after the last entry");
            }
            return new Checked(seq, source, count, fields);
        } catch (IndexOutOfBoundsException e) {
            throw new CorruptRecordException("record ends inside a value at byte " + (c.pos - offset));
        } finally {
            resetTables();
        }
    }

    /**
     * Best-effort decoding of a damaged payload: the entries that decode before the first damaged
     * one, into {@code out}. Never throws.
     *
     * @return the number of entries recovered
     */
    public int salvage(byte[] payload, int length, List<LogEntry> out) {
        int before = out.size();
        Cursor c = new Cursor(payload, length);
        try {
            c.longBe();
            int word = c.intBe();
            header(c, word);
            decodeEntries(c, word & ~PREFIX_FLAG, out);
        } catch (RuntimeException | CorruptRecordException e) {
            // keep what decoded
        } finally {
            resetTables();
        }
        return out.size() - before;
    }

    void resetTables() {
        Arrays.fill(lastNames, null); // its indexes are into this record's table
        Arrays.fill(lastValues, null); // and so are these
        Arrays.fill(names, 0, nameCount, null);
        Arrays.fill(streams, 0, streamCount, null);
        nameCount = 0;
        streamCount = 0;
        valueCount = 0;
        streamPrefix = null;
    }

    private void decodeEntries(Cursor c, int count, List<LogEntry> out) throws CorruptRecordException {
        for (int k = 0; k < count; k++) { // a record with fewer entries than its count ends inside one: refused
            out.add(decodeEntry(c));
        }
    }

    /** Decodes the entry at the cursor; its backing array is the cursor's. */
    LogEntry decodeEntry(Cursor c) throws CorruptRecordException {
        String stream = streamRef(c);
        long position = unzigzag(c.varLong());
        long estimate = c.varLong();
        int n = fieldCount(c);
        LogEntry e = new LogEntry(Math.max(2, n));
        e.backing(c.buf);
        for (int i = 0; i < n; i++) {
            String name = names[nameIndex(c)];
            int tag = c.u8();
            if (tag == T_STRING) {
                int len = c.length();
                e.addSlice(name, c.pos, len);
                c.pos += len;
            } else if (tag == T_REF) {
                int k = valueRef(c);
                e.addSlice(name, valueOffsets[k], valueLengths[k]);
            } else {
                e.add(name, readValue(c, tag, 0));
            }
        }
        e.origin(stream, position);
        if (estimate > 0 && estimate <= Integer.MAX_VALUE) {
            e.sizeEstimate((int) estimate);
        }
        return e;
    }

    /** An entry's field count, which cannot exceed what is left of the record. */
    static int fieldCount(Cursor c) throws CorruptRecordException {
        long n = c.varLong();
        if (n < 0 || n > c.limit - c.pos) {
            throw new CorruptRecordException("field count " + n + " out of range");
        }
        return (int) n;
    }

    String streamRef(Cursor c) throws CorruptRecordException {
        long k = c.varLong();
        if (k == 0) {
            return null;
        }
        if (k <= streamCount) {
            return streams[(int) k - 1];
        }
        if (k != streamCount + 1) {
            throw new CorruptRecordException("stream reference " + k + " out of range");
        }
        String s = c.string();
        if (streamPrefix != null) {
            s = streamPrefix.concat(s); // once per stream and record: entries share the table's String
        }
        if (streamCount == streams.length) {
            streams = Arrays.copyOf(streams, streamCount * 2);
        }
        streams[streamCount++] = s;
        return s;
    }

    /**
     * Reads a field name reference: its index in the record's name table (a new name is added
     * first). A field must have a name: a null reference is refused.
     */
    int nameIndex(Cursor c) throws CorruptRecordException {
        long k = c.varLong();
        if (k == 0) {
            throw new CorruptRecordException("field without a name");
        }
        if (k <= nameCount) {
            return (int) k - 1;
        }
        if (k != nameCount + 1) {
            throw new CorruptRecordException("field name reference " + k + " out of range");
        }
        int len = c.length();
        String s = interned.intern(c.buf, c.pos, len);
        c.pos += len;
        if (nameCount == names.length) {
            names = Arrays.copyOf(names, nameCount * 2);
        }
        names[nameCount] = s;
        return nameCount++;
    }

    /**
     * Reads a value reference ({@link #T_REF} was read): its index in the record's value table (a
     * new string is added first).
     */
    int valueRef(Cursor c) throws CorruptRecordException {
        long k = c.varLong();
        if (k >= 1 && k <= valueCount) {
            return (int) k - 1;
        }
        if (k != valueCount + 1) {
            throw new CorruptRecordException("value reference " + k + " out of range");
        }
        int len = c.length();
        if (valueCount == valueOffsets.length) {
            valueOffsets = Arrays.copyOf(valueOffsets, valueCount * 2);
            valueLengths = Arrays.copyOf(valueLengths, valueCount * 2);
        }
        valueOffsets[valueCount] = c.pos;
        valueLengths[valueCount] = len;
        c.pos += len;
        return valueCount++;
    }

    /** Where the string at index {@code k} of the record's value table starts in the payload's array. */
    int valueOffset(int k) {
        return valueOffsets[k];
    }

    /** The length in bytes of the string at index {@code k} of the record's value table. */
    int valueLength(int k) {
        return valueLengths[k];
    }

    /** The field name at index {@code k} of the record's table (see {@link #nameIndex}). */
    String name(int k) {
        return names[k];
    }

    /** The sizes of the record's tables, packed, to {@link #restoreTables} them before re-reading entries. */
    long tableMark() {
        return ((long) nameCount << 32) | streamCount;
    }

    /** Forgets the table entries added after {@code mark} (see {@link #tableMark}). */
    void restoreTables(long mark) {
        nameCount = (int) (mark >>> 32);
        streamCount = (int) mark;
    }

    /** The size of the record's value table, to {@link #restoreValues} it before re-reading entries. */
    int valueMark() {
        return valueCount;
    }

    /** Forgets the value-table entries added after {@code mark} (see {@link #valueMark}). */
    void restoreValues(int mark) {
        valueCount = mark;
    }

    /** Moves past an entry's {@code n} fields with the checks of decoding; makes nothing for scalars. */
    void skipFields(Cursor c, int n) throws CorruptRecordException {
        for (int i = 0; i < n; i++) {
            nameIndex(c);
            int tag = c.u8();
            if (tag == T_REF) {
                valueRef(c);
            } else {
                skipValue(c, tag);
            }
        }
    }

    /** Moves past a value with the checks of {@link #readValue}; makes nothing for scalars. */
    private static void skipValue(Cursor c, int tag) throws CorruptRecordException {
        switch (tag) {
            case T_NULL, T_TRUE, T_FALSE -> { }
            case T_STRING, T_BYTES -> c.skipString();
            case T_LONG -> c.varLong();
            case T_DOUBLE -> c.longBe();
            default -> readValue(c, tag, 0); // lists, maps (rare), and unknown tags refused as decoding does
        }
    }

    static Object readValue(Cursor c, int tag, int depth) throws CorruptRecordException {
        if (depth > MAX_NESTING && (tag == T_LIST || tag == T_MAP)) {
            throw new CorruptRecordException("value nested deeper than " + MAX_NESTING);
        }
        switch (tag) {
            case T_NULL:
                return null;
            case T_STRING:
                return c.string();
            case T_LONG:
                return unzigzag(c.varLong());
            case T_DOUBLE:
                return Double.longBitsToDouble(c.longBe());
            case T_TRUE:
                return Boolean.TRUE;
            case T_FALSE:
                return Boolean.FALSE;
            case T_BYTES: {
                int len = c.length();
                byte[] b = Arrays.copyOfRange(c.buf, c.pos, c.pos + len);
                c.pos += len;
                return b;
            }
            case T_LIST: {
                int n = c.length();
                List<Object> list = new ArrayList<>(Math.min(n, 1024));
                for (int i = 0; i < n; i++) {
                    list.add(readValue(c, c.u8(), depth + 1));
                }
                return list;
            }
            case T_MAP: {
                int n = c.length();
                Map<String, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    String key = c.string();
                    map.put(key, readValue(c, c.u8(), depth + 1));
                }
                return map;
            }
            default:
                throw new CorruptRecordException("unknown value tag " + tag + " at byte " + (c.pos - 1));
        }
    }

    static long readLongBe(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xFF);
        }
        return v;
    }

    static int readIntBe(byte[] b, int off) {
        return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
    }

    /** A read position over a payload; every read is bounds-checked against {@code limit}. */
    static final class Cursor {
        final byte[] buf;
        final int limit;
        int pos;

        Cursor(byte[] buf, int limit) {
            this.buf = buf;
            this.limit = limit;
        }

        /** A cursor over the record at {@code buf[offset, offset+length)}, which must lie inside the array. */
        static Cursor over(byte[] buf, int offset, int length) throws CorruptRecordException {
            if (offset < 0 || length < 0 || offset + length > buf.length) {
                throw new CorruptRecordException("record " + offset + "+" + length + " outside its buffer of " + buf.length);
            }
            Cursor c = new Cursor(buf, offset + length);
            c.pos = offset;
            return c;
        }

        int u8() {
            if (pos >= limit) {
                throw new IndexOutOfBoundsException();
            }
            return buf[pos++] & 0xFF;
        }

        long longBe() {
            need(8);
            long v = readLongBe(buf, pos);
            pos += 8;
            return v;
        }

        int intBe() {
            need(4);
            int v = readIntBe(buf, pos);
            pos += 4;
            return v;
        }

        long varLong() throws CorruptRecordException {
            if (pos < limit && buf[pos] >= 0) { // one byte: most references, lengths and counts
                return buf[pos++];
            }
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int b = u8();
                v |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return v;
                }
            }
            throw new CorruptRecordException("varint longer than 10 bytes at byte " + pos);
        }

        /** A length that must fit in what is left. */
        int length() throws CorruptRecordException {
            long n = varLong();
            if (n < 0 || n > limit - pos) {
                throw new CorruptRecordException("length " + n + " runs past the record end at byte " + pos);
            }
            return (int) n;
        }

        void skipString() throws CorruptRecordException {
            int len = length();
            pos += len;
        }

        String string() throws CorruptRecordException {
            int len = length();
            String s = new String(buf, pos, len, StandardCharsets.UTF_8);
            pos += len;
            return s;
        }

        private void need(int n) {
            if (n > limit - pos) {
                throw new IndexOutOfBoundsException();
            }
        }
    }
}
