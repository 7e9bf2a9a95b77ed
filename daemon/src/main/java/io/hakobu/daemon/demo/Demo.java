package io.hakobu.daemon.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hakobu.core.config.ConfigNode;
import io.hakobu.core.config.ConfigProblems;
import io.hakobu.daemon.Daemon;
import io.hakobu.daemon.config.ComponentRegistry;
import io.hakobu.daemon.config.ConfigParser;
import io.hakobu.daemon.config.HakobuConfig;
import io.hakobu.daemon.config.YamlConfigLoader;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.util.zip.GZIPInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * {@code hakobu demo}: a whole agent-to-archive run on one machine with no server. A writer thread
 * appends sample nginx LTSV and JSON application lines to two files while the agent role tails them
 * and forwards them over the native protocol on loopback to the aggregator role, which writes them
 * into an archive with the S3 sink pointed at a local directory: gzip'd NDJSON objects and their
 * manifests under {@code archive/dt=YYYY-MM-DD/hour=HH/host=<host>/<source>-<time>-<id>.ndjson.gz},
 * the keys an S3 bucket would get. Every line carries a sequence number; the summary counts what
 * was written, archived, lost and duplicated.
 */
public final class Demo {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final long lines;
    private final PrintStream out;

    public record Result(long written, long archived, long lost, long duplicated, double linesPerSecond) {
        public boolean ok() {
            return lost == 0 && duplicated == 0 && archived == written;
        }
    }

    public Demo(Path dir, long lines, PrintStream out) {
        this.dir = dir;
        this.lines = lines;
        this.out = out;
    }

    public Result run() throws Exception {
        Path logs = dir.resolve("logs");
        Path archive = dir.resolve("archive");
        Path state = dir.resolve("state");
        for (Path p : List.of(logs, archive, state)) {
            deleteTree(p);
            Files.createDirectories(p);
        }
        long appLines = lines * 3 / 10;
        long accessLines = lines - appLines;
        Path accessLog = logs.resolve("access.log");
        Path appLog = logs.resolve("app.log");
        Files.createFile(accessLog);
        Files.createFile(appLog);

        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort(); // a free port for the aggregator's listener
        }
        String yaml = String.join("\n",
                "# written by hakobu demo: the configuration it ran. One process plays both roles:",
                "# the agent (file sources -> hakobu sink) forwards over the native protocol on loopback",
                "# to the aggregator (hakobu source -> file sink), which acknowledges once the entries",
                "# are durable in its disk buffer.",
                "node:",
                "  data_dir: " + state,
                "  shutdown_grace: 30s",
                "sources:",
                "  # aggregator role",
                "  from_agents:",
                "    type: hakobu",
                "    listen: \"127.0.0.1:" + port + "\"",
                "  # agent role",
                "  nginx:",
                "    type: file",
                "    include: [\"" + accessLog + "\"]",
                "    format: ltsv",
                "    timestamp: {field: time, format: \"dd/MMM/yyyy:HH:mm:ss Z\"}",
                "  app:",
                "    type: file",
                "    include: [\"" + appLog + "\"]",
                "    format: json",
                "sinks:",
                "  # agent role: forward what the agent reads",
                "  forward:",
                "    type: hakobu",
                "    inputs: [nginx, app]",
                "    endpoints: [\"127.0.0.1:" + port + "\"]",
                "    compression: zstd",
                "  # aggregator role: archive what the agents send, with the S3 sink's own code writing",
                "  # to a local directory (endpoint: file:///...) instead of a bucket: the same keys,",
                "  # objects and manifests an S3 bucket would get",
                "  archive:",
                "    type: s3",
                "    inputs: [from_agents]",
                "    endpoint: \"" + archive.toAbsolutePath().toUri() + "\"",
                "    key: \"dt={date}/hour={hour}/host={host}/{source}\"",
                "    compression: gzip",
                "    batch: {max_bytes: 16MiB, timeout: 2s}",
                "    close_timeout: 30s",
                "");
        Path configFile = dir.resolve("hakobu-demo.yaml");
        Files.writeString(configFile, yaml);
        ConfigProblems problems = new ConfigProblems();
        ConfigNode root = new YamlConfigLoader().parse(configFile.toString(), new StringReader(yaml), problems);
        HakobuConfig cfg = root == null ? null : new ConfigParser(ComponentRegistry.load()).parse(root, problems);
        if (cfg == null) {
            throw new IllegalStateException("demo configuration is invalid:\n" + String.join("\n", problems.all()));
        }

        out.printf("hakobu demo: %,d lines (%,d nginx LTSV + %,d JSON app) in %s%n", lines, accessLines, appLines, dir);
        out.printf("  agent -> aggregator over the hakobu protocol on 127.0.0.1:%d (zstd, acknowledged when durable)%n", port);
        out.printf("  config:  %s%n  archive: %s%n", configFile, archive);
        Daemon daemon = new Daemon(cfg);
        AtomicLong written = new AtomicLong();
        long t0 = System.nanoTime();
        daemon.start();
        Thread writer = new Thread(() -> writeLogs(accessLog, appLog, accessLines, appLines, written), "demo-writer");
        writer.start();
        long deadline = System.nanoTime() + Math.max(120L, lines / 2_000L) * 1_000_000_000L;
        long archived = 0;
        long lastPrint = 0;
        long doneAt = 0;
        while (System.nanoTime() < deadline) {
            archived = daemon.metrics().component("archive", "s3").count("events_delivered_total");
            long now = System.nanoTime();
            if (now - lastPrint > 500_000_000L) {
                double secs = (now - t0) / 1e9;
                out.printf("  [%5.1fs] written %,d/%,d  archived %,d  (%,.0f lines/s)%n", secs, written.get(), lines,
                        archived, archived / Math.max(secs, 1e-3));
                lastPrint = now;
            }
            if (archived >= lines && !writer.isAlive()) {
                doneAt = now;
                break;
            }
            Thread.sleep(20); // progress display cadence, not a synchronisation
        }
        writer.join();
        if (doneAt == 0) {
            doneAt = System.nanoTime();
        }
        daemon.stop();
        double secs = (doneAt - t0) / 1e9;

        long framesSent = daemon.metrics().component("forward", "hakobu").count("frames_sent_total", "type", "batch");
        long acks = daemon.metrics().component("forward", "hakobu").count("acks_received_total");
        long wireBytes = daemon.metrics().component("forward", "hakobu").count("bytes_sent_total");
        long[] counts = countArchive(archive, accessLines, appLines);
        long unique = counts[0];
        long dups = counts[1];
        long total = counts[2];
        Result r = new Result(written.get(), total, lines - unique, dups, total / Math.max(secs, 1e-3));
        out.println();
        out.println("summary");
        out.printf("  lines written    %,d%n", r.written());
        out.printf("  lines archived   %,d%n", r.archived());
        out.printf("  lost             %,d%n", r.lost());
        out.printf("  duplicated       %,d%n", r.duplicated());
        out.printf("  throughput       %,.0f lines/s (%.2f s)%n", r.linesPerSecond(), secs);
        out.printf("  protocol         %,d batch frames, %,d acks, %,d bytes on the wire%n", framesSent, acks, wireBytes);
        out.println(r.ok() ? "  result           OK: every line archived exactly once" : "  result           FAILED");
        return r;
    }

    private void writeLogs(Path accessLog, Path appLog, long accessLines, long appLines, AtomicLong written) {
        SampleLogs gen = new SampleLogs(42);
        try (OutputStream a = new BufferedOutputStream(Files.newOutputStream(accessLog), 1 << 16);
             OutputStream j = new BufferedOutputStream(Files.newOutputStream(appLog), 1 << 16)) {
            long ai = 0;
            long ji = 0;
            while (ai < accessLines || ji < appLines) {
                // interleave about 7:3, flushing in small chunks so the tail follows a growing file
                for (int k = 0; k < 700 && ai < accessLines; k++) {
                    a.write((gen.accessLine(ai++) + "\n").getBytes(StandardCharsets.UTF_8));
                }
                for (int k = 0; k < 300 && ji < appLines; k++) {
                    j.write((gen.appLine(ji++) + "\n").getBytes(StandardCharsets.UTF_8));
                }
                a.flush();
                j.flush();
                written.set(ai + ji);
            }
        } catch (IOException e) {
            throw new IllegalStateException("demo writer failed: " + e, e);
        }
    }

    /** Returns {unique, duplicates, total} over the archive, by (source, seq). */
    static long[] countArchive(Path archive, long accessLines, long appLines) throws IOException {
        BitSet nginx = new BitSet((int) Math.min(accessLines, Integer.MAX_VALUE));
        BitSet app = new BitSet((int) Math.min(appLines, Integer.MAX_VALUE));
        long unique = 0;
        long dups = 0;
        long total = 0;
        List<Path> files;
        try (Stream<Path> s = Files.walk(archive)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            if (!name.endsWith(".ndjson") && !name.endsWith(".ndjson.gz")) {
                continue; // manifests
            }
            InputStream in = Files.newInputStream(f);
            if (name.endsWith(".gz")) {
                in = new GZIPInputStream(in, 1 << 16); // reads every gzip member of the object
            }
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
                String line;
                while ((line = r.readLine()) != null) {
                    total++;
                    JsonNode n = JSON.readTree(line);
                    String source = n.path("_SOURCE").asText();
                    int seq = n.path("seq").asInt(-1);
                    BitSet set = "nginx".equals(source) ? nginx : "app".equals(source) ? app : null;
                    if (set == null || seq < 0) {
                        continue;
                    }
                    if (set.get(seq)) {
                        dups++;
                    } else {
                        set.set(seq);
                        unique++;
                    }
                }
            }
        }
        return new long[] {unique, dups, total};
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
