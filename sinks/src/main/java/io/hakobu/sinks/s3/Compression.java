package io.hakobu.sinks.s3;

import com.github.luben.zstd.Zstd;
import io.hakobu.core.codec.ByteBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * How an object's NDJSON is compressed. Each {@link S3Sink#write} appends one compressed
 * <em>frame</em> per object it touches (a zstd frame, a gzip member); an object is the
 * concatenation of its frames, which {@code zstd -d}, {@code gzip -d}, Java's
 * {@code GZIPInputStream} and the usual query engines read as one stream.
 */
enum Compression {
    ZSTD("zstd", ".ndjson.zst", "application/zstd", 3),
    GZIP("gzip", ".ndjson.gz", "application/gzip", 6),
    NONE("none", ".ndjson", "application/x-ndjson", 0);

    final String configName;
    final String extension;
    final String contentType;
    final int defaultLevel;

    Compression(String configName, String extension, String contentType, int defaultLevel) {
        this.configName = configName;
        this.extension = extension;
        this.contentType = contentType;
        this.defaultLevel = defaultLevel;
    }

    static Compression of(String name) {
        for (Compression c : values()) {
            if (c.configName.equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException(name);
    }

    /** One frame holding {@code in}'s bytes; deterministic for a given input, level and library version. */
    byte[] frame(ByteBuilder in, int level) throws IOException {
        switch (this) {
            case ZSTD: {
                byte[] src = in.array();
                int n = in.length();
                byte[] dst = new byte[(int) Zstd.compressBound(n)];
                long written = Zstd.compressByteArray(dst, 0, dst.length, src, 0, n, level);
                if (Zstd.isError(written)) {
                    throw new IOException("zstd: " + Zstd.getErrorName(written));
                }
                return java.util.Arrays.copyOf(dst, (int) written);
            }
            case GZIP: {
                ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, in.length() / 4));
                try (GZIPOutputStream gz = new LeveledGzip(out, level)) {
                    gz.write(in.array(), 0, in.length());
                }
                return out.toByteArray();
            }
            case NONE:
                return in.toByteArray();
            default:
                throw new AssertionError(this);
        }
    }

    /** GZIPOutputStream with a chosen level (its deflater is protected). */
    private static final class LeveledGzip extends GZIPOutputStream {
        LeveledGzip(ByteArrayOutputStream out, int level) throws IOException {
            super(out, 64 * 1024);
            def.setLevel(level == 0 ? Deflater.DEFAULT_COMPRESSION : level);
        }
    }
}
