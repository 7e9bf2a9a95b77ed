package io.hakobu.core.event;

import java.nio.charset.StandardCharsets;

/**
 * Derives {@code __ID}: a stable 128-bit id, 32 lowercase hex characters, from the node name, the
 * source id, the stream identity and the position of the entry in that stream (SPEC §2).
 *
 * <p>The same entry read again (after a crash, a restart, a resend) gets the same id, which is
 * what lets deduplicating sinks end up exactly-once. The algorithm is part of the data contract
 * and must never change: MurmurHash3 x64/128 (seed 0) of the UTF-8 bytes of
 * {@code node 0x00 source 0x00 stream} gives the stream key {@code (k1, k2)}; the id is
 * MurmurHash3 x64/128 (seed 0) of the 24 little-endian bytes {@code k1, k2, position}.
 *
 * <p>Create one {@code EntryId} per stream and call {@link #of(long)} per entry: the stream key is
 * hashed once.
 */
public final class EntryId {
    private static final long C1 = 0x87c37b91114253d5L;
    private static final long C2 = 0x4cf5ad432745937fL;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private final long k1;
    private final long k2;

    public EntryId(String node, String source, String stream) {
        byte[] key = (node + '\0' + source + '\0' + stream).getBytes(StandardCharsets.UTF_8);
        long[] h = murmur3(key);
        this.k1 = h[0];
        this.k2 = h[1];
    }

    /** The id of the entry at {@code position}, as 32 lowercase hex characters. */
    public String of(long position) {
        byte[] out = new byte[32];
        write(position, out, 0);
        return new String(out, StandardCharsets.ISO_8859_1);
    }

    /** Writes the id of the entry at {@code position} as 32 lowercase hex ASCII bytes at {@code out[off]}. */
    public void write(long position, byte[] out, int off) {
        long[] h = hash3Longs(k1, k2, position);
        writeHex(h[0], out, off);
        writeHex(h[1], out, off + 16);
    }

    private static void writeHex(long v, byte[] out, int off) {
        for (int i = 15; i >= 0; i--) {
            out[off + i] = HEX[(int) (v & 0xf)];
            v >>>= 4;
        }
    }

    /** MurmurHash3 x64/128 of exactly three little-endian longs (24 bytes), seed 0. */
    static long[] hash3Longs(long a, long b, long c) {
        long h1 = 0;
        long h2 = 0;
        // one full 16-byte block: (a, b)
        long k1 = mixK1(a);
        h1 ^= k1;
        h1 = Long.rotateLeft(h1, 27);
        h1 += h2;
        h1 = h1 * 5 + 0x52dce729;
        long k2 = mixK2(b);
        h2 ^= k2;
        h2 = Long.rotateLeft(h2, 31);
        h2 += h1;
        h2 = h2 * 5 + 0x38495ab5;
        // tail: 8 bytes (c) go to k1
        h1 ^= mixK1(c);
        return finish(h1, h2, 24);
    }

    /** MurmurHash3 x64/128 of arbitrary bytes, seed 0. */
    static long[] murmur3(byte[] data) {
        long h1 = 0;
        long h2 = 0;
        int len = data.length;
        int blocks = len / 16;
        for (int i = 0; i < blocks; i++) {
            long k1 = getLong(data, i * 16);
            long k2 = getLong(data, i * 16 + 8);
            h1 ^= mixK1(k1);
            h1 = Long.rotateLeft(h1, 27);
            h1 += h2;
            h1 = h1 * 5 + 0x52dce729;
            h2 ^= mixK2(k2);
            h2 = Long.rotateLeft(h2, 31);
            h2 += h1;
            h2 = h2 * 5 + 0x38495ab5;
        }
        int tail = blocks * 16;
        long k1 = 0;
        long k2 = 0;
        switch (len & 15) {
            case 15: k2 ^= ((long) data[tail + 14] & 0xff) << 48; // fall through
            case 14: k2 ^= ((long) data[tail + 13] & 0xff) << 40; // fall through
            case 13: k2 ^= ((long) data[tail + 12] & 0xff) << 32; // fall through
            case 12: k2 ^= ((long) data[tail + 11] & 0xff) << 24; // fall through
            case 11: k2 ^= ((long) data[tail + 10] & 0xff) << 16; // fall through
            case 10: k2 ^= ((long) data[tail + 9] & 0xff) << 8; // fall through
            case 9:
                k2 ^= ((long) data[tail + 8] & 0xff);
                h2 ^= mixK2(k2);
                // fall through
            case 8: k1 ^= ((long) data[tail + 7] & 0xff) << 56; // fall through
            case 7: k1 ^= ((long) data[tail + 6] & 0xff) << 48; // fall through
            case 6: k1 ^= ((long) data[tail + 5] & 0xff) << 40; // fall through
            case 5: k1 ^= ((long) data[tail + 4] & 0xff) << 32; // fall through
            case 4: k1 ^= ((long) data[tail + 3] & 0xff) << 24; // fall through
            case 3: k1 ^= ((long) data[tail + 2] & 0xff) << 16; // fall through
            case 2: k1 ^= ((long) data[tail + 1] & 0xff) << 8; // fall through
            case 1:
                k1 ^= ((long) data[tail] & 0xff);
                h1 ^= mixK1(k1);
                break;
            default:
                break;
        }
        return finish(h1, h2, len);
    }

    private static long[] finish(long h1, long h2, int len) {
        h1 ^= len;
        h2 ^= len;
        h1 += h2;
        h2 += h1;
        h1 = fmix(h1);
        h2 = fmix(h2);
        h1 += h2;
        h2 += h1;
        return new long[] {h1, h2};
    }

    private static long mixK1(long k1) {
        k1 *= C1;
        k1 = Long.rotateLeft(k1, 31);
        return k1 * C2;
    }

    private static long mixK2(long k2) {
        k2 *= C2;
        k2 = Long.rotateLeft(k2, 33);
        return k2 * C1;
    }

    private static long fmix(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }

    private static long getLong(byte[] b, int i) {
        return (b[i] & 0xffL) | (b[i + 1] & 0xffL) << 8 | (b[i + 2] & 0xffL) << 16 | (b[i + 3] & 0xffL) << 24
                | (b[i + 4] & 0xffL) << 32 | (b[i + 5] & 0xffL) << 40 | (b[i + 6] & 0xffL) << 48
                | (b[i + 7] & 0xffL) << 56;
    }
}
