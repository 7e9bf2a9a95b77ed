package io.hakobu.sinks.s3;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * Where the s3 sink puts objects: an S3 bucket ({@link S3ObjectStore}) or, for the demo and
 * for tests without a server, a local directory laid out like the bucket ({@link LocalObjectStore}).
 * Both take the same keys, so the layout is the same.
 *
 * <p>Thread contract: called from the sink's uploader thread (and, for {@link #checkAccess}, from
 * {@code hakobu check --online}); implementations need not be thread-safe.
 */
interface ObjectStore extends AutoCloseable {

    /**
     * What to store with an object besides its bytes.
     *
     * @param contentType e.g. {@code application/zstd}
     * @param crc32c base64 of the big-endian CRC32C of the whole object
     * @param md5 base64 of the MD5 of the whole object
     * @param metadata user metadata ({@code x-amz-meta-*})
     */
    record ObjectInfo(String contentType, String crc32c, String md5, Map<String, String> metadata) {
    }

    /** Uploads the first {@code length} bytes of {@code file} as {@code key}, replacing what is there. */
    void put(String key, Path file, long length, ObjectInfo info) throws IOException;

    /** Stores a small object (a manifest). */
    void putBytes(String key, byte[] body, String contentType) throws IOException;

    /**
     * True when {@code key} already holds exactly this object (same length and the CRC32C hakobu
     * stored in its metadata), so that a re-upload after a crash can be skipped.
     */
    boolean holds(String key, long length, String crc32c) throws IOException;

    /** Aborts incomplete (multipart) uploads of exactly {@code key}; returns how many were aborted. */
    int abortIncomplete(String key) throws IOException;

    /** Writes and deletes a small probe object at {@code probeKey}: the credentials and bucket work. */
    void checkAccess(String probeKey) throws IOException;

    /** Counts multipart uploads made, for metrics. */
    default long multipartUploads() {
        return 0;
    }

    @Override
    void close();

    /**
     * The store a configuration names.
     *
     * @param interceptor an extra SDK interceptor (tests record the requests sent), or null
     */
    static ObjectStore forConfig(S3SinkConfig config, ExecutionInterceptor interceptor) {
        if (config.isLocal()) {
            return new LocalObjectStore(config.bucket().isEmpty() ? config.localDir() : config.localDir().resolve(config.bucket()));
        }
        return new S3ObjectStore(config, interceptor);
    }
}
