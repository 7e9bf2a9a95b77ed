package io.hakobu.sinks.s3;

import io.hakobu.core.config.ConfigMap;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Sink;
import io.hakobu.core.pipeline.SinkFactory;
import io.hakobu.sinks.file.PathTemplate;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import software.amazon.awssdk.services.s3.model.StorageClass;

/**
 * {@code type: s3}: archives entries as compressed NDJSON objects, exactly once across crashes
 * (see {@link S3Sink}). Keys:
 * <pre>
 * bucket: logs                       # required (optional with a file:// endpoint)
 * region: us-east-1                  # default: $AWS_REGION, $AWS_DEFAULT_REGION, else us-east-1
 * endpoint: http://127.0.0.1:9000    # optional: an S3-compatible server; file:///dir = a local directory
 * force_path_style: false
 * access_key_id: ${AWS_ACCESS_KEY_ID}        # optional, with secret_access_key; default: the SDK's chain
 * secret_access_key: ${AWS_SECRET_ACCESS_KEY}
 * session_token: …                   # optional
 * key: "{source}/dt={date}/hour={hour}/host={host}/{source}"   # hakobu appends -&lt;start&gt;-&lt;id&gt;.ndjson.zst
 * compression: zstd                  # zstd | gzip | none
 * compression_level: 3               # zstd 1..19 (default 3), gzip 1..9 (default 6)
 * storage_class: STANDARD            # STANDARD | STANDARD_IA | GLACIER_IR | GLACIER | DEEP_ARCHIVE | …
 * server_side_encryption: AES256     # optional: AES256 | aws:kms
 * kms_key_id: arn:…                  # optional, with aws:kms
 * checksum: crc32c                   # crc32c | md5
 * batch: {max_bytes: 64MiB, timeout: 5m}     # seal an object at this compressed size, or this long after its first entry
 * max_open_objects: 64
 * multipart_threshold: 32MiB
 * part_size: 8MiB
 * spool_dir: s3/&lt;id&gt;                 # relative to node.data_dir
 * spool_max_bytes: 1GiB
 * manifest: true
 * close_timeout: 10s
 * </pre>
 */
public final class S3SinkFactory implements SinkFactory<S3SinkConfig> {
    static final String DEFAULT_KEY = "{source}/dt={date}/hour={hour}/host={host}/{source}";
    static final long MIN_PART_BYTES = 5L << 20;
    static final long DEFAULT_MAX_OBJECT_BYTES = 64L << 20;
    static final Duration DEFAULT_MAX_OBJECT_AGE = Duration.ofMinutes(5);
    static final int DEFAULT_MAX_OPEN_OBJECTS = 64;
    static final long DEFAULT_MULTIPART_THRESHOLD = 32L << 20;
    static final long DEFAULT_PART_BYTES = 8L << 20;
    static final long DEFAULT_SPOOL_MAX_BYTES = 1L << 30;
    static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(10);

    @Override
    public String type() {
        return "s3";
    }

    @Override
    public String description() {
        return "archives entries to S3 (or a compatible store, or a local directory) as compressed NDJSON objects"
                + " under partitioned keys, with a manifest each, exactly-once across crashes";
    }

    @Override
    public S3SinkConfig parse(ConfigMap cfg) {
        String endpointText = cfg.string("endpoint", null);
        URI endpoint = null;
        Path localDir = null;
        if (endpointText != null) {
            try {
                URI u = new URI(endpointText);
                if ("file".equals(u.getScheme())) {
                    if (u.getPath() == null || u.getPath().isEmpty()) {
                        cfg.problem("endpoint", "expected file:///absolute/dir, got '" + endpointText + "'");
                    } else {
                        localDir = Path.of(u.getPath());
                    }
                } else if ("http".equals(u.getScheme()) || "https".equals(u.getScheme())) {
                    if (u.getHost() == null) {
                        cfg.problem("endpoint", "expected a URL such as http://127.0.0.1:9000, got '" + endpointText + "'");
                    }
                    endpoint = u;
                } else {
                    cfg.problem("endpoint", "expected an http://, https:// or file:/// URL, got '" + endpointText + "'");
                }
            } catch (URISyntaxException e) {
                cfg.problem("endpoint", "expected a URL such as http://127.0.0.1:9000, got '" + endpointText + "'");
            }
        }
        String bucket = localDir != null ? cfg.string("bucket", "") : cfg.requiredString("bucket");
        if (bucket != null && !bucket.isEmpty() && !bucket.matches("[a-z0-9][a-z0-9.\\-_]{1,254}")) {
            cfg.problem("bucket", "expected a bucket name (lower-case letters, digits, '.', '-'), got '" + bucket + "'");
        }
        String region = cfg.string("region", defaultRegion());
        boolean pathStyle = cfg.bool("force_path_style", false);
        String accessKey = emptyToNull(cfg.string("access_key_id", null));
        String secretKey = emptyToNull(cfg.string("secret_access_key", null));
        String sessionToken = emptyToNull(cfg.string("session_token", null));
        if ((accessKey == null) != (secretKey == null)) {
            cfg.problem(accessKey == null ? "secret_access_key" : "access_key_id",
                    "access_key_id and secret_access_key go together (leave both out for the SDK's default credentials)");
        }
        if (sessionToken != null && accessKey == null) {
            cfg.problem("session_token", "needs access_key_id and secret_access_key");
        }
        PathTemplate key = parseKey(cfg);
        Compression compression = Compression.of(cfg.oneOf("compression", "zstd", "zstd", "gzip", "none"));
        int level = compression.defaultLevel;
        if (compression == Compression.ZSTD) {
            level = (int) cfg.integer("compression_level", level, 1, 19);
        } else if (compression == Compression.GZIP) {
            level = (int) cfg.integer("compression_level", level, 1, 9);
        } else {
            cfg.accept("compression_level");
        }
        Set<String> classes = new TreeSet<>();
        for (StorageClass c : StorageClass.knownValues()) {
            classes.add(c.toString());
        }
        String storageClass = cfg.oneOf("storage_class", "STANDARD", classes.toArray(new String[0]));
        String sse = cfg.oneOf("server_side_encryption", null, "AES256", "aws:kms");
        String kmsKeyId = emptyToNull(cfg.string("kms_key_id", null));
        if (kmsKeyId != null && !"aws:kms".equals(sse)) {
            cfg.problem("kms_key_id", "needs server_side_encryption: aws:kms");
        }
        String checksum = cfg.oneOf("checksum", "crc32c", "crc32c", "md5");
        ConfigMap batch = cfg.map("batch");
        long maxBytes = batch.size("max_bytes", DEFAULT_MAX_OBJECT_BYTES);
        if (maxBytes < 1024) {
            batch.problem("max_bytes", "expected at least 1KiB, got " + maxBytes + " bytes");
            maxBytes = DEFAULT_MAX_OBJECT_BYTES;
        }
        Duration timeout = batch.duration("timeout", DEFAULT_MAX_OBJECT_AGE);
        if (timeout.isZero() || timeout.isNegative()) {
            batch.problem("timeout", "expected a positive duration, got " + timeout);
            timeout = DEFAULT_MAX_OBJECT_AGE;
        }
        batch.finish();
        int maxOpen = (int) cfg.integer("max_open_objects", DEFAULT_MAX_OPEN_OBJECTS, 1, 4096);
        long threshold = cfg.size("multipart_threshold", DEFAULT_MULTIPART_THRESHOLD);
        long partBytes = cfg.size("part_size", DEFAULT_PART_BYTES);
        if (partBytes < MIN_PART_BYTES || partBytes > (1L << 30)) {
            cfg.problem("part_size", "expected between 5MiB and 1GiB (S3's smallest part is 5 MiB), got " + partBytes + " bytes");
            partBytes = DEFAULT_PART_BYTES;
        }
        if (threshold < partBytes) {
            cfg.problem("multipart_threshold", "expected at least part_size (" + partBytes + " bytes), got " + threshold + " bytes");
            threshold = Math.max(DEFAULT_MULTIPART_THRESHOLD, partBytes);
        }
        String spoolDir = cfg.string("spool_dir", null);
        long spoolMax = cfg.size("spool_max_bytes", DEFAULT_SPOOL_MAX_BYTES);
        if (spoolMax < maxBytes) {
            cfg.problem("spool_max_bytes", "expected at least batch.max_bytes (" + maxBytes + " bytes), got " + spoolMax + " bytes");
            spoolMax = Math.max(DEFAULT_SPOOL_MAX_BYTES, maxBytes);
        }
        boolean manifest = cfg.bool("manifest", true);
        Duration closeTimeout = cfg.duration("close_timeout", DEFAULT_CLOSE_TIMEOUT);
        cfg.finish();
        if (key == null || bucket == null) {
            return null;
        }
        return new S3SinkConfig(bucket, region, endpoint, localDir, pathStyle, accessKey, secretKey, sessionToken, key,
                compression, level, storageClass, sse, kmsKeyId, checksum, maxBytes, timeout, maxOpen, threshold,
                partBytes, spoolMax, spoolDir == null ? null : Path.of(spoolDir), manifest, closeTimeout);
    }

    private static PathTemplate parseKey(ConfigMap cfg) {
        String raw = cfg.string("key", DEFAULT_KEY);
        if (raw.startsWith("/")) {
            cfg.problem("key", "must not start with '/' (S3 keys are relative to the bucket), got '" + raw + "'");
            return null;
        }
        try {
            return PathTemplate.parse(expandAliases(raw));
        } catch (IllegalArgumentException e) {
            cfg.problem("key", e.getMessage());
            return null;
        }
    }

    /** {@code {source}} and {@code {host}} stand for the fields {@code _SOURCE} and {@code _HOSTNAME}. */
    static String expandAliases(String template) {
        return template.replace("{source}", "{_SOURCE}").replace("{host}", "{_HOSTNAME}");
    }

    private static String defaultRegion() {
        for (String v : new String[] {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
            String r = System.getenv(v);
            if (r != null && !r.isBlank()) {
                return r.trim().toLowerCase(Locale.ROOT);
            }
        }
        return "us-east-1";
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    @Override
    public Sink create(String id, S3SinkConfig config, NodeInfo node) {
        return new S3Sink(id, config, node, ObjectStore.forConfig(config, null));
    }

    /**
     * {@code hakobu check --online}: asks the store whether the bucket can be written (a small
     * probe object is written and deleted) and returns a line describing the outcome.
     *
     * @throws Exception describing what failed (e.g. access denied, no such bucket)
     */
    @Override
    public String checkOnline(String id, S3SinkConfig config, NodeInfo node) throws Exception {
        try (ObjectStore store = ObjectStore.forConfig(config, null)) {
            store.checkAccess("hakobu-check/" + node.name() + "-" + id);
            return "write access to " + config.destination() + " ok";
        } catch (RuntimeException | java.io.IOException e) {
            String reason = S3Errors.reason(e);
            String hint = S3Errors.hint(reason);
            throw new java.io.IOException(config.destination() + ": " + reason + ": " + S3Errors.describe(e)
                    + (hint.isEmpty() ? "" : " (" + hint + ")"), e);
        }
    }
}
