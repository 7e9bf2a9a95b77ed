package io.hakobu.sinks.s3;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.zip.CRC32C;

/** CRC32C and MD5 as S3 headers want them: base64 of the big-endian value / digest. */
final class Checksums {
    private Checksums() {
    }

    static String crc32cBase64(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return crcBase64(c.getValue());
    }

    static String crcBase64(long value) {
        byte[] be = {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
        return Base64.getEncoder().encodeToString(be);
    }

    static String md5Base64(byte[] b, int off, int len) {
        MessageDigest md = md5();
        md.update(b, off, len);
        return Base64.getEncoder().encodeToString(md.digest());
    }

    static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code [crc32c, md5]} (base64) of the first {@code length} bytes of {@code file}, read in 1 MiB chunks. */
    static String[] ofFile(Path file, long length) throws IOException {
        CRC32C crc = new CRC32C();
        MessageDigest md = md5();
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long pos = 0;
            while (pos < length) {
                buf.clear();
                buf.limit((int) Math.min(buf.capacity(), length - pos));
                int n = ch.read(buf, pos);
                if (n < 0) {
                    throw new IOException(file + " ended at " + pos + " bytes, expected " + length);
                }
                crc.update(buf.array(), 0, n);
                md.update(buf.array(), 0, n);
                pos += n;
            }
        }
        return new String[] {crcBase64(crc.getValue()), Base64.getEncoder().encodeToString(md.digest())};
    }
}
