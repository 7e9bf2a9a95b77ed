package io.hakobu.core.codec;

import io.hakobu.core.event.FieldNames;
import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * Creates the line {@link Parser}s by their configuration name, and holds the few helpers they
 * share.
 *
 * <p>Behaviour common to every parser:
 * <ul>
 *   <li>one trailing {@code '\r'} is stripped, so CRLF files parse like LF files;</li>
 *   <li>a line that does not parse is kept whole as {@code MESSAGE} (without the stripped
 *       {@code '\r'}) plus {@code _PARSE_ERROR} = a short reason such as
 *       {@code "ltsv: field 3 has no ':'"}; no field of a failed line is added;</li>
 *   <li>nothing is thrown for any input bytes, including invalid UTF-8 (slices are decoded with
 *       replacement characters when somebody asks for them as text);</li>
 *   <li>for the structured formats, a label repeated within one line keeps the position of its
 *       first occurrence and the value of its last ("last wins", like a {@code Map.put});</li>
 *   <li>with {@code keepMessage} the structured formats also add {@code MESSAGE} = the whole line,
 *       as the first field of the entry. A field of the line that is itself called
 *       {@code MESSAGE} is still added after it (an entry may repeat a name).</li>
 * </ul>
 *
 * <p>Parsers are not thread-safe (they cache field names and reuse scratch space): create one per
 * thread, e.g. one per source.
 */
public final class Parsers {

    /** The format names {@link #create} accepts, as written in the configuration. */
    public static final List<String> FORMATS = List.of("raw", "ltsv", "json", "logfmt", "syslog");

    /** Reads 8 bytes of a {@code byte[]} as a little-endian long, for SWAR scans (as Netty's {@code SWARUtil}). */
    static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /** {@code 0x01} in every byte of a long. */
    static final long ONES = 0x0101010101010101L;
    /** {@code 0x80} in every byte of a long. */
    static final long HIGHS = 0x8080808080808080L;
    /**
     * The largest scratch buffer a parser keeps between lines (for unescaping); a longer string gets
     * a buffer of its own, so that one huge line does not pin memory for the parser's lifetime.
     */
    static final int MAX_SCRATCH = 64 * 1024;

    private Parsers() {
    }

    /**
     * A new parser for {@code format}.
     *
     * @param format one of {@link #FORMATS}
     * @param keepMessage whether structured formats also keep the whole line as {@code MESSAGE}
     *     (ignored by {@code raw}, whose only field is {@code MESSAGE}; {@code syslog}, whose
     *     {@code MESSAGE} is the message text, keeps the whole line as {@code SYSLOG_RAW})
     * @throws IllegalArgumentException for an unknown format
     */
    public static Parser create(String format, boolean keepMessage) {
        if (format != null) {
            switch (format) {
                case "raw":
                    return new RawParser();
                case "ltsv":
                    return new LtsvParser(keepMessage);
                case "json":
                    return new JsonLineParser(keepMessage);
                case "logfmt":
                    return new LogfmtParser(keepMessage);
                case "syslog":
                    return new SyslogParser(keepMessage);
                default:
                    break;
            }
        }
        throw new IllegalArgumentException("unknown format '" + format + "', expected one of " + FORMATS);
    }

    /** The end of {@code line[off, off+len)} after dropping one trailing {@code '\r'}. */
    static int stripCr(byte[] line, int off, int len) {
        int end = off + len;
        return len > 0 && line[end - 1] == '\r' ? end - 1 : end;
    }

    /** Records a failed line: the whole line as {@code MESSAGE} and the reason as {@code _PARSE_ERROR}. */
    static void fail(LogEntry entry, int off, int end, String reason) {
        entry.addSlice(Fields.MESSAGE, off, end - off);
        entry.add(Fields.PARSE_ERROR, reason);
    }

    /** A printable form of one input byte for error reasons: {@code 'x'} or {@code 0x09}. */
    static String describe(byte b) {
        int c = b & 0xff;
        if (c > 0x20 && c < 0x7f) {
            return "'" + (char) c + "'";
        }
        return String.format("0x%02x", c);
    }

    /** Writes code point {@code cp} (not a surrogate) as UTF-8 at {@code out[n]}; returns the new length. */
    static int writeUtf8(int cp, byte[] out, int n) {
        if (cp < 0x80) {
            out[n++] = (byte) cp;
        } else if (cp < 0x800) {
            out[n++] = (byte) (0xc0 | cp >> 6);
            out[n++] = (byte) (0x80 | cp & 0x3f);
        } else if (cp < 0x10000) {
            out[n++] = (byte) (0xe0 | cp >> 12);
            out[n++] = (byte) (0x80 | cp >> 6 & 0x3f);
            out[n++] = (byte) (0x80 | cp & 0x3f);
        } else {
            out[n++] = (byte) (0xf0 | cp >> 18);
            out[n++] = (byte) (0x80 | cp >> 12 & 0x3f);
            out[n++] = (byte) (0x80 | cp >> 6 & 0x3f);
            out[n++] = (byte) (0x80 | cp & 0x3f);
        }
        return n;
    }

    /**
     * Field names for one parser: a {@link FieldNames} cache plus, for each position in the line,
     * the name seen there last. Lines of one log nearly always have the same names in the same
     * order, so one comparison with the remembered name usually replaces validating the name's
     * bytes, hashing them and looking them up. Only valid names are remembered, so a match is valid
     * too. Steady state allocates nothing. Not thread-safe.
     */
    static final class NameCache {
        /** Positions beyond this are interned but not remembered, to bound the memory kept. */
        private static final int MAX_POSITIONS = 256;

        private final FieldNames names = new FieldNames();
        private String[] expected = new String[32];
        private byte[][] bytes = new byte[32][];
        private int[] lengths = new int[32];

        /**
         * The name remembered at {@code position} if {@code b} starts with it at {@code start},
         * within {@code b[start, limit)}; else null. The caller checks what follows it, at
         * {@code start + expectedLength(position)} (e.g. the {@code ':'} after an LTSV label).
         */
        String expected(int position, byte[] b, int start, int limit) {
            if (position >= expected.length) {
                return null;
            }
            String name = expected[position];
            if (name == null) {
                return null;
            }
            int n = lengths[position];
            if (n > limit - start) {
                return null;
            }
            byte[] k = bytes[position];
            for (int i = 0; i < n; i++) {
                if (b[start + i] != k[i]) {
                    return null;
                }
            }
            return name;
        }

        /** The length in bytes of the name remembered at {@code position}. */
        int expectedLength(int position) {
            return lengths[position];
        }

        /** The name for {@code b[start, start+length)}, remembered as the one at {@code position}. */
        String intern(int position, byte[] b, int start, int length) {
            String name = names.intern(b, start, length);
            if (position >= MAX_POSITIONS) {
                return name;
            }
            if (position >= expected.length) {
                int cap = Math.max(position + 1, expected.length * 2);
                expected = Arrays.copyOf(expected, cap);
                bytes = Arrays.copyOf(bytes, cap);
                lengths = Arrays.copyOf(lengths, cap);
            }
            byte[] k = bytes[position];
            if (k == null || k.length < length) {
                k = new byte[Math.max(length, 16)]; // reused when the name there changes again
                bytes[position] = k;
            }
            System.arraycopy(b, start, k, 0, length);
            expected[position] = name;
            lengths[position] = length;
            return name;
        }

        /** The name for {@code b[start, start+length)}, not tied to a position (e.g. nested keys). */
        String intern(byte[] b, int start, int length) {
            return names.intern(b, start, length);
        }
    }

    /**
     * The fields of one line, collected before any is added to the entry so that a line failing
     * half-way adds nothing but {@code MESSAGE} and {@code _PARSE_ERROR}. Repeated names are merged
     * here (last value wins, first position is kept). Reused from line to line; not thread-safe.
     */
    static final class PendingFields {
        /** Marker in {@link #values} for a slice value whose bounds are in {@link #slices}. */
        private static final Object SLICE = new Object();
        /** Capacity kept from line to line; beyond it the arrays are dropped after the line. */
        private static final int MAX_RETAINED_FIELDS = 1024;

        private String[] names = new String[16];
        private Object[] values = new Object[16];
        private long[] slices = new long[16];
        private int size;
        /** Whether {@link #values} holds objects that {@link #clear()} must drop. */
        private boolean holdsObjects;

        // An open-addressing index name -> field, to find repeated names in O(1). A slot is in use
        // only if its stamp is the current generation, so clearing it is a single increment.
        private int[] slotField = new int[64];
        private int[] slotStamp = new int[64];
        private int generation = 1;

        int size() {
            return size;
        }

        void addSlice(String name, int offset, int length) {
            int i = slot(name);
            values[i] = SLICE;
            slices[i] = ((long) offset << 32) | (length & 0xffffffffL);
        }

        void add(String name, Object value) {
            int i = slot(name); // first: it may grow the arrays
            values[i] = value;
            holdsObjects = true;
        }

        /** Moves every field to {@code entry}, in order, and clears this for the next line. */
        void drainTo(LogEntry entry) {
            final String[] n = names;
            final Object[] v = values;
            final long[] s = slices;
            for (int i = 0, size = this.size; i < size; i++) {
                if (v[i] == SLICE) {
                    entry.addSlice(n[i], (int) (s[i] >>> 32), (int) s[i]);
                } else {
                    entry.add(n[i], v[i]);
                }
            }
            clear();
        }

        /** Forgets every field, dropping parsed values so they can be collected. */
        void clear() {
            if (names.length > MAX_RETAINED_FIELDS) {
                // after a line with a huge number of fields, go back to the usual size
                names = new String[16];
                values = new Object[16];
                slices = new long[16];
                slotField = new int[64];
                slotStamp = new int[64];
                generation = 1;
                size = 0;
                holdsObjects = false;
                return;
            }
            if (holdsObjects) {
                Arrays.fill(values, 0, size, null);
                holdsObjects = false;
            }
            size = 0;
            if (++generation == 0) { // wrapped: stamps from 2^32 lines ago could look current
                Arrays.fill(slotStamp, 0);
                generation = 1;
            }
        }

        /** The index for {@code name}: its earlier occurrence, or a new field at the end. */
        private int slot(String name) {
            int mask = slotField.length - 1;
            int s = mix(name.hashCode()) & mask;
            while (slotStamp[s] == generation) {
                String n = names[slotField[s]];
                if (n == name || n.equals(name)) {
                    return slotField[s];
                }
                s = (s + 1) & mask;
            }
            if (size == names.length) {
                int cap = size * 2;
                names = Arrays.copyOf(names, cap);
                values = Arrays.copyOf(values, cap);
                slices = Arrays.copyOf(slices, cap);
            }
            names[size] = name;
            slotField[s] = size;
            slotStamp[s] = generation;
            if (++size > slotField.length / 2) {
                rehash();
            }
            return size - 1;
        }

        /** Doubles the index, keeping it at most half full. */
        private void rehash() {
            int cap = slotField.length * 2;
            slotField = new int[cap];
            slotStamp = new int[cap];
            generation = 1;
            for (int i = 0; i < size; i++) {
                int s = mix(names[i].hashCode()) & (cap - 1);
                while (slotStamp[s] == generation) {
                    s = (s + 1) & (cap - 1);
                }
                slotField[s] = i;
                slotStamp[s] = generation;
            }
        }

        /** Spreads the bits of a {@code String} hash, whose low bits are poor for short names. */
        private static int mix(int h) {
            h *= 0x9e3779b9;
            return h ^ (h >>> 16);
        }
    }
}
