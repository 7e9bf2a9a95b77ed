package io.hakobu.daemon.source.journald;

import static io.hakobu.daemon.NumberedLines.awaitMoreLinesThan;
import static io.hakobu.daemon.NumberedLines.lineCount;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.hakobu.daemon.Await;
import io.hakobu.daemon.HakobuProcess;
import io.hakobu.daemon.NumberedLines.Tally;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hakobu run} (journald source on a journal directory -> file sink, ndjson) as a separate
 * process, killed with SIGKILL several times while entries are being appended to the journal, and
 * restarted; in the end every journal entry is in the output exactly once, counted by the sequence
 * number in its MESSAGE.
 */
class JournaldCrashRecoveryTest {
    private static final int ENTRIES = 40_000;
    private static final int KILLS = 3;

    @TempDir
    Path dir;

    @Test
    void sigkillWhileFollowingLosesAndDuplicatesNothing() throws Exception {
        assumeTrue(JournalFiles.available(), "systemd-journal-remote is not installed");
        try {
            run();
        } catch (AssertionError | Exception e) {
            Path log = dir.resolve("hakobu.log");
            if (Files.exists(log)) {
                System.err.println("---- hakobu.log ----\n" + Files.readString(log));
            }
            throw e;
        }
    }

    private void run() throws Exception {
        Path journalDir = dir.resolve("journal");
        Path journal = journalDir.resolve("system.journal");
        Path out = dir.resolve("out/out.ndjson");
        Path cfg = dir.resolve("hakobu.yaml");
        Files.writeString(cfg, String.join("\n",
                "node: {name: journal-crash-test, data_dir: " + dir.resolve("state") + "}",
                "sources:",
                "  journal: {type: journald, directory: \"" + journalDir + "\", poll_interval: 20ms}",
                "sinks:",
                "  out: {type: file, path: \"" + out + "\", encoding: ndjson}",
                ""));
        Path log = dir.resolve("hakobu.log");
        Path checkpoint = dir.resolve("state/checkpoints/source-journal.json");

        int written = 0;
        for (int round = 0; round < KILLS; round++) {
            written = append(journal, written, 5_000);      // unread entries for this round
            try (HakobuProcess p = HakobuProcess.run(log, cfg)) {
                awaitMoreLinesThan(Duration.ofSeconds(60), "output to grow (round " + round + ")", out, 1000);
                Await.until(Duration.ofSeconds(60), "a source checkpoint", () -> Files.exists(checkpoint));
                written = append(journal, written, 5_000);   // the journal grows while hakobu follows it
                p.kill();
            }
            // journalctl notices that its reader is gone and exits by itself: no orphan survives a SIGKILL
            try {
                Await.until(Duration.ofSeconds(30), "no journalctl left reading " + journalDir,
                        () -> readersOf(journalDir).isEmpty());
            } finally {
                readersOf(journalDir).forEach(ProcessHandle::destroyForcibly);
            }
        }
        written = append(journal, written, ENTRIES - written);
        assertEquals(ENTRIES, written);
        try (HakobuProcess p = HakobuProcess.run(log, cfg)) {
            Await.until(Duration.ofSeconds(120), "every entry in the output", () -> lineCount(out) >= ENTRIES);
            assertEquals(0, p.terminate(60), "graceful stop exit code; log: " + log);
        }

        new Tally(ENTRIES).read(out, n -> {
            String message = n.path("MESSAGE").asText();
            assertTrue(message.startsWith("msg "), () -> "an entry that is not one of the test's: " + n);
            int seq = Integer.parseInt(message.substring("msg ".length()));
            assertEquals(JournalFiles.T0 + seq, n.path("__REALTIME_TIMESTAMP").asLong());
            assertEquals("at first\n\tat line " + seq, n.path("TRACE").asText(), "multi-line field, end to end");
            assertArrayEquals(payload(seq), Base64.getDecoder().decode(n.path("PAYLOAD").path("base64").asText()),
                    "binary field, end to end (disk buffer, NDJSON as base64)");
            return seq;
        }).assertExactlyOnce("entries in the output");
        String logText = Files.readString(log);
        assertTrue(logText.contains("event=checkpoint_loaded"), "restarts resumed from a checkpoint");
        assertTrue(!logText.contains("event=journal_gap"), "no gap reported");
    }

    /** Appends entries {@code from .. from+count-1} to the journal file (in chunks, like a busy journald). */
    private static int append(Path journal, int from, int count) throws IOException, InterruptedException {
        int chunk = 2_000;
        for (int start = from; start < from + count; start += chunk) {
            int end = Math.min(from + count, start + chunk);
            List<JournalFiles.Entry> entries = new ArrayList<>(end - start);
            for (int i = start; i < end; i++) {
                entries.add(JournalFiles.entry(i, i < 20_000 ? JournalFiles.BOOT_A : JournalFiles.BOOT_B)
                        .text("_SYSTEMD_UNIT", "app.service")
                        .binary("TRACE", ("at first\n\tat line " + i).getBytes(StandardCharsets.UTF_8))
                        .binary("PAYLOAD", payload(i)));
            }
            JournalFiles.write(journal, entries);
        }
        return from + count;
    }

    private static byte[] payload(int i) {
        return new byte[] {0, (byte) 0xfe, (byte) (i & 0xff), (byte) (i >>> 8)};
    }

    /** journalctl processes reading this test's journal directory (the test's own, by its unique path). */
    private static List<ProcessHandle> readersOf(Path journalDir) {
        String arg = "--directory=" + journalDir;
        return ProcessHandle.allProcesses()
                .filter(ProcessHandle::isAlive)
                .filter(h -> List.of(h.info().arguments().orElse(new String[0])).contains(arg))
                .toList();
    }
}
