package io.hakobu.daemon;

import static io.hakobu.daemon.DaemonTesting.freePort;
import static io.hakobu.daemon.DaemonTesting.httpGet;
import static io.hakobu.daemon.DaemonTesting.linesContaining;
import static io.hakobu.daemon.DaemonTesting.read;
import static io.hakobu.daemon.NumberedLines.append;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hakobu.daemon.NumberedLines.Tally;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The s3 sink in real {@code hakobu run} processes (file source -> disk buffer -> s3 sink) against
 * a real S3Proxy in its own JVM: SIGKILL several times while objects (multipart, two parts each)
 * are being staged and uploaded, restart, and then the bucket holds every line exactly once, and
 * no multipart upload is left incomplete.
 *
 * <p>S3Proxy runs without authentication here so that the test reads the bucket with plain HTTP
 * (the daemon's test class path has no AWS SDK to compile against); the sink still signs.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class S3CrashTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern KEY = Pattern.compile("<Key>([^<]+)</Key>");
    private static final Pattern UPLOAD = Pattern.compile("<Upload>");
    private static final Pattern NEXT = Pattern.compile("<NextContinuationToken>([^<]+)</NextContinuationToken>");
    private static final String BUCKET = "crash";

    @TempDir
    Path dir;

    private Process s3proxy;
    private int s3port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void stopProxy() throws InterruptedException {
        if (s3proxy != null) {
            s3proxy.destroy();
            if (!s3proxy.waitFor(20, TimeUnit.SECONDS)) {
                s3proxy.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
            }
        }
    }

    /** The S3Proxy jar-with-dependencies: the sinks module's build fetches it into the local Maven repository. */
    static Path s3proxyJar() throws IOException {
        String p = System.getProperty("s3proxy.jar");
        if (p != null) {
            return Path.of(p);
        }
        String repo = System.getProperty("maven.repo.local", Path.of(System.getProperty("user.home"), ".m2", "repository").toString());
        Path jar = Path.of(repo, "org/gaul/s3proxy/4.1.0/s3proxy-4.1.0-jar-with-dependencies.jar");
        if (Files.isRegularFile(jar)) {
            return jar;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("..", "sinks"), "target*")) {
            for (Path t : ds) {
                Path j = t.resolve("s3proxy/s3proxy.jar");
                if (Files.isRegularFile(j)) {
                    return j;
                }
            }
        }
        throw new IOException("S3Proxy jar not found (run the sinks module's build first): " + jar);
    }

    private void startProxy() throws Exception {
        s3port = freePort();
        Path blobs = Files.createDirectories(dir.resolve("blobs"));
        Path props = dir.resolve("s3proxy.conf");
        Files.writeString(props, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + s3port,
                "s3proxy.authorization=none",
                "s3proxy.ignore-unknown-headers=true",
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + blobs,
                ""));
        s3proxy = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx192m",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", s3proxyJar().toString(), "--properties",
                props.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
        Await.until(Duration.ofSeconds(90), "S3Proxy listening", () -> {
            if (!s3proxy.isAlive()) {
                throw new AssertionError("S3Proxy exited: " + read(dir.resolve("s3proxy.log")));
            }
            try (Socket so = new Socket()) {
                so.connect(new InetSocketAddress("127.0.0.1", s3port), 200);
                return true;
            } catch (IOException e) {
                return false;
            }
        });
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/" + BUCKET)).PUT(HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
    }

    private URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + s3port + pathAndQuery);
    }

    private String get(String pathAndQuery) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(pathAndQuery)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), pathAndQuery + ": " + r.body());
        return r.body();
    }

    private List<String> keys() throws IOException, InterruptedException {
        return keys(BUCKET);
    }

    private List<String> keys(String bucket) throws IOException, InterruptedException {
        List<String> keys = new ArrayList<>();
        String token = null;
        for (;;) {
            String body = get("/" + bucket + "?list-type=2" + (token == null ? ""
                    : "&continuation-token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)));
            Matcher m = KEY.matcher(body);
            while (m.find()) {
                keys.add(m.group(1).replace("&amp;", "&"));
            }
            Matcher n = NEXT.matcher(body);
            if (!n.find()) {
                return keys;
            }
            token = n.group(1);
        }
    }

    private static String path(String key) {
        return path(BUCKET, key);
    }

    private static String path(String bucket, String key) {
        StringBuilder sb = new StringBuilder("/" + bucket);
        for (String seg : key.split("/")) {
            sb.append('/').append(URLEncoder.encode(seg, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return sb.toString();
    }

    /** Entries in the bucket according to the manifests. */
    private long manifestEntries() {
        return manifestEntries(BUCKET);
    }

    private long manifestEntries(String bucket) {
        try {
            long n = 0;
            for (String k : keys(bucket)) {
                if (k.endsWith(".manifest.json")) {
                    n += JSON.readTree(get(path(bucket, k))).path("entries").asLong();
                }
            }
            return n;
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    private static void appendLines(Path in, int from, int n) throws IOException {
        append(in, from, n, i -> "level=info method=GET path=/api/items/" + (i % 9973) + " status=200 msg=\"archived line\"");
    }

    @Test
    void sigkillDuringUploadsLeavesEveryLineInTheBucketExactlyOnce() throws Exception {
        startProxy();
        Path in = dir.resolve("in.log");
        Path cfg = dir.resolve("hakobu.yaml");
        Path log = dir.resolve("hakobu.log");
        int lines = 120_000;
        Files.writeString(cfg, String.join("\n",
                "node: {name: s3-crash, data_dir: " + dir.resolve("state") + ", shutdown_grace: 5s}",
                "sources:",
                "  nginx: {type: file, include: [\"" + in + "\"], format: logfmt, poll_interval: 20ms}",
                "sinks:",
                "  archive:",
                "    type: s3",
                "    bucket: " + BUCKET,
                "    endpoint: http://127.0.0.1:" + s3port,
                "    force_path_style: true",
                "    access_key_id: test",
                "    secret_access_key: test-secret",
                "    compression: none",
                "    batch: {max_bytes: 6MiB, timeout: 2s}",
                "    multipart_threshold: 5MiB",
                "    part_size: 5MiB",
                "    close_timeout: 30s",
                "    buffer: {type: disk, max_bytes: 512MiB, segment_bytes: 4MiB}",
                ""));
        // lines arrive in five parts, one before each run: every run stages while it uploads
        int part = lines / 5;
        appendLines(in, 0, part);

        // hakobu check --online reaches the bucket; a missing bucket fails it with the reason
        Path checkLog = dir.resolve("check.log");
        assertEquals(0, HakobuProcess.exec(checkLog, "check", "--online", "-c", cfg.toString()), () -> read(checkLog));
        assertTrue(read(checkLog).contains("sinks.archive: online: write access to s3://" + BUCKET), read(checkLog));
        Path badCfg = dir.resolve("bad.yaml");
        Files.writeString(badCfg, Files.readString(cfg).replace("bucket: " + BUCKET, "bucket: no-such-bucket"));
        Path badLog = dir.resolve("check-bad.log");
        assertEquals(1, HakobuProcess.exec(badLog, "check", "--online", "-c", badCfg.toString()), () -> read(badLog));
        assertTrue(read(badLog).contains("sinks.archive: online: FAILED: ") && read(badLog).contains("NoSuchBucket"),
                read(badLog));

        int kills = 0;
        for (int round = 0; round < 4; round++) {
            if (round > 0) {
                appendLines(in, round * part, part);
            }
            long uploadedBefore = linesContaining(log, "event=uploaded");
            try (HakobuProcess p = HakobuProcess.run(log, cfg)) {
                // kill while objects are staged and uploaded: after at least one more upload, at a random moment
                Await.until(Duration.ofSeconds(120), "an upload in round " + round,
                        () -> linesContaining(log, "event=uploaded") > uploadedBefore || !p.process().isAlive());
                assertTrue(p.process().isAlive(), "hakobu exited: " + read(log));
                long jitter = ThreadLocalRandom.current().nextLong(0, 400);
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(jitter);
                Await.until(Duration.ofSeconds(5), "the random kill moment", () -> System.nanoTime() >= until);
                p.kill();
                kills++;
            }
        }
        assertEquals(4, kills);

        // the last run finishes: every line reaches the bucket, then a graceful stop
        appendLines(in, 4 * part, lines - 4 * part);
        long startsBefore = linesContaining(log, "event=started node=");
        try (HakobuProcess p = HakobuProcess.run(log, cfg)) {
            // (the killed runs may have uploaded everything already: SIGTERM only once it runs)
            Await.until(Duration.ofSeconds(60), "the last run started",
                    () -> linesContaining(log, "event=started node=") > startsBefore);
            Await.until(Duration.ofSeconds(180), "every line in the bucket", () -> manifestEntries() >= lines);
            assertEquals(0, p.terminate(60), read(log));
        }

        Tally seen = new Tally(lines);
        int objects = 0;
        for (String k : keys()) {
            if (k.endsWith(".manifest.json")) {
                continue;
            }
            objects++;
            assertTrue(k.matches("nginx/dt=\\d{4}-\\d\\d-\\d\\d/hour=\\d\\d/host=s3-crash/nginx-\\d{8}T\\d{6}Z-[0-9a-f]{16}\\.ndjson"), k);
            HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(uri(path(k))).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, r.statusCode());
            seen.read(r.body());
        }
        seen.assertExactlyOnce("bucket");
        assertTrue(objects >= 5, "objects: " + objects);
        String uploads = get("/" + BUCKET + "?uploads");
        assertTrue(!UPLOAD.matcher(uploads).find(), "incomplete multipart uploads remain: " + uploads);
        System.out.println("S3CrashTest: kills=" + kills + " objects=" + objects + " multipart_aborted_logged="
                + linesContaining(log, "event=multipart_aborted") + " spool_bytes_cut_logged="
                + linesContaining(log, "uncommitted_bytes_removed") + " already_present_logged="
                + linesContaining(log, "already_present=true"));
    }

    @Test
    void aMissingBucketIsReportedAndNothingIsLostOnceItExists() throws Exception {
        startProxy();
        Path in = dir.resolve("in.log");
        Path cfg = dir.resolve("hakobu.yaml");
        Path log = dir.resolve("hakobu.log");
        int apiPort = freePort();
        String bucket = "late";
        int lines = 5_000;
        Files.writeString(cfg, String.join("\n",
                "node: {name: s3-late, data_dir: " + dir.resolve("state") + ", shutdown_grace: 5s}",
                "api: {listen: \"127.0.0.1:" + apiPort + "\"}",
                "sources:",
                "  app: {type: file, include: [\"" + in + "\"], format: logfmt, poll_interval: 20ms}",
                "sinks:",
                "  archive: {type: s3, bucket: " + bucket + ", endpoint: \"http://127.0.0.1:" + s3port + "\","
                        + " force_path_style: true, access_key_id: test, secret_access_key: test-secret, compression: gzip,"
                        + " batch: {max_bytes: 64KiB, timeout: 1s}}",
                ""));
        IntFunction<String> waiting = i -> "level=warn msg=\"waiting for the bucket\"";
        append(in, 0, lines, waiting);
        try (HakobuProcess p = HakobuProcess.run(log, cfg)) {
            // the first objects are staged, their upload fails: logged with the reason
            Await.until(Duration.ofSeconds(90), "the upload failure in the log",
                    () -> read(log).contains("event=upload_failed reason=no_such_bucket"));
            // new lines are refused by the sink, which keeps running and says why in /status
            int more = 500;
            lines = append(in, lines, more, waiting);
            Await.until(Duration.ofSeconds(90), "last_error naming the missing bucket in /status", () -> {
                try {
                    JsonNode st = JSON.readTree(httpGet(apiPort, "/status").body());
                    for (JsonNode c : st.path("components")) {
                        if (c.path("id").asText().contains("archive") && c.path("state").asText().equals("running")
                                && c.path("last_error").asText().contains("no_such_bucket")) {
                            return true;
                        }
                    }
                    return false;
                } catch (IOException | InterruptedException e) {
                    return false;
                }
            });
            String metrics = httpGet(apiPort, "/metrics").body();
            assertTrue(metrics.contains("hakobu_upload_errors_total{component_id=\"archive\",component_type=\"s3\","
                    + "reason=\"no_such_bucket\"}"), metrics);
            HttpResponse<String> health = httpGet(apiPort, "/health");
            assertEquals(503, health.statusCode(), health.body());
            assertTrue(health.body().contains("degraded") && health.body().contains("no_such_bucket"), health.body());

            // the operator creates the bucket: delivery resumes by itself, nothing lost
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/" + bucket))
                    .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            int total = lines;
            Await.until(Duration.ofSeconds(120), "every line in the bucket", () -> manifestEntries(bucket) >= total);
            assertEquals(0, p.terminate(60), read(log));
        }
        Tally seen = new Tally(lines);
        for (String k : keys(bucket)) {
            if (k.endsWith(".manifest.json")) {
                continue;
            }
            HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(uri(path(bucket, k))).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            seen.read(new GZIPInputStream(r.body()));
        }
        seen.assertExactlyOnce("bucket " + bucket);
    }
}
