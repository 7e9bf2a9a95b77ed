package io.hakobu.sinks.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hakobu.core.pipeline.Batch;
import io.hakobu.core.pipeline.DeliveryStatus;
import io.hakobu.sinks.TestSinkContext;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once across a real SIGKILL: a child JVM ({@link SigkillChild}) writes through a file
 * sink without pause and is killed with {@link Process#destroyForcibly()} (SIGKILL on Linux),
 * somewhere inside a write, an fsync or a checkpoint save. Each round the next child plays the
 * restarted source: it resends from a position up to 500 entries before the last one acknowledged
 * (a source checkpoint that lagged). At the end every sequence number is in its file exactly once,
 * in order, and every line is whole.
 */
class FileSinkSigkillTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyEntryExactlyOnceAfterRepeatedSigkills() throws Exception {
        Path data = dir.resolve("data");
        Path out = dir.resolve("out");
        Random random = new Random(7);
        long acked = 0;
        for (int round = 0; round < 10; round++) {
            long resendFrom = Math.max(1, acked - random.nextInt(500));
            acked = Math.max(acked, runAndKill(data, out, resendFrom, acked + 200 + random.nextInt(2_000)));
        }
        // the last restart: recover, resend from a lagging position, finish cleanly
        long last = acked + 100;
        FileSink sink = SigkillChild.sink(data, out);
        sink.start(new TestSinkContext("files", "file", data));
        List<Batch> batches = SigkillChild.batches(Math.max(1, acked - 300), last);
        assertEquals(DeliveryStatus.DELIVERED, sink.write(batches).toCompletableFuture().join());
        sink.close();

        for (int h = 0; h < SigkillChild.HOSTS; h++) {
            List<String> lines = Files.readAllLines(out.resolve("h" + h + ".ndjson"), StandardCharsets.UTF_8);
            long expected = h == 0 ? SigkillChild.HOSTS : h;
            for (String line : lines) {
                assertEquals(expected, JSON.readTree(line).get("seq").asLong(), "file h" + h);
                expected += SigkillChild.HOSTS;
            }
            assertTrue(expected > last, "file h" + h + " ends at " + (expected - SigkillChild.HOSTS) + " of " + last);
        }
    }

    /** Starts a child sending from {@code from}, kills it once it acknowledged {@code killAfter}; returns its last ack. */
    private long runAndKill(Path data, Path out, long from, long killAfter) throws Exception {
        Path stderr = dir.resolve("child-" + from + ".err");
        Process child = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                SigkillChild.class.getName(), data.toString(), out.toString(), Long.toString(from))
                .redirectError(stderr.toFile())
                .start();
        long lastAck = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lastAck = Long.parseLong(line.substring("acked ".length()));
                if (lastAck >= killAfter) {
                    child.destroyForcibly(); // SIGKILL, while it is busy with the next write
                    break;
                }
            }
            child.waitFor();
        } finally {
            child.destroyForcibly();
        }
        assertTrue(lastAck >= killAfter, () -> "child died early: " + readQuietly(stderr));
        return lastAck;
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return e.toString();
        }
    }
}
