package io.hakobu.daemon.source.journald;

import static io.hakobu.daemon.source.journald.JournalFiles.BOOT_A;
import static io.hakobu.daemon.source.journald.JournalFiles.BOOT_B;
import static io.hakobu.daemon.source.journald.JournalFiles.T0;
import static io.hakobu.daemon.source.journald.JournalFiles.entry;
import static io.hakobu.daemon.source.journald.JournalFiles.range;
import static io.hakobu.daemon.source.journald.JournalFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hakobu.core.checkpoint.CheckpointStore;
import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import io.hakobu.core.pipeline.Batch;
import io.hakobu.core.pipeline.BufferConfig;
import io.hakobu.core.pipeline.DeliveryStatus;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Pipeline;
import io.hakobu.core.pipeline.Sink;
import io.hakobu.core.pipeline.WhenFull;
import io.hakobu.core.telemetry.ComponentMetrics;
import io.hakobu.core.telemetry.Metrics;
import io.hakobu.daemon.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journald source on real journal files (made by systemd-journal-remote) read by a real
 * journalctl, through the real pipeline into a recording sink.
 */
class JournaldSourceTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private Path journal;
    private Pipeline pipeline;
    private Metrics metrics;
    private final List<LogEntry> received = Collections.synchronizedList(new ArrayList<>());
    /** When set, the sink takes one permit per write (a stalled sink: backpressure). */
    private volatile Semaphore gate;

    private final class RecordingSink implements Sink {
        @Override
        public CompletionStage<DeliveryStatus> write(List<Batch> batches) {
            Semaphore g = gate;
            if (g != null) {
                try {
                    if (!g.tryAcquire(60, TimeUnit.SECONDS)) {
                        return CompletableFuture.completedFuture(DeliveryStatus.ERRORED);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return CompletableFuture.completedFuture(DeliveryStatus.ERRORED);
                }
            }
            for (Batch b : batches) {
                received.addAll(b.entries());
            }
            return CompletableFuture.completedFuture(DeliveryStatus.DELIVERED);
        }
    }

    @BeforeEach
    void requireJournalRemote() {
        assumeTrue(JournalFiles.available(), "systemd-journal-remote is not installed");
        journal = dir.resolve("journal");
    }

    private JournaldSourceConfig config(boolean sinceNow, List<String> units, List<String> identifiers,
                                        List<String> matches, boolean currentBoot) {
        return new JournaldSourceConfig(journal.toString(), units, identifiers, matches, sinceNow, currentBoot,
                "journalctl", 1 << 20, 4 << 20, 100, Duration.ofMillis(20));
    }

    private JournaldSourceConfig config(int maxFieldBytes, int maxEntryBytes) {
        return new JournaldSourceConfig(journal.toString(), List.of(), List.of(), List.of(), false, false,
                "journalctl", maxFieldBytes, maxEntryBytes, 100, Duration.ofMillis(20));
    }

    private JournaldSourceConfig config() {
        return config(false, List.of(), List.of(), List.of(), false);
    }

    private void start(JournaldSourceConfig cfg) throws Exception {
        start(cfg, BufferConfig.DEFAULT);
    }

    private void start(JournaldSourceConfig cfg, BufferConfig buffer) throws Exception {
        NodeInfo node = new NodeInfo("n1", dir.resolve("state"));
        metrics = new Metrics();
        pipeline = Pipeline.builder(node, metrics, new CheckpointStore(dir.resolve("state/checkpoints")))
                .addSource("j", "journald", new JournaldSource("j", cfg, node))
                .addSink("rec", "test", new RecordingSink(), List.of("j"), buffer)
                .build();
        pipeline.start();
    }

    private void stop() {
        if (pipeline != null) {
            Semaphore g = gate;
            if (g != null) {
                g.release(1_000_000);
            }
            assertTrue(pipeline.stop(Duration.ofSeconds(20)));
            pipeline = null;
        }
    }

    @AfterEach
    void tearDown() {
        stop(); // the source kills its journalctl on close
    }

    private ComponentMetrics sourceMetrics() {
        return metrics.component("j", "journald");
    }

    private List<String> messages() {
        synchronized (received) {
            return received.stream().map(e -> e.getString(Fields.MESSAGE)).toList();
        }
    }

    private static List<String> msgs(int from, int toExclusive) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < toExclusive; i++) {
            out.add("msg " + i);
        }
        return out;
    }

    private String checkpointText() {
        try {
            return Files.readString(dir.resolve("state/checkpoints/source-j.json"));
        } catch (java.io.IOException e) {
            return "";
        }
    }

    /** Appends a sentinel entry and waits for it: everything written before it has been read. */
    private void awaitSentinel(Path file, int seq, String boot) throws Exception {
        write(file, List.of(entry(seq, boot)));
        Await.until(WAIT, "sentinel msg " + seq, () -> messages().contains("msg " + seq));
    }

    @Test
    void readsEveryFieldFollowsAppendsAndNewBoots() throws Exception {
        Path file = journal.resolve("x.journal");
        byte[] blob = {0, 1, 2, (byte) 0xff, '\n', 'z'};
        write(file, List.of(
                entry(0, BOOT_A),
                entry(1, BOOT_A).binary("MESSAGE", "first line\nsecond line\n\tindented".getBytes(StandardCharsets.UTF_8)),
                entry(2, BOOT_A).binary("BLOB", blob).text("_UDEV_DEVLINK", "/dev/a").text("_UDEV_DEVLINK", "/dev/b")
                        .text("_SYSTEMD_UNIT", "nginx.service").text("_HOSTNAME", "web-07")));
        start(config());
        Await.until(WAIT, "3 entries", () -> received.size() == 3);

        LogEntry multi = received.get(1);
        List<Object> messagesOf1 = new ArrayList<>();
        for (int i = 0; i < multi.size(); i++) {
            if (multi.name(i).equals(Fields.MESSAGE)) {
                messagesOf1.add(multi.value(i));
            }
        }
        assertEquals(List.of("msg 1", "first line\nsecond line\n\tindented"), messagesOf1,
                "a multi-line field round-trips as text; a repeated field stays repeated");
        LogEntry third = received.get(2);
        assertArrayEquals(blob, (byte[]) third.get("BLOB"), "binary fields are kept as bytes");
        assertEquals("nginx.service", third.get("_SYSTEMD_UNIT"));
        assertEquals("web-07", third.get(Fields.HOSTNAME), "the journal's own _HOSTNAME wins");
        assertEquals("n1", received.get(0).get(Fields.HOSTNAME), "no _HOSTNAME in the entry: the node name");
        assertEquals(T0 + 2, third.get(Fields.REALTIME_TIMESTAMP), "__REALTIME_TIMESTAMP is the entry's own");
        assertEquals("1002", third.get("__MONOTONIC_TIMESTAMP"));
        assertEquals(BOOT_A, third.get("_BOOT_ID"));
        assertEquals("j", third.get(Fields.SOURCE));
        JournalCursor c = JournalCursor.parse(third.getString(Fields.CURSOR));
        assertNotNull(c, third.getString(Fields.CURSOR));
        assertEquals(3, c.seqnum());
        assertEquals("journal:" + c.seqnumId(), third.stream());
        assertEquals(3, third.position(), "position = the journal's sequence number");
        assertTrue(third.getString(Fields.ID).matches("[0-9a-f]{32}"));

        // appended while running, including a new boot
        write(file, List.of(entry(3, BOOT_B), entry(4, BOOT_B)));
        Await.until(WAIT, "5 entries", () -> received.size() == 5);
        assertEquals(msgs(3, 5), messages().subList(3, 5));
        assertEquals(BOOT_B, received.get(4).get("_BOOT_ID"));
        // and from a second journal file with its own sequence appearing later
        write(journal.resolve("other.journal"), List.of(entry(5, BOOT_B)));
        Await.until(WAIT, "6 entries", () -> received.size() == 6);
        assertTrue(!received.get(5).stream().equals(received.get(4).stream()), "another file, another sequence");
    }

    @Test
    void resumesAfterTheCheckpointAndIdsAreStableAcrossReReads() throws Exception {
        Path file = journal.resolve("x.journal");
        write(file, range(0, 5, BOOT_A));
        start(config());
        Await.until(WAIT, "5 entries", () -> received.size() == 5);
        List<String> firstIds = received.stream().map(e -> e.getString(Fields.ID)).toList();
        stop();
        assertTrue(Files.readString(dir.resolve("state/checkpoints/source-j.json")).contains("i=5;"),
                "the checkpoint is the cursor of the last acknowledged entry");

        received.clear();
        write(file, range(5, 8, BOOT_A));
        start(config());
        Await.until(WAIT, "3 new entries", () -> received.size() >= 3);
        awaitSentinel(file, 8, BOOT_A);
        assertEquals(msgs(5, 9), messages(), "nothing read twice, nothing missed");
        assertEquals(1, sourceMetrics().count("journal_entries_skipped_total", "reason", "already_read"),
                "the cursor's own entry, read again by --cursor, is skipped");
        stop();

        // a lost checkpoint reads everything again, with the same ids
        Files.delete(dir.resolve("state/checkpoints/source-j.json"));
        received.clear();
        start(config());
        Await.until(WAIT, "all 9 again", () -> received.size() == 9);
        assertEquals(firstIds, received.subList(0, 5).stream().map(e -> e.getString(Fields.ID)).toList(),
                "__ID comes from the journal's sequence: stable across re-reads");
        assertEquals(0, sourceMetrics().count("journal_entries_lost_total"));
    }

    @Test
    void vacuumedJournalResumesAtTheOldestEntryAndCountsTheGapExactly() throws Exception {
        Path a = journal.resolve("system@a.journal");
        write(a, range(1, 4, BOOT_A));                      // seqnums 1..3
        start(config());
        Await.until(WAIT, "3 entries", () -> received.size() == 3);
        stop();                                            // checkpoint: seqnum 3

        write(a, range(4, 11, BOOT_A));                     // seqnums 4..10, never read
        Path b = journal.resolve("system.journal");
        JournalFiles.rotate(a, b);                         // b continues the sequence at 11
        write(b, range(11, 21, BOOT_B));                    // seqnums 11..20
        Files.delete(a);                                   // vacuumed while hakobu was stopped

        received.clear();
        start(config());
        Await.until(WAIT, "10 entries", () -> received.size() >= 10);
        awaitSentinel(b, 21, BOOT_B);
        assertEquals(msgs(11, 22), messages(), "resumes at the oldest remaining entry, none skipped");
        assertEquals(11, received.get(0).position());
        assertEquals(7, sourceMetrics().count("journal_entries_lost_total"), "seqnums 4..10 were lost");
        assertEquals(1, sourceMetrics().count("journal_gaps_total"));
        assertEquals(0, sourceMetrics().count("journal_cursor_rejected_total"));
    }

    @Test
    void cursorVacuumedButNothingLostIsNoGap() throws Exception {
        Path a = journal.resolve("system@a.journal");
        write(a, range(1, 4, BOOT_A));
        start(config());
        Await.until(WAIT, "3 entries", () -> received.size() == 3);
        stop();
        Path b = journal.resolve("system.journal");
        JournalFiles.rotate(a, b);
        write(b, range(4, 6, BOOT_A));                      // seqnums 4..5 follow the cursor directly
        Files.delete(a);                                   // the cursor's own entry is gone
        received.clear();
        start(config());
        Await.until(WAIT, "2 entries", () -> received.size() >= 2);
        awaitSentinel(b, 6, BOOT_A);
        assertEquals(msgs(4, 7), messages());
        assertEquals(0, sourceMetrics().count("journal_entries_lost_total"));
        assertEquals(0, sourceMetrics().count("journal_gaps_total"));
    }

    @Test
    void missingThenEmptyDirectoryWaitsForTheFirstFile() throws Exception {
        start(config());
        Await.until(WAIT, "the source waiting for its directory",
                () -> sourceMetrics().gaugeValue("journal_waiting_for_files") == 1);
        Files.createDirectories(journal);
        write(journal.resolve("x.journal"), range(0, 3, BOOT_A));
        Await.until(WAIT, "3 entries", () -> received.size() == 3);
        assertEquals(msgs(0, 3), messages());
    }

    @Test
    void emptyDirectoryWithACheckpointKeepsTheCursorUntilFilesAppear() throws Exception {
        Path file = journal.resolve("x.journal");
        write(file, range(0, 3, BOOT_A));                   // seqnums 1..3
        start(config());
        Await.until(WAIT, "3 entries", () -> received.size() == 3);
        stop();
        Path copy = dir.resolve("x.journal.copy");
        Files.copy(file, copy);
        Files.delete(file);                                // an empty directory
        received.clear();
        start(config());
        Await.until(WAIT, "the source waiting for files",
                () -> sourceMetrics().gaugeValue("journal_waiting_for_files") == 1);
        Path next = journal.resolve("y.journal");
        JournalFiles.rotate(copy, next);                   // the same sequence goes on at 4
        write(next, range(3, 6, BOOT_A));
        Await.until(WAIT, "3 entries", () -> received.size() >= 3);
        awaitSentinel(next, 6, BOOT_A);
        assertEquals(msgs(3, 7), messages());
        assertEquals(0, sourceMetrics().count("journal_cursor_rejected_total"));
        assertEquals(0, sourceMetrics().count("journal_entries_lost_total"));
    }

    @Test
    void cursorFromAnotherMachineStartsFromTheConfiguredFallback() throws Exception {
        Path file = journal.resolve("x.journal");
        write(file, range(0, 4, BOOT_A));
        CheckpointStore store = new CheckpointStore(dir.resolve("state/checkpoints"));
        ObjectNode state = store.json().createObjectNode();
        state.put("cursor", "s=11111111111111111111111111111111;i=5d2;b=22222222222222222222222222222222;"
                + "m=3eb;t=7fa24181e4003;x=9c6431e210e11ca8");   // realtime far in the future
        state.put("machine_id", "33333333333333333333333333333333");
        store.save("source-j", state);

        start(config());                                  // fallback without since_now: the oldest entry
        Await.until(WAIT, "4 entries", () -> received.size() == 4);
        assertEquals(msgs(0, 4), messages());
        assertEquals(1, sourceMetrics().count("journal_cursor_rejected_total"));
        assertEquals(0, sourceMetrics().count("journal_entries_lost_total"));
        stop();
        assertTrue(Files.readString(dir.resolve("state/checkpoints/source-j.json")).contains("i=4;"),
                "the foreign cursor was replaced by our own");

        // with since_now, a foreign cursor starts at the end
        store.save("source-j", state);
        received.clear();
        start(config(true, List.of(), List.of(), List.of(), false));
        Await.until(WAIT, "the end of the journal checkpointed in place of the foreign cursor",
                () -> checkpointText().contains("i=4;"));
        awaitSentinel(file, 4, BOOT_A);
        assertEquals(List.of("msg 4"), messages());
        assertEquals(1, sourceMetrics().count("journal_cursor_rejected_total"));

        // garbage in the checkpoint is rejected the same way, without a crash loop
        stop();
        ObjectNode garbage = store.json().createObjectNode().put("cursor", "not a cursor");
        store.save("source-j", garbage);
        received.clear();
        start(config());
        Await.until(WAIT, "5 entries", () -> received.size() == 5);
        assertEquals(1, sourceMetrics().count("journal_cursor_rejected_total"));
    }

    @Test
    void sinceNowSkipsWhatIsThereAndCheckpointsItsStartAtOnce() throws Exception {
        Path file = journal.resolve("x.journal");
        write(file, range(0, 5, BOOT_A));
        start(config(true, List.of(), List.of(), List.of(), false));
        Await.until(WAIT, "a checkpoint at the end", () -> checkpointText().contains("i=5;"));
        awaitSentinel(file, 5, BOOT_A);
        assertEquals(List.of("msg 5"), messages());
    }

    @Test
    void filtersByUnitIdentifierMatchAndCurrentBoot() throws Exception {
        Path file = journal.resolve("x.journal");
        write(file, List.of(
                entry(0, BOOT_A).text("_SYSTEMD_UNIT", "nginx.service").text("SYSLOG_IDENTIFIER", "nginx"),
                entry(1, BOOT_B).text("_SYSTEMD_UNIT", "nginx.service").text("SYSLOG_IDENTIFIER", "nginx"),
                entry(2, BOOT_B).text("_SYSTEMD_UNIT", "cron.service").text("SYSLOG_IDENTIFIER", "CRON"),
                entry(3, BOOT_B).text("_SYSTEMD_UNIT", "nginx.service").text("SYSLOG_IDENTIFIER", "helper"),
                entry(4, BOOT_B).text("_SYSTEMD_UNIT", "app.service").text("SYSLOG_IDENTIFIER", "nginx")
                        .text("PRIORITY", "3")));
        // units AND identifiers AND the current (newest) boot: only 1
        start(config(false, List.of("nginx.service"), List.of("nginx"), List.of(), true));
        Await.until(WAIT, "1 entry", () -> received.size() >= 1);
        write(file, List.of(entry(5, BOOT_B).text("_SYSTEMD_UNIT", "nginx.service").text("SYSLOG_IDENTIFIER", "nginx")));
        Await.until(WAIT, "2 entries", () -> received.size() >= 2);
        assertEquals(List.of("msg 1", "msg 5"), messages());
        stop();

        // raw matches: same field ORed, groups with '+'
        Files.delete(dir.resolve("state/checkpoints/source-j.json"));
        received.clear();
        start(config(false, List.of(), List.of(), List.of("SYSLOG_IDENTIFIER=CRON", "SYSLOG_IDENTIFIER=helper", "+",
                "PRIORITY=3"), false));
        Await.until(WAIT, "3 entries", () -> received.size() >= 3);
        assertEquals(List.of("msg 2", "msg 3", "msg 4"), messages());
    }

    @Test
    void aKilledJournalctlIsRestartedWithoutLossOrDuplicates() throws Exception {
        Path file = journal.resolve("x.journal");
        write(file, range(0, 50, BOOT_A));
        start(config());
        Await.until(WAIT, "50 entries", () -> received.size() == 50);
        for (int round = 0; round < 2; round++) {
            Await.until(WAIT, "a running journalctl reader", () -> journalctlReaders().size() == 1);
            List<ProcessHandle> readers = journalctlReaders();
            readers.get(0).destroyForcibly();
            int r = round;
            Await.until(WAIT, "a restart", () -> sourceMetrics().count("journal_reader_restarts_total") > r);
            write(file, range(50 + 10 * round, 60 + 10 * round, BOOT_A));
        }
        awaitSentinel(file, 70, BOOT_A);
        assertEquals(msgs(0, 71), messages(), "the restarted reader resumed after the last entry read");
        assertEquals(0, sourceMetrics().count("journal_entries_lost_total"));
    }

    /** The journalctl processes this test's source started (found by their --directory argument). */
    private List<ProcessHandle> journalctlReaders() {
        return ProcessHandle.current().descendants()
                .filter(ProcessHandle::isAlive)
                .filter(h -> {
                    String[] args = h.info().arguments().orElse(new String[0]);
                    return List.of(args).contains("--directory=" + journal) && List.of(args).contains("--follow");
                })
                .toList();
    }

    @Test
    void aStalledSinkPausesReadingAndNothingIsLost() throws Exception {
        Path file = journal.resolve("x.journal");
        int n = 20_000;
        write(file, range(0, n, BOOT_A));
        gate = new Semaphore(0);
        start(config(), new BufferConfig(200, 1L << 20, WhenFull.BLOCK));
        Await.until(WAIT, "the source blocked on a full buffer", () ->
                pipeline.status().stream().anyMatch(s -> s.id().equals("rec") && s.queuedEvents() >= 100));
        assertEquals(0, received.size());
        gate.release(1_000_000);
        Await.until(Duration.ofSeconds(60), n + " entries", () -> received.size() >= n);
        assertEquals(msgs(0, n), messages());
        Set<Long> positions = new HashSet<>();
        synchronized (received) {
            received.forEach(e -> positions.add(e.position()));
        }
        assertEquals(n, positions.size());
    }

    @Test
    void vacuumedWhileRunningAndBehindEveryEntryIsDeliveredOrCountedLost() throws Exception {
        Path a = journal.resolve("system@a.journal");
        int first = 3_000;
        write(a, range(1, first + 1, BOOT_A));              // ~750 KiB of Export Format: more than the pipe holds
        gate = new Semaphore(0);
        start(config(), new BufferConfig(200, 1L << 20, WhenFull.BLOCK));
        Await.until(WAIT, "the source blocked on a full buffer", () ->
                pipeline.status().stream().anyMatch(s -> s.id().equals("rec") && s.queuedEvents() >= 100));
        Path b = journal.resolve("system.journal");
        JournalFiles.rotate(a, b);
        write(b, range(first + 1, first + 101, BOOT_B));
        Files.delete(a);                                   // vacuumed while hakobu is behind
        gate.release(1_000_000);
        int total = first + 100;
        Await.until(Duration.ofSeconds(60), "every entry delivered or counted as lost", () ->
                received.size() + sourceMetrics().count("journal_entries_lost_total") >= total
                        && messages().contains("msg " + total));
        Set<Long> positions = new HashSet<>();
        synchronized (received) {
            received.forEach(e -> positions.add(e.position()));
        }
        assertEquals(received.size(), positions.size(), "no duplicates");
        long lostCount = sourceMetrics().count("journal_entries_lost_total");
        assertEquals(total, received.size() + lostCount, "delivered + counted lost = written");
        // journalctl keeps a deleted file open, so in practice nothing is lost here
        assertEquals(lostCount == 0 ? 0 : 1, sourceMetrics().count("journal_gaps_total"));
    }

    @Test
    void oversizeFieldsAreCutAndMarkedNeverDropped() throws Exception {
        Path file = journal.resolve("x.journal");
        byte[] core = new byte[200_000];
        core[7] = (byte) 0xff;
        write(file, List.of(entry(0, BOOT_A).text("BIG", "x".repeat(5_000)).binary("COREDUMP", core), entry(1, BOOT_A)));
        start(config(1024, 4096));
        Await.until(WAIT, "2 entries", () -> received.size() == 2);
        LogEntry big = received.get(0);
        assertEquals("x".repeat(1024), big.get("BIG"));
        assertEquals(1024, ((byte[]) big.get("COREDUMP")).length);
        assertEquals(Boolean.TRUE, big.get(Fields.TRUNCATED));
        assertEquals("BIG:5000,COREDUMP:200000", big.get("_TRUNCATED_FIELDS"));
        assertEquals("msg 0", big.get(Fields.MESSAGE));
        assertTrue(big.getString(Fields.CURSOR).contains("i=1;"), "the cursor is always kept");
        assertEquals(1, sourceMetrics().count("journal_entries_truncated_total"));
        assertEquals("msg 1", received.get(1).get(Fields.MESSAGE));
    }
}
