package io.hakobu.daemon;

import static io.hakobu.daemon.NumberedLines.awaitMoreLinesThan;
import static io.hakobu.daemon.NumberedLines.lineCount;
import static io.hakobu.daemon.NumberedLines.tally;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hakobu run} (file source -> file sink, ndjson) tails a file that a writer thread keeps
 * appending to and rotates (rename to {@code in.log.<k>}, create a new {@code in.log}) every
 * {@value #ROTATE_EVERY} lines, while the process is killed with SIGKILL {@value #KILLS} times
 * and restarted. In the end every line is in the output exactly once: rotated files are finished
 * from their checkpoint (also those rotated while the process was down), and the file sink skips
 * what a restarted source reads again.
 *
 * <p>The writer rotates a file only once the source's checkpoint knows it (its device and inode are
 * in {@code source-input.json}; the source saves that as soon as it opens a file). A file created
 * and rotated away entirely while hakobu is down is never seen by anyone; that is the one case no
 * tailer can cover, and the README says so.
 */
class RotatingCrashTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LINES = 60_000;
    private static final int ROTATE_EVERY = 5_000;
    private static final int KILLS = 4;
    private static final int LINES_PER_SECOND = 6_000;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // the log and files stay for a post-mortem
    Path dir;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void sigkillWhileTheFileRotatesLosesAndDuplicatesNothing() throws Exception {
        Path logs = dir.resolve("logs");
        Files.createDirectories(logs);
        Path in = logs.resolve("in.log");
        Path out = dir.resolve("out/out.ndjson");
        Path cfg = dir.resolve("hakobu.yaml");
        Path checkpoint = dir.resolve("state/checkpoints/source-input.json");
        Files.writeString(cfg, String.join("\n",
                "node: {name: rotating-crash-test, data_dir: " + dir.resolve("state") + "}",
                "sources:",
                "  input: {type: file, include: [\"" + in + "\"], format: logfmt, poll_interval: 20ms, glob_interval: 200ms,",
                "          rotate_wait: 1s}",
                "sinks:",
                "  out: {type: file, path: \"" + out + "\", encoding: ndjson}",
                ""));
        Path log = dir.resolve("hakobu.log");
        AtomicInteger written = new AtomicInteger();
        AtomicInteger rotations = new AtomicInteger();
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        Files.createFile(in);
        Thread writer = new Thread(() -> {
            try {
                write(in, checkpoint, written, rotations);
            } catch (Throwable t) {
                writerFailure.set(t);
            }
        }, "rotating-writer");
        writer.setDaemon(true);
        writer.start();

        for (int round = 0; round < KILLS; round++) {
            try (HakobuProcess p = HakobuProcess.run(log, cfg)) {
                awaitMoreLinesThan(Duration.ofSeconds(40), "output to grow (round " + round + ")", out, 1_000);
                p.kill();
            }
        }
        try (HakobuProcess p = HakobuProcess.run(log, cfg)) {
            writer.join(Duration.ofSeconds(40).toMillis());
            assertTrue(!writer.isAlive(), "the writer finished");
            if (writerFailure.get() != null) {
                throw new AssertionError("writer failed", writerFailure.get());
            }
            Await.until(Duration.ofSeconds(40), "all lines in the output", () -> lineCount(out) >= LINES);
            assertEquals(0, p.terminate(30), "graceful stop exit code; log: " + log);
        }

        tally(LINES, out).assertExactlyOnce("output; log: " + log);
        assertEquals(LINES / ROTATE_EVERY - 1, rotations.get());
        String text = Files.readString(log);
        assertTrue(text.contains("event=checkpoint_loaded"), "restarts resumed from a checkpoint");
    }

    /** Appends LINES lines at a bounded rate, rotating every ROTATE_EVERY lines once the source knows the file. */
    private static void write(Path in, Path checkpoint, AtomicInteger written, AtomicInteger rotations) throws Exception {
        OutputStream os = Files.newOutputStream(in, StandardOpenOption.APPEND);
        long start = System.nanoTime();
        for (int i = 0; i < LINES; i++) {
            if (i > 0 && i % ROTATE_EVERY == 0) {
                String key = Files.getAttribute(in, "unix:dev") + ":" + Files.getAttribute(in, "unix:ino");
                Await.until(Duration.ofSeconds(40), "the checkpoint knows " + key, () -> checkpointKnows(checkpoint, key));
                os.close();
                Files.move(in, in.resolveSibling("in.log." + rotations.incrementAndGet()));
                os = Files.newOutputStream(in, StandardOpenOption.CREATE_NEW, StandardOpenOption.APPEND);
            }
            os.write(NumberedLines.line(i).getBytes(StandardCharsets.UTF_8));
            written.set(i + 1);
            // rate limit (not a wait for a condition): line i is due at start + i / rate
            long due = start + (long) i * 1_000_000_000L / LINES_PER_SECOND;
            long early = due - System.nanoTime();
            if (early > 0) {
                LockSupport.parkNanos(early);
            }
        }
        os.close();
    }

    private static boolean checkpointKnows(Path checkpoint, String key) {
        try {
            JsonNode root = JSON.readTree(Files.readAllBytes(checkpoint));
            return root.path("state").path("files").has(key);
        } catch (IOException e) {
            return false; // not written yet
        }
    }
}
