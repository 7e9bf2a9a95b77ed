package io.hakobu.sinks.s3;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdInputStream;
import io.hakobu.core.config.ConfigMap;
import io.hakobu.core.config.ConfigNode;
import io.hakobu.core.config.ConfigProblems;
import io.hakobu.core.event.EntryId;
import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import io.hakobu.core.pipeline.Batch;
import io.hakobu.core.pipeline.BatchAck;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.zip.GZIPInputStream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Entries, configurations and bucket reading shared by the s3 sink tests. */
final class S3TestSupport {
    static final ObjectMapper JSON = new ObjectMapper();
    /** 2023-11-14T22:13:20Z in microseconds. */
    static final long T0 = 1_700_000_000_000_000L;

    private S3TestSupport() {
    }

    /** A journald-style entry as a file source would make it, with a real {@code __ID}. */
    static LogEntry entry(String host, String source, long timeMicros, int n) {
        String stream = "file:" + host + ":" + source; // one stream per host and source, positions = n
        return new LogEntry()
                .add(Fields.MESSAGE, "line " + n + " from " + source + "@" + host)
                .add("n", (long) n)
                .add(Fields.HOSTNAME, host)
                .add(Fields.SOURCE, source)
                .add(Fields.REALTIME_TIMESTAMP, timeMicros)
                .add(Fields.ID, new EntryId(host, source, stream).of(n))
                .origin(stream, n);
    }

    /** A batch as a disk buffer hands it out: holding buffer record {@code record}. */
    static Batch record(long record, List<LogEntry> entries) {
        long bytes = 0;
        for (LogEntry e : entries) {
            bytes += e.sizeEstimate();
        }
        return new Batch(entries.get(0).getString(Fields.SOURCE), entries, bytes, BatchAck.none(), record, record);
    }

    /** A sink config map from key, value pairs; a value that is a Map becomes a nested map. */
    static ConfigMap configMap(ConfigProblems problems, Object... keyValues) {
        return new ConfigMap(node("sinks.archive", 10, keyValues), problems);
    }

    private static ConfigNode node(String path, int line, Object... keyValues) {
        Map<String, ConfigNode> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            String k = (String) keyValues[i];
            Object v = keyValues[i + 1];
            if (v instanceof Map<?, ?> map) {
                List<Object> kv = new ArrayList<>();
                map.forEach((a, b) -> {
                    kv.add(a);
                    kv.add(b);
                });
                m.put(k, node(path + "." + k, line + i + 1, kv.toArray()));
            } else {
                m.put(k, ConfigNode.scalar("hakobu.yaml", line + i + 1, path + "." + k, String.valueOf(v)));
            }
        }
        return ConfigNode.map("hakobu.yaml", line, path, m);
    }

    static S3SinkConfig parse(Object... keyValues) {
        ConfigProblems problems = new ConfigProblems();
        S3SinkConfig c = new S3SinkFactory().parse(configMap(problems, keyValues));
        assertTrue(problems.isEmpty(), String.join("\n", problems.all()));
        return c;
    }

    static S3Client client(URI endpoint) {
        return S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))
                .build();
    }

    /** Every key in the bucket, sorted. */
    static List<String> keys(S3Client s3, String bucket) {
        List<String> out = new ArrayList<>();
        for (S3Object o : s3.listObjectsV2Paginator(r -> r.bucket(bucket)).contents()) {
            out.add(o.key());
        }
        Collections.sort(out);
        return out;
    }

    static byte[] get(S3Client s3, String bucket, String key) {
        return s3.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asByteArray();
    }

    static byte[] decompress(String key, byte[] body) throws IOException {
        InputStream in = new ByteArrayInputStream(body);
        if (key.endsWith(".zst")) {
            in = new ZstdInputStream(in);
        } else if (key.endsWith(".gz")) {
            in = new GZIPInputStream(in);
        }
        try (InputStream i = in) {
            return i.readAllBytes();
        }
    }

    /** The NDJSON lines of an object, parsed. */
    static List<JsonNode> lines(byte[] ndjson) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : new String(ndjson, StandardCharsets.UTF_8).split("\n")) {
            if (!line.isEmpty()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    /** Polls {@code condition} until it holds or the deadline passes. */
    static void await(String what, long timeoutSeconds, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeoutSeconds + " s waiting for " + what);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /** Records every HTTP request the SDK sends (after signing): method, path with query, headers. */
    static final class RequestRecorder implements ExecutionInterceptor {
        record Sent(String method, String path, Map<String, List<String>> headers) {
            String header(String name) {
                for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                    if (e.getKey().equalsIgnoreCase(name)) {
                        return e.getValue().get(0);
                    }
                }
                return null;
            }
        }

        final List<Sent> sent = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            SdkHttpRequest r = context.httpRequest();
            StringBuilder path = new StringBuilder(r.encodedPath());
            if (!r.rawQueryParameters().isEmpty()) {
                path.append('?');
                r.rawQueryParameters().forEach((k, v) -> path.append(k).append('=').append(v.isEmpty() ? "" : v.get(0)).append('&'));
            }
            sent.add(new Sent(r.method().name(), path.toString(), r.headers()));
        }

        List<Sent> snapshot() {
            synchronized (sent) {
                return new ArrayList<>(sent);
            }
        }
    }
}
