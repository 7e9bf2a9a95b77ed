package io.hakobu.daemon;

import static io.hakobu.daemon.DaemonTesting.awaitLog;
import static io.hakobu.daemon.DaemonTesting.freePort;
import static io.hakobu.daemon.DaemonTesting.httpGet;
import static io.hakobu.daemon.DaemonTesting.metricSum;
import static io.hakobu.daemon.NumberedLines.append;
import static io.hakobu.daemon.NumberedLines.lineCount;
import static io.hakobu.daemon.NumberedLines.tally;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hakobu.core.buffer.SegmentFile;
import io.hakobu.daemon.NumberedLines.Tally;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk buffer in real {@code hakobu run} processes (file source -> disk buffer -> file sink):
 * damage and recovery, a sink that is down, and a full disk. Every test numbers its input lines
 * and checks the output for loss and duplicates.
 *
 * <p>"The sink is down" is made real by pointing the file sink below a path whose parent is a
 * regular file: every write fails (ENOTDIR) until the test removes that file.
 */
class DiskBufferProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What follows {@code seq=N } in every input line. */
    private static final IntFunction<String> LINE = i -> "level=info msg=\"buffered line\" user=" + (i % 977);

    @TempDir
    Path dir;

    private Path in;
    private Path blocker;
    private Path out;
    private Path cfg;
    private Path log;
    private int port;

    private void configure(String buffer) throws IOException {
        configure(buffer, "");
    }

    /** {@code sourceExtra}: more keys of the file source, e.g. {@code ", batch_events: 64"}. */
    private void configure(String buffer, String sourceExtra) throws IOException {
        in = dir.resolve("in.log");
        blocker = dir.resolve("out");
        out = blocker.resolve("out.ndjson");
        cfg = dir.resolve("hakobu.yaml");
        log = dir.resolve("hakobu.log");
        port = freePort();
        Files.writeString(cfg, String.join("\n",
                "node: {name: buffer-test, data_dir: " + dir.resolve("state") + ", shutdown_grace: 2s}",
                "api: {listen: \"127.0.0.1:" + port + "\"}",
                "sources:",
                "  input: {type: file, include: [\"" + in + "\"], format: logfmt, poll_interval: 20ms" + sourceExtra + "}",
                "sinks:",
                "  out: {type: file, path: \"" + out + "\", encoding: ndjson, buffer: " + buffer + "}",
                ""));
        if (!Files.exists(in)) {
            Files.createFile(in);
        }
    }

    private void sinkDown() throws IOException {
        Files.deleteIfExists(blocker);
        Files.writeString(blocker, "not a directory\n");
    }

    private void sinkUp() throws IOException {
        Files.deleteIfExists(blocker);
    }

    private Path bufferDir() {
        return dir.resolve("state/buffer/out");
    }

    @Test
    void damageInTheMiddleAndATornTailAreReportedAndEverythingElseIsDelivered() throws Exception {
        // batches of 64 lines make records of about 10 KB, so every 64 KiB segment holds several
        // whatever the timing (with 1024-line batches a record is about 160 KB, and a segment held
        // several only when the writer happened to group them)
        configure("{type: disk, max_bytes: 64MiB, segment_bytes: 64KiB}", ", batch_events: 64");
        int lines = 20_000;
        sinkDown();
        append(in, 0, lines, LINE);
        try (HakobuProcess p = HakobuProcess.run(log, cfg)) {
            // the source is acknowledged by the buffer alone: its checkpoint reaches the end of the file
            long size = Files.size(in);
            Await.until(Duration.ofSeconds(60), "the source checkpoint at the end of the input",
                    () -> checkpointOffset() == size);
            p.kill(); // SIGKILL: the buffer is all there is
        }
        TreeMap<Long, Path> segments = segments();
        assertTrue(segments.size() >= 3, "several segments: " + segments.keySet());

        // damage one byte in the middle of a record in the middle of the fullest segment but the last
        Path first = null;
        SegmentFile.Scan before = null;
        for (var e : segments.headMap(segments.lastKey()).entrySet()) {
            SegmentFile.Scan sc = SegmentFile.scan(e.getValue(), e.getKey());
            if (before == null || sc.records().size() > before.records().size()) {
                before = sc;
                first = e.getValue();
            }
        }
        assertTrue(before.clean() && before.records().size() >= 3, "a segment with records on both sides of the damage: "
                + before.records().size() + " records in " + first);
        SegmentFile.RecordInfo victim = before.records().get(before.records().size() / 2);
        flipByte(first, victim.offset() + SegmentFile.FRAME_BYTES + victim.length() / 2);
        // and cut the last segment in the middle of its last record
        Path last = segments.lastEntry().getValue();
        SegmentFile.Scan lastScan = SegmentFile.scan(last, segments.lastKey());
        SegmentFile.RecordInfo cut = lastScan.records().get(lastScan.records().size() - 1);
        try (RandomAccessFile f = new RandomAccessFile(last.toFile(), "rw")) {
            f.setLength(cut.offset() + SegmentFile.FRAME_BYTES + cut.length() / 2);
        }
        int lostEntries = victim.entries() + cut.entries();

        // offline tools see both
        CommandResult verify = hakobu("buffer", "verify", "-c", cfg.toString());
        assertEquals(1, verify.exit(), verify.output());
        assertTrue(verify.output().contains("DAMAGED"), verify.output());
        assertTrue(verify.output().contains("torn tail"), verify.output());
        CommandResult list = hakobu("buffer", "list", "-c", cfg.toString());
        assertEquals(0, list.exit(), list.output());
        assertTrue(list.output().contains("missing_records=1"), list.output());
        Path dump = dir.resolve("dump.ndjson");
        CommandResult d = hakobu("buffer", "replay", "-c", cfg.toString(), "--to", dump.toString());
        assertEquals(0, d.exit(), d.output());
        assertEquals(lines - lostEntries, lineCount(dump), "replay writes every intact unacknowledged entry");

        // restart with the sink up: damage reported, everything else delivered exactly once
        sinkUp();
        try (HakobuProcess p = HakobuProcess.run(log, cfg)) {
            Await.until(Duration.ofSeconds(60), "delivery", () -> lineCount(out) >= lines - lostEntries);
            assertEquals(0, p.terminate(30));
        }
        Tally seen = tally(lines, out);
        assertEquals(0, seen.duplicates(), "duplicated");
        assertEquals(lostEntries, seen.lost(), "exactly the damaged record and the cut record are missing");
        String text = Files.readString(log);
        assertTrue(text.contains("event=buffer_damaged") && text.contains("lost_records=1"), "damage is logged");
        assertTrue(text.contains("torn tail"), "the torn tail is logged");

        CommandResult after = hakobu("buffer", "verify", "-c", cfg.toString());
        assertEquals(0, after.exit(), after.output());
        assertTrue(after.output().contains("1 quarantined segment(s)"), after.output());
        Path salvaged = dir.resolve("salvaged.ndjson");
        CommandResult r = hakobu("buffer", "replay", "--quarantined", "-c", cfg.toString(), "--to", salvaged.toString());
        assertEquals(0, r.exit(), r.output());
        // the salvaged entries are the damaged record's (some may be cut short by the damage)
        try (Stream<String> s = Files.lines(salvaged)) {
            for (String line : s.toList()) {
                JsonNode n = JSON.readTree(line);
                assertTrue(n.path("_BUFFER_SALVAGED").asBoolean(), line);
                int seq = n.path("seq").asInt(-1);
                assertTrue(seq >= 0 && seen.times(seq) == 0, "salvaged entries are among the lost ones: " + seq);
            }
        }
    }

    @Test
    void aSinkThatIsDownFillsTheBufferPausesTheSourceAndEverythingDrainsLater() throws Exception {
        configure("{type: disk, max_bytes: 256KiB, segment_bytes: 32KiB}");
        int lines = 30_000;
        sinkDown();
        append(in, 0, lines, LINE);
        try (HakobuProcess p = HakobuProcess.run(log, cfg)) {
            Await.until(Duration.ofSeconds(60), "the buffer to fill",
                    () -> metricSum(port, "hakobu_buffer_disk_bytes") > 128 * 1024);
            long size = Files.size(in);
            // the source is paused well before the end of its file: lag, not loss
            long stuck = checkpointOffset();
            Await.until(Duration.ofSeconds(30), "the checkpoint to stop moving", () -> {
                long a = checkpointOffset();
                long t0 = System.nanoTime();
                while (System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(600)) {
                    Thread.onSpinWait();
                }
                return checkpointOffset() == a;
            });
            assertTrue(checkpointOffset() < size / 2, "paused at " + checkpointOffset() + " of " + size + " (was " + stuck + ")");
            assertTrue(metricSum(port, "hakobu_buffer_disk_bytes") <= 256 * 1024, "max_bytes holds");
            assertEquals(0, metricSum(port, "hakobu_events_dropped_total"), "nothing dropped");
            assertTrue(metricSum(port, "hakobu_retries_total") > 0, "the sink is being retried");

            sinkUp();
            Await.until(Duration.ofSeconds(90), "everything to drain", () -> lineCount(out) >= lines);
            assertEquals(0, p.terminate(30));
        }
        tally(lines, out).assertExactlyOnce("output");
    }

    @Test
    void aFullDiskPausesLikeBlockAndRecoversWithoutLoss() throws Exception {
        Path mount = dir.resolve("state/buffer");
        Files.createDirectories(mount);
        Process m = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount.toString())
                .redirectErrorStream(true).start();
        boolean mounted = m.waitFor(10, TimeUnit.SECONDS) && m.exitValue() == 0;
        Assumptions.assumeTrue(mounted, "needs permission to mount a small tmpfs (root or CAP_SYS_ADMIN)");
        try {
            // max_bytes far above what the filesystem holds: ENOSPC comes first
            configure("{type: disk, max_bytes: 64MiB, segment_bytes: 64KiB}");
            int lines = 30_000;
            sinkDown();
            append(in, 0, lines, LINE);
            try (HakobuProcess p = HakobuProcess.run(log, cfg)) {
                Await.until(Duration.ofSeconds(60), "the disk to fill",
                        () -> metricSum(port, "hakobu_buffer_write_errors_total") > 0);
                HttpResponse<String> health = httpGet(port, "/health");
                assertEquals(503, health.statusCode(), health.body());
                assertTrue(health.body().contains("disk full"), health.body());
                assertTrue(checkpointOffset() < Files.size(in), "the source is paused, not dropping");

                sinkUp();
                Await.until(Duration.ofSeconds(90), "everything to drain", () -> lineCount(out) >= lines);
                Await.until(Duration.ofSeconds(30), "health to recover", () -> {
                    try {
                        return httpGet(port, "/health").statusCode() == 200;
                    } catch (Exception e) {
                        return false;
                    }
                });
                assertEquals(0, p.terminate(30));
            }
            tally(lines, out).assertExactlyOnce("output");
            String text = Files.readString(log);
            assertTrue(text.contains("reason=disk_full"), "ENOSPC is logged as such");
            assertTrue(text.contains("event=buffer_write_recovered"), "recovery is logged");
        } finally {
            new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aBufferWhoseSinkIsGoneIsReportedAndStillReachable() throws Exception {
        configure("{type: disk}");
        sinkDown();
        append(in, 0, 3000, LINE);
        try (HakobuProcess p = HakobuProcess.run(log, cfg)) {
            long size = Files.size(in);
            Await.until(Duration.ofSeconds(60), "the buffer to hold the input", () -> checkpointOffset() == size);
            assertEquals(0, p.terminate(30));
        }
        // the operator renames the sink: the old buffer would be forgotten silently
        Files.writeString(cfg, Files.readString(cfg).replace("  out: {type: file", "  renamed: {type: file"));
        try (HakobuProcess p = HakobuProcess.run(log, cfg)) {
            awaitLog(Duration.ofSeconds(30), log, "event=buffer_orphaned");
            assertEquals(0, p.terminate(30));
        }
        assertTrue(Files.readString(log).contains("unacked_events=3000"), Files.readString(log));
        Path replay = dir.resolve("orphan.ndjson");
        CommandResult r = hakobu("buffer", "replay", "-c", cfg.toString(), "--sink", "out", "--to", replay.toString());
        assertEquals(0, r.exit(), r.output());
        assertEquals(3000, lineCount(replay));
    }

    // ---- helpers -----------------------------------------------------------------------------

    record CommandResult(int exit, String output) { }

    private CommandResult hakobu(String... args) throws Exception {
        Path o = Files.createTempFile(dir, "cmd", ".txt");
        int exit = HakobuProcess.exec(o, args);
        return new CommandResult(exit, Files.readString(o));
    }

    private long checkpointOffset() {
        Path cp = dir.resolve("state/checkpoints/source-input.json");
        try {
            JsonNode files = JSON.readTree(cp.toFile()).path("state").path("files");
            long max = -1;
            for (JsonNode f : files) {
                max = Math.max(max, f.path("offset").asLong(-1));
            }
            return max;
        } catch (IOException e) {
            return -1;
        }
    }

    private TreeMap<Long, Path> segments() throws IOException {
        TreeMap<Long, Path> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(bufferDir())) {
            for (Path p : s.toList()) {
                long base = SegmentFile.baseOf(p.getFileName().toString());
                if (base >= 0) {
                    m.put(base, p);
                }
            }
        }
        return m;
    }

    private static void flipByte(Path file, long at) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            int old = f.read();
            f.seek(at);
            f.write(old ^ 0x5a);
        }
    }
}
