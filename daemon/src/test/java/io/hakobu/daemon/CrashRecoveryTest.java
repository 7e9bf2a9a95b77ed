package io.hakobu.daemon;

import static io.hakobu.daemon.DaemonTesting.read;
import static io.hakobu.daemon.NumberedLines.append;
import static io.hakobu.daemon.NumberedLines.awaitMoreLinesThan;
import static io.hakobu.daemon.NumberedLines.lineCount;
import static io.hakobu.daemon.NumberedLines.tally;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hakobu run} (file source -> disk buffer -> file sink, ndjson) as a separate process, killed
 * with SIGKILL several times while it works and restarted; in the end every input line is in the
 * output exactly once (the buffer redelivers what the sink had not acknowledged; the file sink
 * truncates to its checkpoint and skips what it already wrote), and {@code hakobu buffer verify}
 * finds the buffer intact. Small segments make the kills land during writes, segment rolls,
 * acknowledgements and segment deletions alike.
 */
class CrashRecoveryTest {
    private static final int LINES = 150_000;
    private static final int KILLS = 4;

    @TempDir
    Path dir;

    @Test
    void sigkillRepeatedlyLosesAndDuplicatesNothing() throws Exception {
        Path in = dir.resolve("in.log");
        Path out = dir.resolve("out/out.ndjson");
        Path cfg = dir.resolve("hakobu.yaml");
        Files.writeString(cfg, String.join("\n",
                "node: {name: crash-test, data_dir: " + dir.resolve("state") + "}",
                "sources:",
                "  input: {type: file, include: [\"" + in + "\"], format: logfmt, poll_interval: 20ms}",
                "sinks:",
                "  out: {type: file, path: \"" + out + "\", encoding: ndjson,",
                "        buffer: {type: disk, max_bytes: 64MiB, segment_bytes: 256KiB}}",
                ""));
        Files.createFile(in);
        Path log = dir.resolve("hakobu.log");
        Path checkpoint = dir.resolve("state/checkpoints/source-input.json");

        int written = 0;
        for (int round = 0; round < KILLS; round++) {
            written = append(in, written, LINES / (KILLS + 1));
            try (HakobuProcess p = HakobuProcess.run(log, cfg)) {
                // let it make real progress, then kill it in the middle of work
                awaitMoreLinesThan(Duration.ofSeconds(60), "output to grow (round " + round + ")", out, 2000);
                Await.until(Duration.ofSeconds(60), "a source checkpoint", () -> Files.exists(checkpoint));
                written = append(in, written, 5_000); // keep writing while it runs
                p.kill();
            }
        }
        written = append(in, written, LINES - written);
        assertEquals(LINES, written);
        try (HakobuProcess p = HakobuProcess.run(log, cfg)) {
            Await.until(Duration.ofSeconds(120), "all lines in the output", () -> lineCount(out) >= LINES);
            assertEquals(0, p.terminate(60), "graceful stop exit code; log: " + log);
        }

        tally(LINES, out).assertExactlyOnce("output");
        assertTrue(Files.readString(log).contains("event=checkpoint_loaded"), "restarts resumed from a checkpoint");

        Path verifyLog = dir.resolve("verify.log");
        assertEquals(0, HakobuProcess.exec(verifyLog, "buffer", "verify", "-c", cfg.toString()), () -> read(verifyLog));
        assertTrue(Files.readString(verifyLog).contains("sink out: ok"), Files.readString(verifyLog));
    }
}
