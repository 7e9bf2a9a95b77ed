package io.hakobu.core.event;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One journald-style log entry: an ordered list of named fields.
 *
 * <p>Values are {@link String}, {@link Long}, {@link Double}, {@link Boolean}, {@code List<Object>},
 * {@code Map<String,Object>} (from JSON sources), {@code byte[]} (binary fields, shown as
 * {@code {"base64": …}} in JSON) or {@code null} (a JSON null).
 *
 * <p>The hot path avoids copies: a parser may add a field whose value is a <em>slice</em> of the
 * entry's {@linkplain #backing() backing bytes} (UTF-8). A slice becomes a {@code String} only
 * when somebody asks for it ({@link #value(int)}), and encoders can copy its bytes directly
 * ({@link #isSlice(int)}, {@link #sliceOffset(int)}, {@link #sliceLength(int)}). Field names are
 * expected to be interned by the parser (see {@link FieldNames}), so a repeated label costs nothing.
 *
 * <p>Besides its fields an entry carries its <em>stream</em> (a stable identity of where it was read,
 * e.g. a file identity) and its <em>position</em> in that stream (e.g. the byte offset just after
 * the line). Both are monotonic per stream and are what sinks use to recognise an entry they
 * already wrote; {@code __ID} is derived from them (see {@link EntryId}).
 *
 * <p>Not thread-safe: an entry is built by one thread and then only read.
 */
public final class LogEntry {

    /** Marker stored in {@link #values} for a field whose value is a slice of {@link #backing}. */
    private static final Object SLICE = new Object();
    private static final int DEFAULT_CAPACITY = 8;

    private String[] names;
    private Object[] values;
    /** Slice bounds, {@code offset << 32 | length}; allocated on the first slice. */
    private long[] slices;
    private int size;
    private byte[] backing;

    private String stream;
    private long position = -1;
    private int sizeEstimate;

    public LogEntry() {
        this(DEFAULT_CAPACITY);
    }

    public LogEntry(int capacity) {
        int cap = Math.max(2, capacity);
        names = new String[cap];
        values = new Object[cap];
    }

    /** Sets the bytes that slice values refer to (typically the raw line); not copied. */
    public LogEntry backing(byte[] bytes) {
        this.backing = bytes;
        return this;
    }

    public byte[] backing() {
        return backing;
    }

    /** Appends a field (a repeated name is allowed: journald entries may repeat fields). */
    public LogEntry add(String name, Object value) {
        Objects.requireNonNull(name, "name");
        ensureCapacity(size + 1);
        names[size] = name;
        values[size] = value;
        size++;
        return this;
    }

    /** Appends a field whose value is {@code backing[offset, offset+length)} as UTF-8. */
    public LogEntry addSlice(String name, int offset, int length) {
        Objects.requireNonNull(name, "name");
        checkSlice(offset, length);
        ensureCapacity(size + 1);
        names[size] = name;
        putSlice(size, offset, length);
        size++;
        return this;
    }

    /** Makes field {@code i}'s value {@code backing[offset, offset+length)}; its name and place stay. */
    public LogEntry setSlice(int i, int offset, int length) {
        checkIndex(i);
        checkSlice(offset, length);
        putSlice(i, offset, length);
        return this;
    }

    private void checkSlice(int offset, int length) {
        if (backing == null || offset < 0 || length < 0 || offset + length > backing.length) {
            throw new IndexOutOfBoundsException("slice " + offset + "+" + length + " outside backing");
        }
    }

    private void putSlice(int i, int offset, int length) {
        if (slices == null) {
            slices = new long[names.length];
        }
        values[i] = SLICE;
        slices[i] = ((long) offset << 32) | (length & 0xffffffffL);
    }

    /** Keeps the first {@code newSize} fields and drops the rest. */
    public LogEntry truncate(int newSize) {
        if (newSize < 0 || newSize > size) {
            throw new IndexOutOfBoundsException("truncate to " + newSize + " of " + size + " fields");
        }
        for (int i = newSize; i < size; i++) {
            names[i] = null;
            values[i] = null;
        }
        size = newSize;
        return this;
    }

    /** Sets the first field called {@code name}, or appends it when absent. */
    public LogEntry set(String name, Object value) {
        int i = indexOf(name);
        if (i < 0) {
            return add(name, value);
        }
        values[i] = value;
        return this;
    }

    /** Removes every field called {@code name}; returns whether any was present. */
    public boolean remove(String name) {
        boolean removed = false;
        int w = 0;
        for (int r = 0; r < size; r++) {
            if (names[r].equals(name)) {
                removed = true;
                continue;
            }
            if (w != r) {
                names[w] = names[r];
                values[w] = values[r];
                if (slices != null) {
                    slices[w] = slices[r];
                }
            }
            w++;
        }
        for (int i = w; i < size; i++) {
            names[i] = null;
            values[i] = null;
        }
        size = w;
        return removed;
    }

    public int size() {
        return size;
    }

    public String name(int i) {
        checkIndex(i);
        return names[i];
    }

    /** The value of field {@code i}; a slice is decoded (and cached) on first access. */
    public Object value(int i) {
        checkIndex(i);
        Object v = values[i];
        if (v == SLICE) {
            long s = slices[i];
            v = new String(backing, (int) (s >>> 32), (int) s, StandardCharsets.UTF_8);
            values[i] = v;
        }
        return v;
    }

    public boolean isSlice(int i) {
        checkIndex(i);
        return values[i] == SLICE;
    }

    public int sliceOffset(int i) {
        return (int) (slices[i] >>> 32);
    }

    public int sliceLength(int i) {
        return (int) slices[i];
    }

    public int indexOf(String name) {
        return indexOf(name, 0);
    }

    /** The index of the first field called {@code name} at or after {@code from}, or -1. */
    public int indexOf(String name, int from) {
        for (int i = Math.max(from, 0); i < size; i++) {
            String n = names[i];
            if (n == name || n.equals(name)) {
                return i;
            }
        }
        return -1;
    }

    public boolean has(String name) {
        return indexOf(name) >= 0;
    }

    /** The first value called {@code name}, or {@code null}. */
    public Object get(String name) {
        int i = indexOf(name);
        return i < 0 ? null : value(i);
    }

    /** The first value called {@code name} as text ({@code String.valueOf} for non-strings), or {@code null}. */
    public String getString(String name) {
        Object v = get(name);
        if (v == null) {
            return null;
        }
        if (v instanceof byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
        return v instanceof String s ? s : String.valueOf(v);
    }

    public String stream() {
        return stream;
    }

    public long position() {
        return position;
    }

    /** Where the entry came from: a stable stream identity and a monotonic position in it. */
    public LogEntry origin(String stream, long position) {
        this.stream = stream;
        this.position = position;
        return this;
    }

    /** Approximate size in bytes used for queue accounting (the raw size, set by the source). */
    public int sizeEstimate() {
        if (sizeEstimate > 0) {
            return sizeEstimate;
        }
        return backing != null ? backing.length + 32 * size : 64 * Math.max(1, size);
    }

    public LogEntry sizeEstimate(int bytes) {
        this.sizeEstimate = bytes;
        return this;
    }

    private void ensureCapacity(int needed) {
        if (needed > names.length) {
            int cap = Math.max(needed, names.length * 2);
            names = Arrays.copyOf(names, cap);
            values = Arrays.copyOf(values, cap);
            if (slices != null) {
                slices = Arrays.copyOf(slices, cap);
            }
        }
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("field " + i + " of " + size);
        }
    }

    /** Debug form; use an encoder for real output. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("LogEntry{");
        for (int i = 0; i < size; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            Object v = value(i);
            sb.append(names[i]).append('=').append(v instanceof byte[] b ? "<" + b.length + " bytes>" : v);
        }
        return sb.append('}').toString();
    }

    /** True for the value types an entry may hold. */
    public static boolean isSupportedValue(Object v) {
        return v == null || v instanceof String || v instanceof Long || v instanceof Integer
                || v instanceof Double || v instanceof Boolean || v instanceof byte[]
                || v instanceof List || v instanceof Map;
    }
}
