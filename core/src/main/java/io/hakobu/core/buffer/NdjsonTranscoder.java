package io.hakobu.core.buffer;

import io.hakobu.core.codec.ByteBuilder;
import io.hakobu.core.codec.JsonWriter;
import io.hakobu.core.codec.NdjsonEncoder;
import io.hakobu.core.event.LogEntry;
import java.util.Arrays;

/**
 * Writes the entries of a {@link RecordCodec} payload as NDJSON lines straight from the payload's
 * bytes, without decoding them into {@link LogEntry} objects first. The output is byte for byte
 * what {@link NdjsonEncoder} gives for the decoded entries (a test holds the two together).
 *
 * <p>This is the file sink's path for records read from its disk buffer: decoding made an entry,
 * a {@code Long} per number and a String per stream per batch, and the JSON writer then looked
 * every field name up by hash; here a record's field names are escaped once, into a table indexed
 * like the record's own name table, and so are the strings of its value table (the fields every
 * entry repeats, see {@link RecordCodec}); other strings are copied from the payload, and integers
 * are written without boxing.
 *
 * <p>Cold path: an entry that repeats a field name (written merged, see
 * {@link JsonWriter#writeEntry}) is read again as a {@link LogEntry} and written by
 * {@link JsonWriter}; values other than strings and integers (null, booleans, doubles, binary,
 * lists and maps) are read as objects and written by {@link JsonWriter#writeValue}.
 *
 * <p>Not thread-safe; keep one per thread.
 */
public final class NdjsonTranscoder {
    /** Chooses the entries to write, in record order (e.g. to skip those already written). */
    @FunctionalInterface
    public interface EntryFilter {
        /** True to write the entry of stream {@code stream} (null when it has none) at {@code position}. */
        boolean accept(String stream, long position);
    }

    private final RecordCodec codec = new RecordCodec();
    private final ByteBuilder scratch = new ByteBuilder(64);
    /**
     * {@code ,"name":} for each index of the current record's name table, for the first
     * {@link #jsonNameCount}, padded for {@link ByteBuilder#writeWords}; its length in
     * {@link #jsonNameLengths}.
     */
    private byte[][] jsonNames = new byte[32][];
    private int[] jsonNameLengths = new int[32];
    private int jsonNameCount;
    /**
     * The JSON string ({@code "value"}) for each index of the current record's value table, for
     * the first {@link #jsonValueCount}, padded like {@link #jsonNames}.
     */
    private byte[][] jsonValues = new byte[8][];
    private int[] jsonValueLengths = new int[8];
    private int jsonValueCount;
    /** Per name-table index: the {@link #stamp} of the entry that last wrote that name. */
    private int[] seenIn = new int[32];
    private int stamp;

    /**
     * Appends one NDJSON line per entry of the payload at {@code buf[offset, offset+length)} that
     * {@code filter} accepts.
     *
     * @return the number of lines written
     * @throws CorruptRecordException if the payload is not a well-formed record; nothing is
     *     appended then
     */
    public int write(byte[] buf, int offset, int length, EntryFilter filter, ByteBuilder out)
            throws CorruptRecordException {
        int outStart = out.length();
        RecordCodec.Cursor c = RecordCodec.Cursor.over(buf, offset, length);
        jsonNameCount = 0;
        jsonValueCount = 0;
        try {
            c.longBe();
            int word = RecordCodec.count(c, length);
            codec.header(c, word);
            int count = word & ~RecordCodec.PREFIX_FLAG;
            int written = 0;
            for (int k = 0; k < count; k++) {
                if (writeEntry(c, filter, out)) {
                    written++;
                }
            }
            if (c.pos != c.limit) {
                throw new CorruptRecordException((c.limit - c.pos) + " bytes after the last entry");
            }
            return written;
        } catch (IndexOutOfBoundsException e) {
            out.truncate(outStart);
            throw new CorruptRecordException("record ends inside a value at byte " + (c.pos - offset));
        } catch (CorruptRecordException e) {
            out.truncate(outStart);
            throw e;
        } finally {
            codec.resetTables();
        }
    }

    /** Reads the entry at the cursor; writes it when the filter accepts it. */
    private boolean writeEntry(RecordCodec.Cursor c, EntryFilter filter, ByteBuilder out) throws CorruptRecordException {
        int entryStart = c.pos;
        long tables = codec.tableMark();
        int values = codec.valueMark();
        String stream = codec.streamRef(c);
        long position = RecordCodec.unzigzag(c.varLong());
        c.varLong(); // size estimate
        int n = RecordCodec.fieldCount(c);
        boolean accept = filter.accept(stream, position);
        if (!accept) {
            codec.skipFields(c, n);
            return false;
        }
        if (++stamp == 0) { // wrapped: forget every mark
            Arrays.fill(seenIn, 0);
            stamp = 1;
        }
        int lineStart = out.length();
        if (n == 0) {
            out.write('{');
        }
        for (int i = 0; i < n; i++) {
            int k = codec.nameIndex(c);
            if (k >= seenIn.length) {
                seenIn = Arrays.copyOf(seenIn, Math.max(k + 1, seenIn.length * 2));
            }
            if (seenIn[k] == stamp) {
                // a repeated name: the merged form needs the whole entry
                out.truncate(lineStart);
                c.pos = entryStart;
                codec.restoreTables(tables);
                codec.restoreValues(values);
                LogEntry e = codec.decodeEntry(c);
                JsonWriter.writeEntry(e, out);
                out.write('\n');
                return true;
            }
            seenIn[k] = stamp;
            out.writeWords(jsonName(k), jsonNameLengths[k]); // ,"name":
            if (i == 0) {
                out.array()[lineStart] = '{'; // in place of the first field's comma
            }
            writeValue(c, c.u8(), out);
        }
        out.write('}');
        out.write('\n');
        return true;
    }

    /** {@code ,"name":} for name-table index {@code k} (the first field of an entry skips the comma). */
    private byte[] jsonName(int k) {
        while (jsonNameCount <= k) { // names enter the table in index order
            if (jsonNameCount == jsonNames.length) {
                jsonNames = Arrays.copyOf(jsonNames, jsonNames.length * 2);
                jsonNameLengths = Arrays.copyOf(jsonNameLengths, jsonNames.length);
            }
            scratch.reset();
            scratch.write(',');
            JsonWriter.writeString(codec.name(jsonNameCount), scratch);
            scratch.write(':');
            jsonNameLengths[jsonNameCount] = scratch.length();
            jsonNames[jsonNameCount++] = scratch.padded();
        }
        return jsonNames[k];
    }

    /** The JSON string for value-table index {@code k} of the record at the cursor. */
    private byte[] jsonValue(RecordCodec.Cursor c, int k) {
        while (jsonValueCount <= k) { // values enter the table in index order
            if (jsonValueCount == jsonValues.length) {
                jsonValues = Arrays.copyOf(jsonValues, jsonValues.length * 2);
                jsonValueLengths = Arrays.copyOf(jsonValueLengths, jsonValues.length);
            }
            scratch.reset();
            JsonWriter.writeUtf8String(c.buf, codec.valueOffset(jsonValueCount), codec.valueLength(jsonValueCount), scratch);
            jsonValueLengths[jsonValueCount] = scratch.length();
            jsonValues[jsonValueCount++] = scratch.padded();
        }
        return jsonValues[k];
    }

    private void writeValue(RecordCodec.Cursor c, int tag, ByteBuilder out) throws CorruptRecordException {
        switch (tag) {
            case RecordCodec.T_REF -> {
                int k = codec.valueRef(c);
                out.writeWords(jsonValue(c, k), jsonValueLengths[k]);
            }
            case RecordCodec.T_STRING -> {
                int len = c.length();
                JsonWriter.writeUtf8String(c.buf, c.pos, len, out);
                c.pos += len;
            }
            case RecordCodec.T_LONG -> out.writeLong(RecordCodec.unzigzag(c.varLong()));
            default -> JsonWriter.writeValue(RecordCodec.readValue(c, tag, 0), out); // null and booleans allocate nothing
        }
    }
}
