package io.hakobu.daemon.source.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * What a file's first bytes say about its identity.
 *
 * <p>The <b>fingerprint</b> is the CRC32C of the first {@code min(fingerprint_bytes, size)} bytes,
 * with that length. It is checked against the same number of bytes, so a file that grows keeps
 * its fingerprint (and the fingerprint is extended, up to {@code fingerprint_bytes}, as it grows).
 * Device and inode are compared first, so two files with identical first bytes are still told apart;
 * the fingerprint catches a reused inode (a file deleted and another created with the same inode) and
 * a file rewritten in place (copytruncate followed by writes beyond the old read offset).
 *
 * <p>The <b>anchor</b> names a stream: the CRC32C of the bytes up to the end of the first line, at
 * most {@code limit} bytes. It is known as soon as the first line is complete (or {@code limit}
 * bytes exist), never changes afterwards in an append-only file, and so names the same stream
 * every time the same content is read again, even after the checkpoint forgot the file.
 */
final class Fingerprint {
    private Fingerprint() {
    }

    /** {@code len} bytes and their CRC32C; {@code len == 0} means none was taken yet. */
    record Value(int len, long crc) {
        static final Value NONE = new Value(0, 0);
    }

    /** Reads up to {@code max} bytes from offset 0. */
    static byte[] head(FileChannel ch, int max) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(max);
        while (b.hasRemaining()) {
            int n = ch.read(b, b.position());
            if (n <= 0) {
                break;
            }
        }
        byte[] out = new byte[b.position()];
        b.flip();
        b.get(out);
        return out;
    }

    static long crc(byte[] b, int len) {
        CRC32C c = new CRC32C();
        c.update(b, 0, len);
        return c.getValue();
    }

    /** Whether the file still starts with the bytes {@code fp} was taken from (true when fp is NONE). */
    static boolean matches(byte[] head, Value fp) {
        return fp.len() == 0 || (head.length >= fp.len() && crc(head, fp.len()) == fp.crc());
    }

    /** The fingerprint of a head read with {@code head(ch, fingerprintBytes)}. */
    static Value of(byte[] head) {
        return head.length == 0 ? Value.NONE : new Value(head.length, crc(head, head.length));
    }

    /** The anchor (8 hex digits) of a head read with {@code head(ch, limit)}, or null while the first line is incomplete. */
    static String anchor(byte[] head, int limit) {
        int end = -1;
        for (int i = 0; i < head.length && i < limit; i++) {
            if (head[i] == '\n') {
                end = i + 1;
                break;
            }
        }
        if (end < 0) {
            if (head.length < limit) {
                return null;
            }
            end = limit;
        }
        return String.format("%08x", crc(head, end));
    }
}
