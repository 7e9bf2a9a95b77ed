package io.hakobu.core.codec;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable byte array for encoders: append, then hand the bytes to a channel and {@link #reset()}. Not thread-safe. */
public final class ByteBuilder {
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

    /** Appends the decimal form of {@code v}. */
    public ByteBuilder writeLong(long v) {
        if (v == Long.MIN_VALUE) {
            return writeUtf8("-9223372036854775808");
        }
        ensure(20);
        if (v < 0) {
            buf[len++] = '-';
            v = -v;
        }
        int start = len;
        do {
            buf[len++] = (byte) ('0' + (v % 10));
            v /= 10;
        } while (v != 0);
        for (int i = start, j = len - 1; i < j; i++, j--) {
            byte t = buf[i];
            buf[i] = buf[j];
            buf[j] = t;
        }
        return this;
    }

    public int length() {
        return len;
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
