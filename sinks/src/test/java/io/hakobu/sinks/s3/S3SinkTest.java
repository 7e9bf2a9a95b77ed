package io.hakobu.sinks.s3;

import static io.hakobu.sinks.s3.S3TestSupport.T0;
import static io.hakobu.sinks.s3.S3TestSupport.await;
import static io.hakobu.sinks.s3.S3TestSupport.decompress;
import static io.hakobu.sinks.s3.S3TestSupport.entry;
import static io.hakobu.sinks.s3.S3TestSupport.get;
import static io.hakobu.sinks.s3.S3TestSupport.keys;
import static io.hakobu.sinks.s3.S3TestSupport.lines;
import static io.hakobu.sinks.s3.S3TestSupport.parse;
import static io.hakobu.sinks.s3.S3TestSupport.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hakobu.core.event.LogEntry;
import io.hakobu.core.pipeline.Batch;
import io.hakobu.core.pipeline.DeliveryStatus;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.sinks.TestSinkContext;
import io.hakobu.sinks.s3.S3TestSupport.RequestRecorder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * The s3 sink against a real S3Proxy on 127.0.0.1 (filesystem store, SigV4): keys, contents,
 * manifests, headers, multipart, age sealing, recovery after a simulated crash, an outage, and
 * permanent errors reported by reason.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class S3SinkTest {
    @TempDir
    static Path tmp;
    static S3ProxyServer server;
    static S3Client s3;
    private static int buckets;

    @TempDir
    Path dataDir;

    @BeforeAll
    static void startServer() throws Exception {
        server = new S3ProxyServer(tmp).start();
        s3 = S3TestSupport.client(server.uri());
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (s3 != null) {
            s3.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    private static String newBucket() {
        String b = "logs-" + (++buckets);
        s3.createBucket(r -> r.bucket(b));
        return b;
    }

    private Object[] base(String bucket, Object... more) {
        List<Object> kv = new ArrayList<>(List.of("bucket", bucket, "endpoint", server.uri().toString(),
                "force_path_style", "true", "region", "us-east-1",
                "access_key_id", S3ProxyServer.ACCESS_KEY, "secret_access_key", S3ProxyServer.SECRET_KEY));
        kv.addAll(List.of(more));
        return kv.toArray();
    }

    private S3Sink start(S3SinkConfig config, RequestRecorder recorder, TestSinkContext ctx) throws Exception {
        S3Sink sink = new S3Sink(ctx.id(), config, ctx.node(), ObjectStore.forConfig(config, recorder));
        sink.start(ctx);
        return sink;
    }

    private static DeliveryStatus write(S3Sink sink, Batch... batches) throws Exception {
        return sink.write(List.of(batches)).toCompletableFuture().join();
    }

    private static List<LogEntry> entries(String host, String source, long time, int from, int to) {
        List<LogEntry> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(entry(host, source, time + i, i));
        }
        return out;
    }

    /** Every entry in every object of the bucket, by __ID, with how often it was found; checks manifests too. */
    private static Map<String, Integer> readBucket(String bucket, List<JsonNode> allLines) throws IOException {
        Map<String, Integer> ids = new HashMap<>();
        for (String key : keys(s3, bucket)) {
            if (key.endsWith(S3Sink.MANIFEST_SUFFIX)) {
                continue;
            }
            byte[] body = get(s3, bucket, key);
            List<JsonNode> ls = lines(decompress(key, body));
            JsonNode manifest = S3TestSupport.JSON.readTree(get(s3, bucket, key + S3Sink.MANIFEST_SUFFIX));
            assertEquals(key, manifest.path("key").asText());
            assertEquals(ls.size(), manifest.path("entries").asLong(), key);
            assertEquals(body.length, manifest.path("compressed_bytes").asLong(), key);
            assertEquals(decompress(key, body).length, manifest.path("uncompressed_bytes").asLong(), key);
            CRC32C crc = new CRC32C();
            crc.update(body);
            assertEquals(Checksums.crcBase64(crc.getValue()), manifest.path("checksum").path("crc32c").asText(), key);
            assertEquals(ls.get(0).path("__ID").asText(), manifest.path("first_id").asText(), key);
            assertEquals(ls.get(ls.size() - 1).path("__ID").asText(), manifest.path("last_id").asText(), key);
            for (JsonNode l : ls) {
                ids.merge(l.path("__ID").asText(), 1, Integer::sum);
                allLines.add(l);
            }
        }
        return ids;
    }

    @Test
    void objectsLandUnderPartitionedKeysWithManifestsAndHeaders() throws Exception {
        String bucket = newBucket();
        RequestRecorder rec = new RequestRecorder();
        S3SinkConfig config = parse(base(bucket, "storage_class", "STANDARD_IA", "compression", "zstd"));
        TestSinkContext ctx = new TestSinkContext("archive", "s3", dataDir);
        S3Sink sink = start(config, rec, ctx);
        long hour22 = T0; // 2023-11-14T22:13:20Z
        long hour23 = T0 + 3_600_000_000L;
        assertEquals(DeliveryStatus.DELIVERED, write(sink,
                record(0, entries("web-01", "nginx", hour22, 0, 100)),
                record(1, entries("web-02", "nginx", hour22, 0, 50)),
                record(2, entries("web-01", "app", hour23, 0, 30))));
        assertEquals(DeliveryStatus.DELIVERED, write(sink, record(3, entries("web-01", "nginx", hour22, 100, 120))));
        assertEquals(3, ctx.gauge("objects_open"));
        sink.sealAllForTest();
        await("uploads", 60, () -> sink.pendingObjects() == 0);

        List<String> keys = keys(s3, bucket);
        assertEquals(6, keys.size(), keys.toString());
        Map<String, String> byPrefix = new HashMap<>();
        for (String k : keys) {
            if (!k.endsWith(S3Sink.MANIFEST_SUFFIX)) {
                byPrefix.put(k.substring(0, k.indexOf("-2023")), k);
                assertTrue(k.matches(".*-20231114T2[23]\\d{4}Z-[0-9a-f]{16}\\.ndjson\\.zst"), k);
            }
        }
        assertEquals(Set.of("nginx/dt=2023-11-14/hour=22/host=web-01/nginx", "nginx/dt=2023-11-14/hour=22/host=web-02/nginx",
                "app/dt=2023-11-14/hour=23/host=web-01/app"), byPrefix.keySet());

        String key = byPrefix.get("nginx/dt=2023-11-14/hour=22/host=web-01/nginx");
        byte[] body = get(s3, bucket, key);
        assertEquals(0x28, body[0] & 0xff); // zstd frame magic 28 b5 2f fd
        assertEquals(0xb5, body[1] & 0xff);
        List<JsonNode> ls = lines(decompress(key, body));
        assertEquals(120, ls.size());
        for (int i = 0; i < 120; i++) {
            assertEquals("line " + i + " from nginx@web-01", ls.get(i).path("MESSAGE").asText());
            assertEquals(T0 + i, ls.get(i).path("__REALTIME_TIMESTAMP").asLong());
        }
        JsonNode manifest = S3TestSupport.JSON.readTree(get(s3, bucket, key + S3Sink.MANIFEST_SUFFIX));
        assertEquals("web-01", manifest.path("host").asText());
        assertEquals("nginx", manifest.path("source").asText());
        assertEquals(120, manifest.path("entries").asLong());
        assertEquals(ls.get(0).path("__ID").asText(), manifest.path("first_id").asText());
        assertEquals(ls.get(119).path("__ID").asText(), manifest.path("last_id").asText());
        assertEquals("2023-11-14T22:13:20Z", manifest.path("first_time").asText());
        assertEquals("2023-11-14T22:13:20.000119Z", manifest.path("last_time").asText());
        assertEquals(body.length, manifest.path("compressed_bytes").asLong());
        assertEquals(decompress(key, body).length, manifest.path("uncompressed_bytes").asLong());
        CRC32C crc = new CRC32C();
        crc.update(body);
        String crcB64 = Checksums.crcBase64(crc.getValue());
        assertEquals(crcB64, manifest.path("checksum").path("crc32c").asText());
        assertEquals("STANDARD_IA", manifest.path("storage_class").asText());
        assertEquals(0, manifest.path("buffer_first_record").asLong());
        assertEquals(3, manifest.path("buffer_last_record").asLong());

        // the headers S3 saw: storage class, end-to-end CRC32C, content type
        RequestRecorder.Sent put = rec.snapshot().stream()
                .filter(s -> s.method().equals("PUT") && s.path().endsWith(key.substring(key.lastIndexOf('/') + 1)))
                .findFirst().orElseThrow();
        assertEquals("STANDARD_IA", put.header("x-amz-storage-class"));
        assertEquals(crcB64, put.header("x-amz-checksum-crc32c"));
        assertEquals("application/zstd", put.header("Content-Type"));
        assertEquals(crcB64, put.header("x-amz-meta-hakobu-crc32c"));
        HeadObjectResponse head = s3.headObject(h -> h.bucket(bucket).key(key));
        assertEquals(crcB64, head.metadata().get("hakobu-crc32c"));
        assertEquals("120", head.metadata().get("hakobu-entries"));

        assertEquals(3, ctx.count("objects_uploaded_total"));
        assertEquals(200, ctx.count("events_out_total"));
        assertEquals(200, ctx.count("events_staged_total"));
        sink.close();
        assertTrue(listSpool().isEmpty(), listSpool().toString());
    }

    private List<Path> listSpool() throws IOException {
        try (var s = Files.list(dataDir.resolve("s3").resolve("archive"))) {
            return s.toList();
        }
    }

    @Test
    void largeObjectsGoUpInPartsWithContentMd5() throws Exception {
        String bucket = newBucket();
        RequestRecorder rec = new RequestRecorder();
        S3SinkConfig config = parse(base(bucket, "compression", "none", "checksum", "md5", "part_size", "5MiB",
                "multipart_threshold", "5MiB"));
        TestSinkContext ctx = new TestSinkContext("archive", "s3", dataDir);
        S3Sink sink = start(config, rec, ctx);
        String pad = "x".repeat(900);
        int n = 0;
        for (int r = 0; r < 16; r++) {
            List<LogEntry> es = new ArrayList<>();
            for (int i = 0; i < 512; i++, n++) {
                es.add(entry("web-01", "nginx", T0 + n, n).add("pad", pad));
            }
            assertEquals(DeliveryStatus.DELIVERED, write(sink, record(r, es)));
        }
        sink.sealAllForTest();
        await("upload", 120, () -> sink.pendingObjects() == 0);
        List<String> keys = keys(s3, bucket);
        assertEquals(2, keys.size(), keys.toString());
        String key = keys.get(0);
        assertTrue(key.endsWith(".ndjson"), key);
        byte[] body = get(s3, bucket, key);
        assertTrue(body.length > (5 << 20) + 1, "object of " + body.length + " bytes");
        List<JsonNode> ls = lines(body);
        assertEquals(n, ls.size());
        assertEquals("line 8191 from nginx@web-01", ls.get(n - 1).path("MESSAGE").asText());

        List<RequestRecorder.Sent> parts = rec.snapshot().stream().filter(s -> s.path().contains("partNumber=")).toList();
        assertEquals(2, parts.size(), rec.snapshot().toString());
        for (RequestRecorder.Sent p : parts) {
            assertNotNull(p.header("Content-MD5"), p.toString());
        }
        assertTrue(rec.snapshot().stream().anyMatch(s -> s.method().equals("POST") && s.path().contains("uploads=")));
        assertTrue(s3.listMultipartUploads(l -> l.bucket(bucket)).uploads().isEmpty());
        assertEquals(1, ctx.gauge("multipart_uploads_total"));
        sink.close();
    }

    @Test
    void objectsAreSealedByAgeAndGzip() throws Exception {
        String bucket = newBucket();
        S3SinkConfig config = parse(base(bucket, "compression", "gzip", "batch", Map.of("timeout", "1s")));
        TestSinkContext ctx = new TestSinkContext("archive", "s3", dataDir);
        S3Sink sink = start(config, null, ctx);
        assertEquals(DeliveryStatus.DELIVERED, write(sink, record(7, entries("web-01", "nginx", T0, 0, 10))));
        assertEquals(DeliveryStatus.DELIVERED, write(sink, record(8, entries("web-01", "nginx", T0, 10, 20))));
        await("the object to age and upload", 30, () -> keys(s3, bucket).size() == 2);
        String key = keys(s3, bucket).get(0);
        assertTrue(key.endsWith(".ndjson.gz"), key);
        byte[] body = get(s3, bucket, key);
        assertEquals(0x1f, body[0] & 0xff);
        assertEquals(0x8b, body[1] & 0xff);
        List<JsonNode> ls = lines(decompress(key, body)); // two gzip members, one stream
        assertEquals(20, ls.size());
        assertEquals("line 19 from nginx@web-01", ls.get(19).path("MESSAGE").asText());
        sink.close();
    }

    @Test
    void afterACrashRedeliveredRecordsAndReReadLinesAreSkippedAndTornBytesCut() throws Exception {
        String bucket = newBucket();
        S3SinkConfig config = parse(base(bucket));
        TestSinkContext ctx1 = new TestSinkContext("archive", "s3", dataDir);
        S3Sink first = start(config, null, ctx1);
        for (int r = 0; r < 5; r++) {
            assertEquals(DeliveryStatus.DELIVERED, write(first, record(r, entries("web-01", "nginx", T0, r * 10, r * 10 + 10))));
        }
        first.crashForTest();
        // a write that was cut off: bytes after the committed length
        Path spool;
        try (var s = Files.list(dataDir.resolve("s3").resolve("archive"))) {
            spool = s.filter(p -> p.toString().endsWith(".obj")).findFirst().orElseThrow();
        }
        Files.write(spool, new byte[] {1, 2, 3, 4, 5}, java.nio.file.StandardOpenOption.APPEND);

        TestSinkContext ctx2 = new TestSinkContext("archive", "s3", dataDir);
        S3Sink second = start(config, null, ctx2);
        // the buffer's ledger lagged: records 3..4 come again, then new ones
        for (int r = 3; r < 8; r++) {
            assertEquals(DeliveryStatus.DELIVERED, write(second, record(r, entries("web-01", "nginx", T0, r * 10, r * 10 + 10))));
        }
        assertEquals(20, ctx2.count("events_deduplicated_total"));
        // the source's checkpoint lagged too: it reads lines 70..89 again, the buffer gives them new record numbers
        assertEquals(DeliveryStatus.DELIVERED, write(second, record(8, entries("web-01", "nginx", T0, 70, 90))));
        assertEquals(30, ctx2.count("events_deduplicated_total"));
        second.sealAllForTest();
        await("upload", 60, () -> second.pendingObjects() == 0);
        List<JsonNode> all = new ArrayList<>();
        Map<String, Integer> ids = readBucket(bucket, all);
        assertEquals(90, ids.size());
        assertTrue(ids.values().stream().allMatch(c -> c == 1), ids.toString());
        second.close();
    }

    @Test
    void aSealedObjectWhoseUploadWasCutIsUploadedAgainAfterRestart() throws Exception {
        String bucket = newBucket();
        // the first process cannot reach the server (nothing listens on that port)
        int deadPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        Object[] kv = base(bucket);
        kv[3] = "http://127.0.0.1:" + deadPort;
        TestSinkContext ctx1 = new TestSinkContext("archive", "s3", dataDir);
        S3Sink first = start(parse(kv), null, ctx1);
        assertEquals(DeliveryStatus.DELIVERED, write(first, record(0, entries("web-01", "nginx", T0, 0, 25))));
        first.sealAllForTest();
        await("an upload failure", 30, () -> ctx1.metrics().count("upload_errors_total", "reason", "connection") > 0);
        IOException refused = assertThrows(IOException.class,
                () -> write(first, record(1, entries("web-01", "nginx", T0, 25, 30))));
        assertTrue(refused.getMessage().contains("failing"), refused.getMessage());
        assertEquals(1, ctx1.gauge("upload_failing"));
        first.crashForTest();

        TestSinkContext ctx2 = new TestSinkContext("archive", "s3", dataDir);
        S3Sink second = start(parse(base(bucket)), null, ctx2);
        await("the sealed object's upload", 60, () -> second.pendingObjects() == 0);
        assertEquals(DeliveryStatus.DELIVERED, write(second, record(1, entries("web-01", "nginx", T0, 25, 30))));
        second.sealAllForTest();
        await("upload", 60, () -> second.pendingObjects() == 0);
        Map<String, Integer> ids = readBucket(bucket, new ArrayList<>());
        assertEquals(30, ids.size());
        assertTrue(ids.values().stream().allMatch(c -> c == 1));
        second.close();
    }

    @Test
    void serverStoppedForAWhileNothingLostAndDeliveryResumes() throws Exception {
        String bucket = newBucket();
        TestSinkContext ctx = new TestSinkContext("archive", "s3", dataDir);
        S3Sink sink = start(parse(base(bucket, "batch", Map.of("max_bytes", "2KiB"))), null, ctx);
        int n = 0;
        int record = 0;
        for (; record < 3; record++, n += 40) {
            assertEquals(DeliveryStatus.DELIVERED, write(sink, record(record, entries("web-01", "nginx", T0, n, n + 40))));
        }
        await("uploads before the outage", 60, () -> ctx.count("objects_uploaded_total") >= 1);
        server.stop();
        try {
            // keep writing, as the runner would: retry a refused write until it is taken
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            boolean refused = false;
            while (!refused && System.nanoTime() < deadline) {
                try {
                    write(sink, record(record, entries("web-01", "nginx", T0, n, n + 40)));
                    record++;
                    n += 40;
                } catch (IOException e) {
                    refused = true;
                    assertTrue(e.getMessage().contains("failing"), e.getMessage());
                }
            }
            assertTrue(refused, "writes are refused while the server is down");
            assertTrue(ctx.count("upload_retries_total") > 0);
        } finally {
            server.start();
        }
        long resumeDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (;;) {
            try {
                write(sink, record(record, entries("web-01", "nginx", T0, n, n + 40)));
                record++;
                n += 40;
                break;
            } catch (IOException e) {
                assertTrue(System.nanoTime() < resumeDeadline, "delivery did not resume: " + e.getMessage());
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // the runner's backoff
            }
        }
        sink.sealAllForTest();
        await("uploads after the outage", 90, () -> sink.pendingObjects() == 0);
        assertEquals(0, ctx.gauge("upload_failing"));
        Map<String, Integer> ids = readBucket(bucket, new ArrayList<>());
        assertEquals(n, ids.size());
        assertTrue(ids.values().stream().allMatch(c -> c == 1));
        sink.close();
    }

    @Test
    void permanentErrorsAreReportedByReason() throws Exception {
        TestSinkContext ctx = new TestSinkContext("archive", "s3", dataDir);
        S3Sink sink = start(parse(base("no-such-bucket-here")), null, ctx);
        assertEquals(DeliveryStatus.DELIVERED, write(sink, record(0, entries("web-01", "nginx", T0, 0, 5))));
        sink.sealAllForTest();
        await("no_such_bucket", 30, () -> ctx.metrics().count("upload_errors_total", "reason", "no_such_bucket") > 0);
        assertTrue(sink.lastUploadError().startsWith("no_such_bucket"), sink.lastUploadError());
        IOException e = assertThrows(IOException.class, () -> write(sink, record(1, entries("web-01", "nginx", T0, 5, 6))));
        assertTrue(e.getMessage().contains("no_such_bucket"), e.getMessage());
        sink.close();

        String bucket = newBucket();
        Object[] kv = base(bucket);
        kv[11] = "wrong-secret";
        S3SinkConfig bad = parse(kv);
        Exception denied = assertThrows(Exception.class,
                () -> new S3SinkFactory().checkOnline("archive", bad, new NodeInfo("n", dataDir)));
        assertTrue(denied.getMessage().contains(": credentials: "), denied.getMessage());
        assertEquals("credentials", S3Errors.reason(denied.getCause()), denied.toString());
        assertEquals("write access to s3://" + bucket + " at " + server.uri() + " ok",
                new S3SinkFactory().checkOnline("archive", parse(base(bucket)), new NodeInfo("n", dataDir)));
        assertTrue(keys(s3, bucket).isEmpty(), "the probe object is deleted");

        // S3Proxy does not implement server-side encryption: the header is sent, the 501 is reported
        RequestRecorder rec = new RequestRecorder();
        TestSinkContext sseCtx = new TestSinkContext("sse", "s3", dataDir);
        S3Sink sse = start(parse(base(bucket, "server_side_encryption", "AES256", "close_timeout", "1s")), rec, sseCtx);
        assertEquals(DeliveryStatus.DELIVERED, write(sse, record(0, entries("web-01", "nginx", T0, 0, 5))));
        sse.sealAllForTest();
        await("not_implemented", 30, () -> sseCtx.metrics().count("upload_errors_total", "reason", "not_implemented") > 0);
        assertTrue(rec.snapshot().stream().anyMatch(r -> r.method().equals("PUT")
                && "AES256".equals(r.header("x-amz-server-side-encryption"))), rec.snapshot().toString());
        sse.close();
    }

    @Test
    void localDirectoryStoreHasTheSameLayout() throws Exception {
        Path archive = dataDir.resolve("archive");
        S3SinkConfig config = parse("endpoint", archive.toUri().toString(), "compression", "none",
                "key", "dt={date}/hour={hour}/host={host}/{source}");
        TestSinkContext ctx = new TestSinkContext("archive", "s3", dataDir);
        S3Sink sink = start(config, null, ctx);
        assertEquals(DeliveryStatus.DELIVERED, write(sink, record(0, entries("web-01", "nginx", T0, 0, 10))));
        sink.close(); // seals and uploads what is open
        Path dir = archive.resolve("dt=2023-11-14/hour=22/host=web-01");
        List<Path> files;
        try (var s = Files.list(dir)) {
            files = s.sorted().toList();
        }
        assertEquals(2, files.size(), files.toString());
        assertTrue(files.get(0).getFileName().toString().matches("nginx-20231114T221320Z-[0-9a-f]{16}\\.ndjson"), files.toString());
        assertEquals(10, Files.readAllLines(files.get(0)).size());
        JsonNode manifest = S3TestSupport.JSON.readTree(files.get(1).toFile());
        assertEquals(10, manifest.path("entries").asLong());
        assertEquals(Files.size(files.get(0)), manifest.path("compressed_bytes").asLong());
        Set<String> seen = new HashSet<>();
        for (String l : Files.readAllLines(files.get(0))) {
            assertTrue(seen.add(S3TestSupport.JSON.readTree(l).path("__ID").asText()));
        }
        assertEquals("write access to " + archive + " ok",
                new S3SinkFactory().checkOnline("archive", config, new NodeInfo("n", dataDir)));
        assertFalse(Files.exists(archive.resolve("hakobu-check")), "the probe and its directory are removed");
    }
}
