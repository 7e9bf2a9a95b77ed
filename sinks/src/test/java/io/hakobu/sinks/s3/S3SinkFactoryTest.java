package io.hakobu.sinks.s3;

import static io.hakobu.sinks.s3.S3TestSupport.configMap;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.config.ConfigProblems;
import io.hakobu.core.pipeline.SinkFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** Parsing {@code type: s3}: defaults, every key, and problems named FILE:LINE: key: expected. */
class S3SinkFactoryTest {
    private final ConfigProblems problems = new ConfigProblems();

    private S3SinkConfig parse(Object... kv) {
        return new S3SinkFactory().parse(configMap(problems, kv));
    }

    private String text() {
        return String.join("\n", problems.all());
    }

    @Test
    void registeredThroughServiceLoader() {
        boolean found = false;
        for (SinkFactory<?> f : ServiceLoader.load(SinkFactory.class)) {
            found |= f.type().equals("s3");
        }
        assertTrue(found);
    }

    @Test
    void defaults() {
        S3SinkConfig c = parse("bucket", "logs");
        assertTrue(problems.isEmpty(), text());
        assertEquals("logs", c.bucket());
        assertNull(c.endpoint());
        assertEquals("{_SOURCE}/dt={date}/hour={hour}/host={_HOSTNAME}/{_SOURCE}", c.key().template());
        assertEquals(Compression.ZSTD, c.compression());
        assertEquals(3, c.compressionLevel());
        assertEquals("STANDARD", c.storageClass());
        assertEquals("crc32c", c.checksum());
        assertEquals(64L << 20, c.maxObjectBytes());
        assertEquals(Duration.ofMinutes(5), c.maxObjectAge());
        assertEquals(32L << 20, c.multipartThreshold());
        assertEquals(8L << 20, c.partBytes());
        assertNull(c.accessKeyId());
        assertNull(c.sse());
        assertTrue(c.manifest());
        assertTrue(!c.isLocal());
    }

    @Test
    void everyKey() {
        S3SinkConfig c = parse("bucket", "logs", "region", "eu-west-1", "endpoint", "http://127.0.0.1:9000",
                "force_path_style", "true", "access_key_id", "AK", "secret_access_key", "SK", "session_token", "T",
                "key", "archive/{host}/{date}/{app}", "compression", "gzip", "compression_level", "9",
                "storage_class", "DEEP_ARCHIVE", "server_side_encryption", "aws:kms", "kms_key_id", "arn:aws:kms:x",
                "checksum", "md5", "batch", Map.of("max_bytes", "16MiB", "timeout", "30s"), "max_open_objects", "8",
                "multipart_threshold", "16MiB", "part_size", "5MiB", "spool_dir", "spool", "spool_max_bytes", "2GiB",
                "manifest", "false", "close_timeout", "3s");
        assertTrue(problems.isEmpty(), text());
        assertEquals("eu-west-1", c.region());
        assertEquals("http://127.0.0.1:9000", c.endpoint().toString());
        assertTrue(c.forcePathStyle());
        assertEquals("T", c.sessionToken());
        assertEquals("archive/{_HOSTNAME}/{date}/{app}", c.key().template());
        assertEquals(Compression.GZIP, c.compression());
        assertEquals(9, c.compressionLevel());
        assertEquals("DEEP_ARCHIVE", c.storageClass());
        assertEquals("aws:kms", c.sse());
        assertEquals("arn:aws:kms:x", c.sseKmsKeyId());
        assertEquals(16L << 20, c.maxObjectBytes());
        assertEquals(Duration.ofSeconds(30), c.maxObjectAge());
        assertEquals(8, c.maxOpenObjects());
        assertEquals(Path.of("spool"), c.spoolDir());
        assertTrue(!c.manifest());
    }

    @Test
    void fileEndpointIsALocalDirectory() {
        S3SinkConfig c = parse("endpoint", "file:///var/archive");
        assertTrue(problems.isEmpty(), text());
        assertTrue(c.isLocal());
        assertEquals(Path.of("/var/archive"), c.localDir());
        assertEquals("/var/archive", c.destination());
    }

    @Test
    void problemsNameFileLineKeyAndWhatWasExpected() {
        assertNull(parse("compression", "lz4", "storage_class", "COLD", "key", "/abs/{source}",
                "kms_key_id", "k", "access_key_id", "AK", "part_size", "1MiB", "batch", Map.of("timeout", "0s"),
                "endpoint", "ftp://x", "buckt", "x"));
        String t = text();
        assertTrue(t.contains("hakobu.yaml:"), t);
        assertTrue(t.contains("sinks.archive.bucket: is required"), t);
        assertTrue(t.contains("sinks.archive.compression: expected one of zstd, gzip, none, got 'lz4'"), t);
        assertTrue(t.contains("sinks.archive.storage_class: expected one of"), t);
        assertTrue(t.contains("sinks.archive.key: must not start with '/'"), t);
        assertTrue(t.contains("sinks.archive.kms_key_id: needs server_side_encryption: aws:kms"), t);
        assertTrue(t.contains("sinks.archive.access_key_id: access_key_id and secret_access_key go together"), t);
        assertTrue(t.contains("sinks.archive.part_size: expected between 5MiB and 1GiB"), t);
        assertTrue(t.contains("sinks.archive.batch.timeout: expected a positive duration"), t);
        assertTrue(t.contains("sinks.archive.endpoint: expected an http://, https:// or file:/// URL"), t);
        assertTrue(t.contains("sinks.archive.buckt: unknown key (did you mean 'bucket'?)"), t);
    }

    @Test
    void aliasesExpand() {
        assertEquals("{_SOURCE}-{_HOSTNAME}/{sourcex}", S3SinkFactory.expandAliases("{source}-{host}/{sourcex}"));
    }
}
