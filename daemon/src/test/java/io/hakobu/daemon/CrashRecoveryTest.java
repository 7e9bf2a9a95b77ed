package io.hakobu.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
    private static final ObjectMapper JSON = new ObjectMapper();
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
            try (HakobuProcess p = HakobuProcess.start(log, "run", "-c", cfg.toString())) {
                long before = lineCount(out);
                // let it make real progress, then kill it in the middle of work
                Await.until(Duration.ofSeconds(60), "output to grow (round " + round + ")", () -> lineCount(out) > before + 2000);
                Await.until(Duration.ofSeconds(60), "a source checkpoint", () -> Files.exists(checkpoint));
                written = append(in, written, 5_000); // keep writing while it runs
                p.kill();
            }
        }
        written = append(in, written, LINES - written);
        assertEquals(LINES, written);
        try (HakobuProcess p = HakobuProcess.start(log, "run", "-c", cfg.toString())) {
            Await.until(Duration.ofSeconds(120), "all lines in the output", () -> lineCount(out) >= LINES);
            assertEquals(0, p.terminate(60), "graceful stop exit code; log: " + log);
        }

        boolean[] seen = new boolean[LINES];
        int total = 0;
        int dups = 0;
        try (BufferedReader r = Files.newBufferedReader(out, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                total++;
                JsonNode n = JSON.readTree(line);
                int seq = Integer.parseInt(n.path("seq").asText());
                if (seen[seq]) {
                    dups++;
                }
                seen[seq] = true;
            }
        }
        int lost = 0;
        for (boolean s : seen) {
            if (!s) {
                lost++;
            }
        }
        assertEquals(0, lost, "lost lines");
        assertEquals(0, dups, "duplicated lines");
        assertEquals(LINES, total);
        assertTrue(Files.readString(log).contains("event=checkpoint_loaded"), "restarts resumed from a checkpoint");

        Path verifyLog = dir.resolve("verify.log");
        try (HakobuProcess v = HakobuProcess.start(verifyLog, "buffer", "verify", "-c", cfg.toString())) {
            assertEquals(0, v.waitFor(60), Files.readString(verifyLog));
        }
        assertTrue(Files.readString(verifyLog).contains("sink out: ok"), Files.readString(verifyLog));
    }

    private static int append(Path in, int from, int count) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (OutputStream os = Files.newOutputStream(in, StandardOpenOption.APPEND)) {
            for (int i = from; i < from + count; i++) {
                sb.setLength(0);
                sb.append("seq=").append(i).append(" level=info msg=\"request handled\" path=/api/v1/items user=").append(i % 977).append('\n');
                os.write(sb.toString().getBytes(StandardCharsets.UTF_8));
            }
        }
        return from + count;
    }

    private static long lineCount(Path p) {
        if (!Files.exists(p)) {
            return 0;
        }
        try (var lines = Files.lines(p, StandardCharsets.ISO_8859_1)) {
            return lines.count();
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0;
        }
    }
}
