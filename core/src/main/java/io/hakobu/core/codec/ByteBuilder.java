package io.hakobu.core.codec;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable byte array for encoders: append, then hand the bytes to a channel and {@link #reset()}. Not thread-safe. */
public final class ByteBuilder {
    /** Up to this many bytes, {@link #copy} moves 8-byte words itself. */
    private static final int SHORT_COPY = 64;

    private byte[] buf;
    private int len;

    public ByteBuilder() {
        this(4096);
    }

    public ByteBuilder(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    public ByteBuilder write(int b) {
        ensure(1);
        buf[len++] = (byte) b;
        return this;
    }

    public ByteBuilder write(byte[] src) {
        return write(src, 0, src.length);
    }

    public ByteBuilder write(byte[] src, int off, int n) {
        ensure(n);
        System.arraycopy(src, off, buf, len, n);
        len += n;
        return this;
    }

    /** Appends {@code s} as UTF-8. */
    public ByteBuilder writeUtf8(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                return writeUtf8Slow(s, i);
            }
            buf[len++] = (byte) c;
        }
        return this;
    }

    private ByteBuilder writeUtf8Slow(String s, int from) {
        byte[] rest = s.substring(from).getBytes(StandardCharsets.UTF_8);
        return write(rest);
    }

    /**
     * Appends {@code s.charAt(from) .. s.charAt(to - 1)}, which the caller has checked are all
     * ASCII (below 0x80), one byte each, in one bulk copy.
     */
    @SuppressWarnings("deprecation") // getBytes(int, int, byte[], int) is the bulk low-byte copy we want
    public ByteBuilder writeAscii(String s, int from, int to) {
        int n = to - from;
        ensure(n);
        s.getBytes(from, to, buf, len);
        len += n;
        return this;
    }

    /** "00" to "99": two digits per table lookup. */
    private static final byte[] DIGIT_PAIRS = new byte[200];

    static {
        for (int i = 0; i < 100; i++) {
            DIGIT_PAIRS[2 * i] = (byte) ('0' + i / 10);
            DIGIT_PAIRS[2 * i + 1] = (byte) ('0' + i % 10);
        }
    }

    /**
     * Appends the decimal form of {@code v}: written from its last digit back, two digits per
     * step (a 16-digit microsecond timestamp takes 8 steps, not 16 divisions and a reversal).
     */
    public ByteBuilder writeLong(long v) {
        if (v == Long.MIN_VALUE) {
            return writeUtf8("-9223372036854775808");
        }
        ensure(20);
        if (v < 0) {
            buf[len++] = '-';
            v = -v;
        }
        int end = len + digits(v);
        int p = end;
        while (v >= 100) {
            int r = (int) (v % 100);
            v /= 100;
            p -= 2;
            buf[p] = DIGIT_PAIRS[2 * r];
            buf[p + 1] = DIGIT_PAIRS[2 * r + 1];
        }
        if (v >= 10) {
            buf[p - 2] = DIGIT_PAIRS[2 * (int) v];
            buf[p - 1] = DIGIT_PAIRS[2 * (int) v + 1];
        } else {
            buf[p - 1] = (byte) ('0' + v);
        }
        len = end;
        return this;
    }

    /** The number of decimal digits of {@code v >= 0}. */
    private static int digits(long v) {
        long limit = 10;
        for (int d = 1; d < 19; d++) {
            if (v < limit) {
                return d;
            }
            limit *= 10;
        }
        return 19;
    }

    /** Appends {@code v} as an unsigned LEB128 varint (7 bits per byte, low first), 1 to 10 bytes. */
    public ByteBuilder writeVarLong(long v) {
        ensure(10);
        putVarLong(v);
        return this;
    }

    /** The varint of {@link #writeVarLong} without the capacity check: the caller made room. */
    private void putVarLong(long v) {
        while ((v & ~0x7FL) != 0) {
            buf[len++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[len++] = (byte) v;
    }

    /**
     * Appends the byte {@code tag}, the length {@code n} as a varint ({@link #writeVarLong}), then
     * {@code src[off, off+n)}, with one capacity check: a length-prefixed value in one call.
     */
    public ByteBuilder writeTagged(int tag, byte[] src, int off, int n) {
        ensure(n + 6 + 8);
        buf[len++] = (byte) tag;
        putVarLong(n);
        copy(src, off, n);
        return this;
    }

    /**
     * Appends {@code src[off, off+n)} into room already made for {@code n + 8} bytes: a short piece
     * whose words all lie inside {@code src} by whole 8-byte words (a call per piece costs more
     * than the copy), anything else with one {@code System.arraycopy}.
     */
    private void copy(byte[] src, int off, int n) {
        byte[] b = buf;
        int p = len;
        if (n <= SHORT_COPY && off + ((n + 7) & ~7) <= src.length) {
            for (int i = 0; i < n; i += 8) {
                Parsers.LONGS.set(b, p + i, (long) Parsers.LONGS.get(src, off + i));
            }
        } else {
            System.arraycopy(src, off, b, p, n);
        }
        len = p + n;
    }

    public int length() {
        return len;
    }

    /**
     * Makes room for {@code n} more bytes and returns the array to write them into, from
     * {@link #length()} on; {@link #commit} then marks how many were written. For writers that
     * copy whole 8-byte words and so may write a few bytes past what they keep.
     */
    public byte[] reserve(int n) {
        ensure(n);
        return buf;
    }

    /**
     * Marks the bytes up to {@code length} as written (after {@link #reserve}); bytes written into
     * the array beyond it are not part of the content.
     */
    public void commit(int length) {
        if (length < len || length > buf.length) {
            throw new IndexOutOfBoundsException(length + " outside [" + len + ", " + buf.length + "]");
        }
        len = length;
    }

    /**
     * Appends {@code src[0, n)}, a short piece by whole 8-byte words without a call per copy (see
     * {@link #copy}): for the repeated pieces of an encoding (JSON names, shared values).
     * {@code src.length} should be {@code n} rounded up to a multiple of 8 (see {@link #padded}).
     */
    public ByteBuilder writeWords(byte[] src, int n) {
        ensure(n + 8);
        copy(src, 0, n);
        return this;
    }

    /** A copy of {@code [0, length())} padded with zeros to a multiple of 8 bytes, for {@link #writeWords}. */
    public byte[] padded() {
        return Arrays.copyOf(buf, (len + 7) & ~7);
    }

    /** The internal array; valid bytes are {@code [0, length())}. */
    public byte[] array() {
        return buf;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }

    public void reset() {
        len = 0;
    }

    /** Cuts back to {@code length} bytes (e.g. to undo a partly written record). */
    public void truncate(int length) {
        if (length < 0 || length > len) {
            throw new IndexOutOfBoundsException(length + " of " + len);
        }
        len = length;
    }

    public void writeTo(OutputStream out) throws IOException {
        out.write(buf, 0, len);
    }

    /** Writes every byte to the channel (loops over partial writes). */
    public void writeTo(WritableByteChannel ch) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(buf, 0, len);
        while (bb.hasRemaining()) {
            ch.write(bb);
        }
    }

    private void ensure(int n) {
        if (len + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(len + n, buf.length * 2));
        }
    }

    @Override
    public String toString() {
        return new String(buf, 0, len, StandardCharsets.UTF_8);
    }
}
