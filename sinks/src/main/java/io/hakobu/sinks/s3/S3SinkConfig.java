package io.hakobu.sinks.s3;

import io.hakobu.sinks.file.PathTemplate;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Configuration of {@code type: s3} (SPEC §3); see {@link S3SinkFactory} for the keys and their
 * defaults.
 *
 * @param bucket the bucket (required for S3; ignored by the local store)
 * @param region the signing region
 * @param endpoint an S3-compatible endpoint ({@code http://127.0.0.1:9000}), or null for AWS
 * @param localDir set when {@code endpoint} is {@code file:///dir}: objects are written under
 *     {@code dir/<bucket>/} instead of to a server (the demo's archive)
 * @param forcePathStyle path-style addressing ({@code endpoint/bucket/key})
 * @param accessKeyId static credentials, or null for the SDK's default chain
 * @param secretAccessKey with {@code accessKeyId}
 * @param sessionToken optional, with static credentials
 * @param key the key template (without the suffix hakobu appends)
 * @param compression zstd | gzip | none
 * @param compressionLevel zstd 1..22, gzip 1..9
 * @param storageClass STANDARD, STANDARD_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE, … (sent as is)
 * @param sse null, {@code AES256} or {@code aws:kms}
 * @param sseKmsKeyId the KMS key with {@code aws:kms} (null: the bucket's default key)
 * @param checksum {@code crc32c} or {@code md5}
 * @param maxObjectBytes an object is sealed once its compressed size reaches this
 * @param maxObjectAge an object is sealed this long after its first entry was staged
 * @param maxOpenObjects most objects (partitions) filled at once; the least recently written is sealed beyond
 * @param multipartThreshold objects at least this large are uploaded in parts
 * @param partBytes the size of each part (at least 5 MiB)
 * @param spoolMaxBytes when sealed objects waiting for upload take this much local disk, writes wait
 * @param spoolDir where objects are staged (default {@code data_dir/s3/<sink id>})
 * @param manifest whether a {@code <key>.manifest.json} is written beside each object
 * @param closeTimeout how long close may spend uploading what is sealed at shutdown
 */
public record S3SinkConfig(String bucket, String region, URI endpoint, Path localDir, boolean forcePathStyle,
        String accessKeyId, String secretAccessKey, String sessionToken, PathTemplate key, Compression compression,
        int compressionLevel, String storageClass, String sse, String sseKmsKeyId, String checksum,
        long maxObjectBytes, Duration maxObjectAge, int maxOpenObjects, long multipartThreshold, long partBytes,
        long spoolMaxBytes, Path spoolDir, boolean manifest, Duration closeTimeout) {
    public S3SinkConfig {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(compression, "compression");
        Objects.requireNonNull(storageClass, "storageClass");
        Objects.requireNonNull(checksum, "checksum");
        Objects.requireNonNull(maxObjectAge, "maxObjectAge");
        Objects.requireNonNull(closeTimeout, "closeTimeout");
        if (partBytes < S3SinkFactory.MIN_PART_BYTES) {
            throw new IllegalArgumentException("partBytes < 5MiB");
        }
        if (maxOpenObjects < 1) {
            throw new IllegalArgumentException("maxOpenObjects < 1");
        }
    }

    /** True when objects go to a local directory rather than an S3 server. */
    public boolean isLocal() {
        return localDir != null;
    }

    /** Where the objects go, for logs: {@code s3://bucket} (with the endpoint) or the local directory. */
    public String destination() {
        if (isLocal()) {
            return localDir.resolve(bucket).toString();
        }
        return "s3://" + bucket + (endpoint == null ? "" : " at " + endpoint);
    }

    @Override
    public String toString() {
        return "S3SinkConfig[" + destination() + ", key=" + key + ", compression=" + compression.configName
                + ", storage_class=" + storageClass + ", credentials=" + (accessKeyId == null ? "default chain" : "static")
                + "]";
    }
}
