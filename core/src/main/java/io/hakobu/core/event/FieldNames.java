package io.hakobu.core.event;

import java.nio.charset.StandardCharsets;

/**
 * A small cache that turns field-name bytes into shared {@code String}s, so that parsing the same
 * labels line after line allocates nothing. Bounded: when full, new names are simply not cached.
 * Not thread-safe: keep one per parser instance (parsers are used by one thread).
 */
public final class FieldNames {
    private static final int SLOTS = 256; // power of two
    private static final int MAX_NAME = 64;

    private final byte[][] keys = new byte[SLOTS][];
    private final String[] strings = new String[SLOTS];

    /** The name for {@code buf[off, off+len)} (UTF-8). */
    public String intern(byte[] buf, int off, int len) {
        if (len > MAX_NAME) {
            return new String(buf, off, len, StandardCharsets.UTF_8);
        }
        int h = 1;
        for (int i = 0; i < len; i++) {
            h = 31 * h + buf[off + i];
        }
        h ^= (h >>> 16);
        for (int probe = 0; probe < 4; probe++) {
            int slot = (h + probe) & (SLOTS - 1);
            byte[] k = keys[slot];
            if (k == null) {
                byte[] copy = new byte[len];
                System.arraycopy(buf, off, copy, 0, len);
                String s = new String(copy, StandardCharsets.UTF_8);
                keys[slot] = copy;
                strings[slot] = s;
                return s;
            }
            if (k.length == len && equalBytes(k, buf, off, len)) {
                return strings[slot];
            }
        }
        return new String(buf, off, len, StandardCharsets.UTF_8);
    }

    private static boolean equalBytes(byte[] k, byte[] buf, int off, int len) {
        for (int i = 0; i < len; i++) {
            if (k[i] != buf[off + i]) {
                return false;
            }
        }
        return true;
    }
}
