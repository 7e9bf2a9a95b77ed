package io.hakobu.sinks.s3;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * An S3 bucket through the AWS SDK v2 synchronous client (Apache HttpClient 5; no CRT). Objects
 * below {@code multipart_threshold} go up in one PutObject; larger ones in parts of
 * {@code part_size}, read from the spool file one part at a time (so memory stays at one part).
 *
 * <p>Every upload carries the end-to-end checksum chosen in {@code checksum}: with {@code crc32c}
 * the object's (or each part's) CRC32C in {@code x-amz-checksum-crc32c}, computed by hakobu from
 * the spool file, which S3 verifies ({@code BadDigest} on mismatch); with {@code md5},
 * {@code Content-MD5}. The object's CRC32C is also stored as user metadata
 * {@code x-amz-meta-hakobu-crc32c}, which {@link #holds} compares.
 *
 * <p>The SDK's own retries are kept (its default: 4 attempts per call); the sink's uploader retries
 * without limit above them.
 */
final class S3ObjectStore implements ObjectStore {
    private final S3SinkConfig config;
    private final S3Client client;
    private final AtomicLong multipartUploads = new AtomicLong();

    S3ObjectStore(S3SinkConfig config, ExecutionInterceptor interceptor) {
        this.config = config;
        S3ClientBuilder b = S3Client.builder()
                .region(Region.of(config.region()))
                .forcePathStyle(config.forcePathStyle())
                .credentialsProvider(credentials(config))
                .httpClientBuilder(Apache5HttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofSeconds(60))
                        .maxConnections(4))
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                // checksums are computed by hakobu and sent explicitly (see put)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .overrideConfiguration(o -> {
                    o.apiCallAttemptTimeout(Duration.ofMinutes(5));
                    if (interceptor != null) {
                        o.addExecutionInterceptor(interceptor);
                    }
                });
        if (config.endpoint() != null) {
            b.endpointOverride(config.endpoint());
        }
        this.client = b.build();
    }

    private static AwsCredentialsProvider credentials(S3SinkConfig c) {
        if (c.accessKeyId() == null) {
            return DefaultCredentialsProvider.builder().build();
        }
        return StaticCredentialsProvider.create(c.sessionToken() == null
                ? AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey())
                : AwsSessionCredentials.create(c.accessKeyId(), c.secretAccessKey(), c.sessionToken()));
    }

    private boolean crc32c() {
        return "crc32c".equals(config.checksum());
    }

    @Override
    public void put(String key, Path file, long length, ObjectInfo info) throws IOException {
        if (length >= config.multipartThreshold()) {
            putMultipart(key, file, length, info);
            return;
        }
        PutObjectRequest.Builder b = PutObjectRequest.builder()
                .bucket(config.bucket())
                .key(key)
                .contentType(info.contentType())
                .contentLength(length)
                .storageClass(config.storageClass())
                .metadata(info.metadata());
        encryption(b);
        if (crc32c()) {
            b.checksumAlgorithm(ChecksumAlgorithm.CRC32_C).checksumCRC32C(info.crc32c());
        } else {
            b.contentMD5(info.md5());
        }
        // the spool file of a sealed object is exactly the object (see S3Sink.seal)
        client.putObject(b.build(), RequestBody.fromFile(file));
    }

    private void encryption(PutObjectRequest.Builder b) {
        if (config.sse() != null) {
            b.serverSideEncryption(ServerSideEncryption.fromValue(config.sse()));
            if (config.sseKmsKeyId() != null) {
                b.ssekmsKeyId(config.sseKmsKeyId());
            }
        }
    }

    private void putMultipart(String key, Path file, long length, ObjectInfo info) throws IOException {
        CreateMultipartUploadRequest.Builder create = CreateMultipartUploadRequest.builder()
                .bucket(config.bucket())
                .key(key)
                .contentType(info.contentType())
                .storageClass(config.storageClass())
                .metadata(info.metadata());
        if (config.sse() != null) {
            create.serverSideEncryption(ServerSideEncryption.fromValue(config.sse()));
            if (config.sseKmsKeyId() != null) {
                create.ssekmsKeyId(config.sseKmsKeyId());
            }
        }
        if (crc32c()) {
            create.checksumAlgorithm(ChecksumAlgorithm.CRC32_C);
        }
        String uploadId = client.createMultipartUpload(create.build()).uploadId();
        multipartUploads.incrementAndGet();
        boolean completed = false;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            List<CompletedPart> parts = new ArrayList<>();
            byte[] buf = new byte[(int) Math.min(config.partBytes(), length)];
            long pos = 0;
            int number = 1;
            while (pos < length) {
                int n = (int) Math.min(buf.length, length - pos);
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                while (bb.hasRemaining()) {
                    if (ch.read(bb, pos + bb.position()) < 0) {
                        throw new IOException(file + " ended before " + length + " bytes");
                    }
                }
                UploadPartRequest.Builder part = UploadPartRequest.builder()
                        .bucket(config.bucket()).key(key).uploadId(uploadId).partNumber(number).contentLength((long) n);
                String partCrc = null;
                if (crc32c()) {
                    partCrc = Checksums.crc32cBase64(buf, 0, n);
                    part.checksumAlgorithm(ChecksumAlgorithm.CRC32_C).checksumCRC32C(partCrc);
                } else {
                    part.contentMD5(Checksums.md5Base64(buf, 0, n));
                }
                UploadPartResponse r = client.uploadPart(part.build(), RequestBody.fromBytes(n == buf.length ? buf
                        : java.util.Arrays.copyOf(buf, n)));
                parts.add(CompletedPart.builder().partNumber(number).eTag(r.eTag()).checksumCRC32C(partCrc).build());
                pos += n;
                number++;
            }
            client.completeMultipartUpload(c -> c.bucket(config.bucket()).key(key).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(parts)));
            completed = true;
        } finally {
            if (!completed) {
                try {
                    client.abortMultipartUpload(a -> a.bucket(config.bucket()).key(key).uploadId(uploadId));
                } catch (RuntimeException e) {
                    // the next start, or a retry, aborts it (see abortIncomplete)
                }
            }
        }
    }

    @Override
    public void putBytes(String key, byte[] body, String contentType) {
        // no storage_class: manifests stay STANDARD, readable while their objects sleep in Glacier
        PutObjectRequest.Builder b = PutObjectRequest.builder()
                .bucket(config.bucket())
                .key(key)
                .contentType(contentType);
        encryption(b);
        if (crc32c()) {
            b.checksumAlgorithm(ChecksumAlgorithm.CRC32_C).checksumCRC32C(Checksums.crc32cBase64(body, 0, body.length));
        } else {
            b.contentMD5(Checksums.md5Base64(body, 0, body.length));
        }
        client.putObject(b.build(), RequestBody.fromBytes(body));
    }

    @Override
    public boolean holds(String key, long length, String crc32c) {
        HeadObjectResponse head;
        try {
            head = client.headObject(h -> h.bucket(config.bucket()).key(key));
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
        return head.contentLength() != null && head.contentLength() == length
                && crc32c.equals(head.metadata().get(S3Sink.META_CRC32C));
    }

    @Override
    public int abortIncomplete(String key) {
        int aborted = 0;
        String keyMarker = null;
        String uploadIdMarker = null;
        for (;;) {
            String km = keyMarker;
            String um = uploadIdMarker;
            ListMultipartUploadsResponse r = client.listMultipartUploads(l -> l.bucket(config.bucket()).prefix(key)
                    .keyMarker(km).uploadIdMarker(um));
            for (MultipartUpload u : r.uploads()) {
                if (key.equals(u.key())) {
                    client.abortMultipartUpload(a -> a.bucket(config.bucket()).key(key).uploadId(u.uploadId()));
                    aborted++;
                }
            }
            if (!Boolean.TRUE.equals(r.isTruncated())) {
                return aborted;
            }
            keyMarker = r.nextKeyMarker();
            uploadIdMarker = r.nextUploadIdMarker();
        }
    }

    @Override
    public void checkAccess(String probeKey) {
        // PutObject rather than HeadBucket first: its error body names the problem (NoSuchBucket,
        // SignatureDoesNotMatch, AccessDenied); a HEAD response has no body
        putBytes(probeKey, new byte[0], "application/octet-stream");
        client.deleteObject(d -> d.bucket(config.bucket()).key(probeKey));
    }

    @Override
    public long multipartUploads() {
        return multipartUploads.get();
    }

    @Override
    public void close() {
        client.close();
    }

    @Override
    public String toString() {
        return config.destination();
    }
}
