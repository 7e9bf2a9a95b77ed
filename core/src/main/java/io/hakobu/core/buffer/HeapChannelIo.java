package io.hakobu.core.buffer;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Positional file I/O from and into heap arrays, at most {@link #CHUNK} bytes per channel call.
 *
 * <p>The JDK copies a heap buffer through a temporary direct buffer of the same size, which it
 * caches per thread and replaces (free, then malloc) whenever a call needs a larger one. Whole
 * staging flushes (up to 8 MiB) and reads of records of every size therefore kept a direct
 * buffer as large as the largest call on each I/O thread, reallocated as the sizes grew. In
 * slices of one size a thread allocates one 256 KiB temporary buffer and reuses it, and a
 * multi-megabyte call no longer maps fresh pages every time (which once doubled the file sink's
 * system time).
 */
public final class HeapChannelIo {
    /** The most bytes per channel call. */
    public static final int CHUNK = 256 * 1024;

    private HeapChannelIo() {
    }

    /** {@code a[off, min(end, off + CHUNK))}, for one channel call. */
    public static ByteBuffer chunk(byte[] a, int off, int end) {
        return ByteBuffer.wrap(a, off, Math.min(CHUNK, end - off));
    }

    /**
     * Reads until {@code dst} (a heap buffer) is full, from {@code position}, in chunks.
     *
     * @throws EOFException if the file ends first
     */
    public static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
        int end = dst.limit();
        long p = position;
        try {
            while (dst.position() < end) {
                dst.limit(Math.min(end, dst.position() + CHUNK));
                int n = ch.read(dst, p);
                if (n < 0) {
                    throw new EOFException("unexpected end of file at " + p);
                }
                p += n;
            }
        } finally {
            dst.limit(end);
        }
    }
}
