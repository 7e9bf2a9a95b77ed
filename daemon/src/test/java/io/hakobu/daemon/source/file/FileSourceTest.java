package io.hakobu.daemon.source.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hakobu.core.checkpoint.CheckpointStore;
import io.hakobu.core.config.ConfigMap;
import io.hakobu.core.config.ConfigNode;
import io.hakobu.core.config.ConfigProblems;
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
import io.hakobu.daemon.config.YamlConfigLoader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file source on real files in a temp directory, through the real pipeline. */
class FileSourceTest {
    @TempDir
    Path dir;

    private Pipeline pipeline;
    private Metrics metrics;
    private final List<LogEntry> received = Collections.synchronizedList(new ArrayList<>());

    /** Records every entry; a unit-test sink. */
    private final class RecordingSink implements Sink {
        @Override
        public CompletionStage<DeliveryStatus> write(List<Batch> batches) {
            for (Batch b : batches) {
                received.addAll(b.entries());
            }
            return CompletableFuture.completedFuture(DeliveryStatus.DELIVERED);
        }
    }

    private void start(FileSourceConfig cfg) throws Exception {
        start(cfg, new RecordingSink(), BufferConfig.DEFAULT);
    }

    private void start(FileSourceConfig cfg, Sink sink, BufferConfig buffer) throws Exception {
        NodeInfo node = new NodeInfo("n1", dir.resolve("state"));
        metrics = new Metrics();
        pipeline = Pipeline.builder(node, metrics, new CheckpointStore(dir.resolve("state/checkpoints")))
                .addSource("logs", "file", new FileSource("logs", cfg, node))
                .addSink("rec", "test", sink, List.of("logs"), buffer)
                .build();
        pipeline.start();
    }

    private void stop() {
        if (pipeline != null) {
            assertTrue(pipeline.stop(Duration.ofSeconds(10)));
            pipeline = null;
        }
    }

    @AfterEach
    void tearDown() {
        stop();
    }

    private FileSourceConfig config(String format, String readFrom, List<String> include) {
        return new FileSourceConfig(include, List.of("*.gz"), format, false, readFrom, Map.of("env", "test"),
                1024, Duration.ofMillis(50), Duration.ofMillis(10), 100, null);
    }

    private static void append(Path p, String s) throws IOException {
        Files.writeString(p, s, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private List<String> field(String name) {
        synchronized (received) {
            return received.stream().map(e -> e.getString(name)).toList();
        }
    }

    @Test
    void readsToEndFollowsAppendsAndResumesFromCheckpoint() throws Exception {
        Path log = dir.resolve("logs/access.log");
        Files.createDirectories(log.getParent());
        append(log, "status:200\tseq:0\r\nstatus:404\tseq:1\n");
        start(config("ltsv", "beginning", List.of(dir + "/logs/*.log")));
        Await.until(Duration.ofSeconds(10), "2 entries", () -> received.size() == 2);
        append(log, "status:500\tseq:2\nstatus:200\tse");       // last line incomplete: held back
        Await.until(Duration.ofSeconds(10), "3 entries", () -> received.size() == 3);
        append(log, "q:3\n");
        Await.until(Duration.ofSeconds(10), "4 entries", () -> received.size() == 4);
        assertEquals(List.of("0", "1", "2", "3"), field("seq"), "CRLF stripped, partial line completed");
        LogEntry first = received.get(0);
        assertEquals("test", first.getString("env"));
        assertEquals("n1", first.getString(Fields.HOSTNAME));
        assertEquals("logs", first.getString(Fields.SOURCE));
        assertEquals(log.toString(), first.getString(Fields.FILE));
        assertTrue(first.getString(Fields.CURSOR).startsWith("file:"));
        String firstId = first.getString(Fields.ID);
        stop();

        // restart: nothing is read again; new lines continue
        received.clear();
        append(log, "status:201\tseq:4\n");
        start(config("ltsv", "beginning", List.of(dir + "/logs/*.log")));
        Await.until(Duration.ofSeconds(10), "the new entry", () -> received.size() == 1);
        assertEquals(List.of("4"), field("seq"));
        stop();

        // a lost checkpoint re-reads the same bytes: the same ids
        Files.delete(dir.resolve("state/checkpoints/source-logs.json"));
        received.clear();
        start(config("ltsv", "beginning", List.of(dir + "/logs/*.log")));
        Await.until(Duration.ofSeconds(10), "all again", () -> received.size() == 5);
        assertEquals(firstId, received.get(0).getString(Fields.ID), "__ID is stable across re-reads");
    }

    @Test
    void readFromEndSkipsExistingContentAndNewFilesAreReadFromStart() throws Exception {
        Path a = dir.resolve("a.log");
        append(a, "old line\n");
        start(config("raw", "end", List.of(dir + "/*.log")));
        Await.until(Duration.ofSeconds(10), "a.log watched",
                () -> metrics.component("logs", "file").gaugeValue("files_watched") == 1);
        append(a, "new line\n");
        Path b = dir.resolve("b.log");
        append(b, "b first\n");
        append(dir.resolve("c.log.gz"), "compressed garbage\n");
        Await.until(Duration.ofSeconds(10), "2 entries", () -> received.size() == 2);
        assertTrue(field(Fields.MESSAGE).containsAll(List.of("new line", "b first")), field(Fields.MESSAGE)::toString);
    }

    @Test
    void overlongLinesAreCutAndMarkedNotDropped() throws Exception {
        Path log = dir.resolve("long.log");
        String huge = "x".repeat(5000);
        append(log, "short\n" + huge + "\nafter\n");
        start(config("raw", "beginning", List.of(log.toString())));
        Await.until(Duration.ofSeconds(10), "3 entries", () -> received.size() == 3);
        assertEquals("short", received.get(0).getString(Fields.MESSAGE));
        assertEquals(1024, received.get(1).getString(Fields.MESSAGE).length());
        assertEquals(Boolean.TRUE, received.get(1).get(Fields.TRUNCATED));
        assertEquals("after", received.get(2).getString(Fields.MESSAGE));
    }

    @Test
    void renamedFileKeepsItsPositionAndDoubleStarFindsNewDirectories() throws Exception {
        Path log = dir.resolve("app/x.log");
        Files.createDirectories(log.getParent());
        append(log, "one\n");
        start(config("raw", "beginning", List.of(dir + "/**.log")));
        Await.until(Duration.ofSeconds(10), "1 entry", () -> received.size() == 1);
        Files.move(log, dir.resolve("app/x.1.log"));
        append(dir.resolve("app/x.1.log"), "two\n");
        Path deep = dir.resolve("app/new/dir/y.log");
        Files.createDirectories(deep.getParent());
        append(deep, "three\n");
        Await.until(Duration.ofSeconds(10), "3 entries", () -> received.size() == 3);
        assertEquals(3, field(Fields.MESSAGE).stream().distinct().count(), "no line read twice");
    }

    @Test
    void malformedLinesAreKeptWithParseError() throws Exception {
        Path log = dir.resolve("app.json");
        append(log, "{\"level\":\"info\",\"n\":1}\n{broken\n");
        start(config("json", "beginning", List.of(log.toString())));
        Await.until(Duration.ofSeconds(10), "2 entries", () -> received.size() == 2);
        assertEquals(1L, received.get(0).get("n"));
        assertEquals("{broken", received.get(1).getString(Fields.MESSAGE));
        assertTrue(received.get(1).has(Fields.PARSE_ERROR));
    }

    @Test
    void truncatedFileIsReadAgainAsANewStreamWithNewIds() throws Exception {
        Path log = dir.resolve("t.log");
        append(log, "a1\na2\na3\n");
        start(config("raw", "beginning", List.of(log.toString())));
        Await.until(Duration.ofSeconds(10), "3 entries", () -> received.size() == 3);
        Files.write(log, new byte[0]); // truncate in place, as copytruncate does
        Await.until(Duration.ofSeconds(10), "truncation seen",
                () -> metrics.component("logs", "file").count("truncations_total") == 1);
        append(log, "b1\nb2\n");
        Await.until(Duration.ofSeconds(10), "5 entries", () -> received.size() == 5);
        assertEquals(List.of("a1", "a2", "a3", "b1", "b2"), field(Fields.MESSAGE));
        assertEquals(5, field(Fields.ID).stream().distinct().count(), "new content at old offsets gets new ids");
        assertTrue(received.get(3).stream().endsWith("#1"), received.get(3).stream());
    }

    @Test
    void fileRotatedWhileStoppedIsFinishedFromItsCheckpoint() throws Exception {
        Path log = dir.resolve("r/access.log");
        Files.createDirectories(log.getParent());
        append(log, "seq:0\nseq:1\n");
        start(config("ltsv", "beginning", List.of(log.toString())));
        Await.until(Duration.ofSeconds(10), "2 entries", () -> received.size() == 2);
        stop();
        // while stopped: more lines, then logrotate renames and a new file starts
        append(log, "seq:2\nseq:3\n");
        Files.move(log, dir.resolve("r/access.log.1"));
        append(log, "seq:4\n");
        start(config("ltsv", "beginning", List.of(log.toString())));
        Await.until(Duration.ofSeconds(10), "5 entries", () -> received.size() == 5);
        assertEquals(List.of("0", "1", "2", "3", "4"), field("seq").stream().sorted().toList());
        assertEquals(dir.resolve("r/access.log.1").toString(), received.get(2).getString(Fields.FILE));
    }

    // ---- helpers for the sequence-numbered tests ------------------------------------------------

    private static final Pattern SEQ = Pattern.compile("^seq=(\\d+) .*;$");

    private static String line(int seq) {
        return "seq=" + seq + " level=info msg=\"request handled\" user=" + (seq % 977) + ";\n";
    }

    private ComponentMetrics src() {
        return metrics.component("logs", "file");
    }

    /** Sequence numbers received, in order; a line that is not a whole sequence line fails the test. */
    private List<Integer> seqs() {
        return seqs(false);
    }

    /** @param skipFragments ignore lines marked {@code _TRUNCATED} (cut by a truncation of their file) */
    private List<Integer> seqs(boolean skipFragments) {
        List<Integer> out = new ArrayList<>();
        List<LogEntry> all;
        synchronized (received) {
            all = new ArrayList<>(received);
        }
        for (LogEntry e : all) {
            if (skipFragments && e.has(Fields.TRUNCATED)) {
                continue;
            }
            String m = e.getString(Fields.MESSAGE);
            Matcher x = SEQ.matcher(m);
            if (!x.matches()) {
                throw new AssertionError("not a whole sequence line: '" + m + "'");
            }
            out.add(Integer.parseInt(x.group(1)));
        }
        return out;
    }

    /** Every sequence number in {@code [0, n)} was received exactly once, and nothing else. */
    private void assertExactlyOnce(int n) {
        int[] count = new int[n];
        for (int q : seqs()) {
            assertTrue(q >= 0 && q < n, "unexpected seq " + q);
            count[q]++;
        }
        List<Integer> lost = new ArrayList<>();
        List<Integer> dup = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (count[i] == 0) {
                lost.add(i);
            } else if (count[i] > 1) {
                dup.add(i);
            }
        }
        assertEquals(List.of(), lost.subList(0, Math.min(20, lost.size())), lost.size() + " lost");
        assertEquals(List.of(), dup.subList(0, Math.min(20, dup.size())), dup.size() + " duplicated");
    }

    private boolean received(int seq) {
        synchronized (received) {
            String prefix = "seq=" + seq + " ";
            for (int i = received.size() - 1; i >= 0; i--) {
                String m = received.get(i).getString(Fields.MESSAGE);
                if (m != null && m.startsWith(prefix)) {
                    return true;
                }
            }
            return false;
        }
    }

    private FileSourceConfig tailConfig(List<String> include) {
        return config("raw", "beginning", include).withRotation(256, Duration.ofMillis(200), Duration.ofHours(24));
    }

    /** Runs {@code body} on a thread and rethrows what it threw; joined with a deadline. */
    private static final class Writer implements AutoCloseable {
        private final Thread thread;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Writer(String name, ThrowingRunnable body) {
            thread = new Thread(() -> {
                try {
                    body.run();
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, name);
            thread.start();
        }

        void join(Duration timeout) throws Exception {
            thread.join(timeout.toMillis());
            if (thread.isAlive()) {
                throw new AssertionError("writer still running after " + timeout);
            }
            if (failure.get() != null) {
                throw new AssertionError("writer failed", failure.get());
            }
        }

        @Override
        public void close() {
            thread.interrupt();
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    // ---- rotation under continuous writes ----------------------------------------------------------

    /**
     * logrotate's default (rename, then create): a writer appends sequence-numbered lines without
     * pause and renames the file every 2000 lines (to {@code app.log.<k>}, not matched by
     * {@code include}) before creating a new one. Every renamed file is read to its end; every line
     * arrives exactly once. The writer waits before a rename until the source has read from the
     * current file: a file created and renamed away before any scan saw it cannot be read by
     * anyone (logrotate runs minutes apart, not milliseconds).
     */
    @Test
    void renameRotationUnderContinuousWritesLosesAndDuplicatesNothing() throws Exception {
        Path log = dir.resolve("rot/app.log");
        Files.createDirectories(log.getParent());
        Files.createFile(log);
        start(tailConfig(List.of(log.toString())));
        int total = 20_000;
        int every = 2_000;
        try (Writer w = new Writer("rename-writer", () -> {
            OutputStream os = Files.newOutputStream(log, StandardOpenOption.APPEND);
            int firstOfFile = 0;
            int k = 0;
            for (int i = 0; i < total; i++) {
                if (i - firstOfFile >= every) {
                    int first = firstOfFile;
                    Await.until(Duration.ofSeconds(20), "the source reads the current file", () -> received(first));
                    os.close();
                    Files.move(log, dir.resolve("rot/app.log." + (++k)));
                    os = Files.newOutputStream(log, StandardOpenOption.CREATE_NEW, StandardOpenOption.APPEND);
                    firstOfFile = i;
                }
                os.write(line(i).getBytes(StandardCharsets.UTF_8));
            }
            os.close();
        })) {
            w.join(Duration.ofSeconds(60));
        }
        Await.until(Duration.ofSeconds(30), total + " lines", () -> received.size() >= total);
        assertExactlyOnce(total);
        assertEquals(total, received.size());
        assertEquals(total, src().count("lines_read_total"));
        assertTrue(src().count("rotations_total") >= 9, "rotations seen: " + src().count("rotations_total"));
        Await.until(Duration.ofSeconds(10), "rotated files released", () -> src().gaugeValue("files_watched") == 1);
        Await.until(Duration.ofSeconds(10), "no lag", () -> src().gaugeValue("file_lag_bytes", "path", log.toString()) == 0);
        String text = metrics.renderPrometheus();
        assertTrue(text.contains("hakobu_file_lag_bytes{component_id=\"logs\",component_type=\"file\",path=\"" + log + "\"} 0"), text);
        assertTrue(text.contains("hakobu_lines_read_total{component_id=\"logs\",component_type=\"file\"} " + total), text);
    }

    /**
     * copytruncate under continuous writes, as logrotate does it: a writer appends sequence-numbered
     * lines without pause (one {@code write} per line, {@code O_APPEND}, up to 10,000 lines/s in bursts
     * of 10 a millisecond), and a rotator thread, every 2000 lines or so, copies the file with {@link Files#copy} to
     * {@code app.log.1} (replacing the previous copy) and then truncates it with
     * {@link FileChannel#truncate}, while the writer goes on writing. {@code include} matches the
     * live file only (the recommended setting).
     *
     * <p><b>The loss window.</b> When the source sees the truncation it reads what it had not read
     * from the copy, as the rest of the old stream, then the file again from 0. So the only lines
     * that can be lost are those written after the copy was made and before the truncation: in
     * neither the copy nor the truncated file. The rotator marks that window with a counter (odd
     * from just before the copy starts until the truncation returns) and the writer reads the
     * counter before and after each write: a line whose write may overlap a window is recorded as
     * a window line. The test asserts that every other line arrives exactly once and that a window
     * line arrives at most once (a window line may also arrive cut short, marked
     * {@code _TRUNCATED}, when the copy read it while it was being written: such a fragment is not
     * counted as the line), and prints how many truncations were continued from a copy, how many
     * bytes were read from copies, and how many window lines were lost. The rotator waits, before
     * the next rotation, until the source has read a line written after the truncation (rotations
     * are hours apart, not milliseconds: a file truncated twice before the source looks has lost
     * the first copy's reference, since the file's first bytes changed twice).
     */
    @Test
    void copytruncateUnderContinuousWritesLosesOnlyLinesWrittenBetweenCopyAndTruncate() throws Exception {
        Path log = dir.resolve("ct/app.log");
        Path copy = dir.resolve("ct/app.log.1");
        Files.createDirectories(log.getParent());
        Files.createFile(log);
        start(tailConfig(List.of(log.toString())));
        int total = 20_000;
        int every = 2_000;
        AtomicInteger window = new AtomicInteger(); // odd while the rotator copies and truncates
        AtomicInteger written = new AtomicInteger();
        AtomicInteger rotated = new AtomicInteger();
        java.util.Set<Integer> windowLines = java.util.concurrent.ConcurrentHashMap.newKeySet();
        try (Writer rotator = new Writer("copytruncate-rotator", () -> {
            for (int k = 1; k < total / every; k++) {
                int at = k * every;
                Await.until(Duration.ofSeconds(30), "line " + at + " written", () -> written.get() >= at);
                if (written.get() >= total - every / 4) {
                    break; // the writer is about done: a truncation now may have nothing after it
                }
                window.incrementAndGet();
                Files.copy(log, copy, StandardCopyOption.REPLACE_EXISTING);
                try (FileChannel t = FileChannel.open(log, StandardOpenOption.WRITE)) {
                    t.truncate(0);
                }
                window.incrementAndGet();
                rotated.incrementAndGet();
                // the next rotation once the source reads the new content (rotations are hours apart, not milliseconds)
                int after = written.get() + 1; // its write began after the truncation
                if (after >= total) {
                    break;
                }
                Await.until(Duration.ofSeconds(30), "line " + after + " read", () -> received(after));
            }
        }); Writer w = new Writer("copytruncate-writer", () -> {
            try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                for (int i = 0; i < total; i++) {
                    int before = window.get();
                    ch.write(ByteBuffer.wrap(line(i).getBytes(StandardCharsets.UTF_8)));
                    int after = window.get();
                    if (before != after || (before & 1) == 1) {
                        windowLines.add(i);
                    }
                    written.set(i + 1);
                    if (i % 10 == 9) {
                        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L); // pacing (< 10,000 lines/s), not a wait for a condition
                    }
                }
            }
        })) {
            w.join(Duration.ofSeconds(90));
            rotator.join(Duration.ofSeconds(60));
        }
        int rotations = rotated.get();
        assertTrue(rotations >= 5, "rotations: " + rotations);
        Await.until(Duration.ofSeconds(30), "the last line", () -> received(total - 1));
        Await.until(Duration.ofSeconds(10), "caught up", () -> src().gaugeValue("file_lag_bytes", "path", log.toString()) == 0
                && src().gaugeValue("files_watched") == 1);
        stop(); // drained: nothing more can arrive
        int[] count = counts(total);
        List<Integer> lost = new ArrayList<>();
        List<Integer> wrong = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            if (windowLines.contains(i) ? count[i] > 1 : count[i] != 1) {
                wrong.add(i);
            } else if (count[i] == 0) {
                lost.add(i);
            }
        }
        List<Integer> windowSorted = new ArrayList<>(windowLines);
        Collections.sort(windowSorted);
        assertEquals(List.of(), ranges(wrong), wrong.size()
                + " lines outside the windows lost or duplicated, or window lines duplicated; windows: " + ranges(windowSorted));
        long fragments;
        synchronized (received) {
            fragments = received.stream().filter(e -> e.has(Fields.TRUNCATED)).count();
        }
        assertTrue(fragments <= rotations, fragments + " lines cut short");
        assertEquals(rotations, src().count("truncations_total"));
        long copies = src().count("truncation_copies_total");
        assertTrue(copies >= 1, "no truncation was continued from its copy");
        System.out.println("copytruncate: " + total + " lines, " + rotations + " truncations, " + copies + " continued from a copy ("
                + src().count("truncation_copy_bytes_total") + " bytes read from copies), " + windowLines.size()
                + " lines written in the copy-truncate windows, " + lost.size() + " of them lost, " + fragments
                + " cut short by a copy; lost: " + lost.subList(0, Math.min(20, lost.size())));
    }

    /** Sorted numbers as ranges ("3-7"), for messages. */
    private static List<String> ranges(List<Integer> sorted) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < sorted.size() && out.size() < 50; ) {
            int j = i;
            while (j + 1 < sorted.size() && sorted.get(j + 1) == sorted.get(j) + 1) {
                j++;
            }
            out.add(i == j ? "" + sorted.get(i) : sorted.get(i) + "-" + sorted.get(j));
            i = j + 1;
        }
        return out;
    }

    /** How many times each sequence number in {@code [0, n)} was received (lines cut short not counted). */
    private int[] counts(int n) {
        int[] c = new int[n];
        for (int q : seqs(true)) {
            assertTrue(q >= 0 && q < n, "unexpected seq " + q);
            c[q]++;
        }
        return c;
    }

    /** A sink that stalls until {@code gate} opens: the source blocks in emit with its file partly read. */
    private Sink stalling(CountDownLatch gate) {
        return batches -> {
            if (!gate.await(60, TimeUnit.SECONDS)) {
                return CompletableFuture.completedFuture(DeliveryStatus.ERRORED);
            }
            for (Batch b : batches) {
                received.addAll(b.entries());
            }
            return CompletableFuture.completedFuture(DeliveryStatus.DELIVERED);
        };
    }

    /** Writes lines {@code [from, to)} to {@code p} and returns their bytes. */
    private static long appendLines(Path p, int from, int to) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            sb.append(line(i));
        }
        append(p, sb.toString());
        return sb.length();
    }

    /**
     * copytruncate while the source is far behind (its sink stalls): the source has read the first
     * 256 KiB of a 460 KB file when logrotate copies and truncates it and new lines come. The rest
     * of the old content is read from the copy, in the old stream at the same positions, then the
     * new content as the next generation: every line exactly once, none lost. {@code include}
     * matches the copy too ({@code app.log*}): the copy, starting like the live file, is held back
     * from discovery until the truncation is seen, read only from where the file was truncated,
     * then remembered as read to its end, so it is watched but never read again.
     */
    @Test
    void copytruncateWhileTheSourceIsBehindReadsTheRestFromTheCopy() throws Exception {
        Path log = dir.resolve("ctb/app.log");
        Path copy = dir.resolve("ctb/app.log.1");
        Files.createDirectories(log.getParent());
        int old = 10_000;
        long size = appendLines(log, 0, old);
        CountDownLatch gate = new CountDownLatch(1);
        start(tailConfig(List.of(dir + "/ctb/app.log*")), stalling(gate), new BufferConfig(200, 16L << 20, WhenFull.BLOCK));
        Await.until(Duration.ofSeconds(10), "the source blocked", () -> src().count("events_out_total") >= 400);
        Files.copy(log, copy);
        try (FileChannel t = FileChannel.open(log, StandardOpenOption.WRITE)) {
            t.truncate(0);
        }
        appendLines(log, old, old + 500);
        gate.countDown();
        int total = old + 500;
        Await.until(Duration.ofSeconds(20), total + " lines", () -> received.size() >= total);
        Await.until(Duration.ofSeconds(10), "the copy remembered as read and watched",
                () -> src().gaugeValue("files_watched") == 2 && checkpointOffset(copy) == size);
        Await.until(Duration.ofSeconds(10), "caught up", () -> src().gaugeValue("file_lag_bytes", "path", copy.toString()) == 0);
        stop();
        assertExactlyOnce(total);
        assertEquals(total, received.size());
        assertEquals(1, src().count("truncations_total"));
        assertEquals(1, src().count("truncation_copies_total"));
        long fromCopy = src().count("truncation_copy_bytes_total");
        assertTrue(fromCopy > 0 && fromCopy < size, "bytes read from the copy: " + fromCopy);
        assertEquals(0, src().count("truncation_unread_bytes_total"));
        List<LogEntry> all = new ArrayList<>(received);
        LogEntry lastOld = all.stream().filter(e -> e.getString(Fields.MESSAGE).startsWith("seq=" + (old - 1) + " ")).findFirst()
                .orElseThrow();
        assertEquals(size, lastOld.position(), "positions of the old stream, as if read from the file");
        assertEquals(log.toString(), lastOld.getString(Fields.FILE));
        assertEquals(1, all.stream().filter(e -> seqOf(e) < old).map(LogEntry::stream).distinct().count(), "one old stream");
        assertTrue(all.stream().filter(e -> seqOf(e) >= old).allMatch(e -> e.stream().endsWith("#1")), "the new generation");
        assertEquals(size, checkpointEntry(copy).path("offset").asLong(), "the copy is known as read to its end");
    }

    private static int seqOf(LogEntry e) {
        Matcher m = SEQ.matcher(e.getString(Fields.MESSAGE));
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    /**
     * Reads from a copy are checkpointed like any other, and the checkpoint moves on to the new
     * content only once all of the old is acknowledged. The sink holds its acknowledgements: the
     * source reads the first 256 KiB of a 460 KB file and blocks; the file is copied and truncated
     * and new lines come; acknowledgements are then given one write at a time (20 a second) until a checkpoint
     * falls inside the part read from the copy (old generation, past 256 KiB), which is kept: the
     * state a crash at that moment would leave. Once everything is acknowledged the checkpoint is on
     * the new generation. Then hakobu is started again from the kept checkpoint, as after that
     * crash: it reads the rest of the old content from the copy (same stream, same positions, so
     * the same {@code __ID}s) and the new content. The lines re-read are exactly those past the
     * kept offset: none of the lines acknowledged before it comes again, none is missing.
     */
    @Test
    void copyReadsAreCheckpointedAndACrashInTheMiddleResumesInTheCopy() throws Exception {
        Path log = dir.resolve("ctc/app.log");
        Path copy = dir.resolve("ctc/app.log.1");
        Files.createDirectories(log.getParent());
        int old = 10_000;
        int total = old + 500;
        long size = appendLines(log, 0, old);
        java.util.concurrent.BlockingQueue<CompletableFuture<DeliveryStatus>> pending = new java.util.concurrent.LinkedBlockingQueue<>();
        Sink holding = batches -> {
            for (Batch b : batches) {
                received.addAll(b.entries());
            }
            CompletableFuture<DeliveryStatus> f = new CompletableFuture<>();
            pending.add(f);
            return f;
        };
        FileSourceConfig cfg = tailConfig(List.of(log.toString()));
        start(cfg, holding, new BufferConfig(100, 16L << 20, WhenFull.BLOCK));
        Await.until(Duration.ofSeconds(10), "the source blocked", () -> src().count("events_out_total") >= 200);
        Files.copy(log, copy);
        try (FileChannel t = FileChannel.open(log, StandardOpenOption.WRITE)) {
            t.truncate(0);
        }
        appendLines(log, old, total);
        Path state = dir.resolve("state/checkpoints/source-logs.json");
        Path kept = dir.resolve("kept-checkpoint.json");
        String key = FileTail.keyOf(log);
        long keptOffset = -1;
        for (int i = 0; i < 100_000 && keptOffset < 0; i++) {
            CompletableFuture<DeliveryStatus> f = pending.poll(10, TimeUnit.SECONDS);
            assertTrue(f != null, "a write to acknowledge");
            f.complete(DeliveryStatus.DELIVERED);
            // pacing (writes of at most 100 lines, 20 a second), so that the checkpoint, saved once a second, is
            // saved while the copy is read
            java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
            if (Files.exists(state)) { // saved atomically (renamed into place): a copy is consistent
                Files.copy(state, kept, StandardCopyOption.REPLACE_EXISTING);
                JsonNode entry = new CheckpointStore(kept.getParent()).load("kept-checkpoint").path("files").path(key);
                long offset = entry.path("offset").asLong();
                if (entry.path("generation").asInt() == 0 && offset > 262_144 && offset < size) {
                    keptOffset = offset;
                }
            }
        }
        assertTrue(keptOffset > 262_144 && keptOffset < size, "kept a checkpoint inside the copy: " + keptOffset);
        try (Writer acker = new Writer("acker", () -> {
            while (!Thread.currentThread().isInterrupted()) {
                CompletableFuture<DeliveryStatus> f = pending.poll(100, TimeUnit.MILLISECONDS);
                if (f != null) {
                    f.complete(DeliveryStatus.DELIVERED);
                }
            }
        })) {
            Await.until(Duration.ofSeconds(20), total + " lines", () -> received.size() >= total);
            Await.until(Duration.ofSeconds(10), "the checkpoint on the new content", () -> {
                try {
                    return checkpointEntry(log).path("generation").asInt() == 1;
                } catch (IOException e) {
                    return false;
                }
            });
            stop();
        }
        assertExactlyOnce(total);
        assertEquals(1, src().count("truncation_copies_total"));
        Map<Integer, String> firstIds = new java.util.HashMap<>();
        for (LogEntry e : received) {
            firstIds.put(seqOf(e), e.getString(Fields.ID));
        }

        // a crash at the kept checkpoint: start again from it
        Files.copy(kept, state, StandardCopyOption.REPLACE_EXISTING);
        received.clear();
        start(cfg);
        List<Integer> expected = new ArrayList<>();
        long end = 0;
        for (int i = 0; i < old; i++) {
            end += line(i).length();
            if (end > keptOffset) {
                expected.add(i);
            }
        }
        for (int i = old; i < total; i++) {
            expected.add(i);
        }
        Await.until(Duration.ofSeconds(20), expected.size() + " lines again", () -> received.size() >= expected.size());
        Await.until(Duration.ofSeconds(10), "caught up", () -> src().gaugeValue("file_lag_bytes", "path", log.toString()) == 0);
        stop();
        List<Integer> again = new ArrayList<>(seqs());
        Collections.sort(again);
        assertEquals(expected, again, "re-read after the crash: exactly the lines past the kept offset " + keptOffset);
        for (LogEntry e : received) {
            assertEquals(firstIds.get(seqOf(e)), e.getString(Fields.ID), "the same __ID for line " + seqOf(e));
        }
        assertEquals(1, src().count("truncation_copies_total"), "the rest was read from the copy");
    }

    /**
     * copytruncate while hakobu is stopped: lines are appended, the file is copied and truncated,
     * and new lines come, all while hakobu is down. At the next start the checkpointed file no
     * longer starts with its fingerprinted bytes; its copy does and is longer than the checkpoint,
     * so the rest is read from the copy before the file is read from 0. With {@code include}
     * matching the copy, the known file claims its copy before discovery could take it for a new one.
     */
    @Test
    void copytruncateWhileStoppedIsFinishedFromTheCopy() throws Exception {
        Path log = dir.resolve("cts/app.log");
        Path copy = dir.resolve("cts/app.log-20261127");
        Files.createDirectories(log.getParent());
        long first = appendLines(log, 0, 100);
        FileSourceConfig cfg = tailConfig(List.of(dir + "/cts/app.log*"));
        start(cfg);
        Await.until(Duration.ofSeconds(10), "100 lines", () -> received.size() == 100);
        Await.until(Duration.ofSeconds(10), "checkpointed", () -> checkpointOffset(log) == first);
        stop();
        appendLines(log, 100, 200);
        Files.copy(log, copy);
        try (FileChannel t = FileChannel.open(log, StandardOpenOption.WRITE)) {
            t.truncate(0);
        }
        appendLines(log, 200, 250);
        start(cfg);
        Await.until(Duration.ofSeconds(10), "250 lines", () -> received.size() >= 250);
        Await.until(Duration.ofSeconds(10), "both watched", () -> src().gaugeValue("files_watched") == 2);
        stop();
        assertExactlyOnce(250);
        assertEquals(1, src().count("truncation_copies_total"));
        assertEquals(1, received.stream().filter(e -> seqOf(e) < 200).map(LogEntry::stream).distinct().count(), "one old stream");
    }

    /**
     * Plain truncation ({@code > app.log}) with no copy, while the source is behind: what it had
     * read is delivered (the line the truncation cut is kept, marked {@code _TRUNCATED}), the new
     * content is read, and the bytes it knew were there but had not read are counted in
     * {@code truncation_unread_bytes_total}, exactly: the file's size minus what was delivered. A
     * file with the very same bytes but a compressed name ({@code app.log.1.gz}) is never read as
     * the copy.
     */
    @Test
    void plainTruncationWithoutACopyCountsTheUnreadBytes() throws Exception {
        Path log = dir.resolve("pt/app.log");
        Files.createDirectories(log.getParent());
        int old = 10_000;
        long size = appendLines(log, 0, old);
        CountDownLatch gate = new CountDownLatch(1);
        start(tailConfig(List.of(log.toString())), stalling(gate), new BufferConfig(200, 16L << 20, WhenFull.BLOCK));
        Await.until(Duration.ofSeconds(10), "the source blocked", () -> src().count("events_out_total") >= 400);
        Files.copy(log, dir.resolve("pt/app.log.1.gz")); // the same bytes, but compressed by its name
        try (FileChannel t = FileChannel.open(log, StandardOpenOption.WRITE)) {
            t.truncate(0);
        }
        appendLines(log, old, old + 5);
        gate.countDown();
        Await.until(Duration.ofSeconds(20), "the new lines", () -> {
            for (int i = old; i < old + 5; i++) {
                if (!received(i)) {
                    return false;
                }
            }
            return true;
        });
        stop();
        int[] count = counts(old + 5);
        int prefix = 0;
        while (prefix < old && count[prefix] == 1) {
            prefix++;
        }
        for (int i = 0; i < old + 5; i++) {
            assertEquals(i < prefix || i >= old ? 1 : 0, count[i], "line " + i + " (" + prefix + " old lines delivered)");
        }
        assertTrue(prefix < old, "the source was behind");
        long delivered = 0;
        for (int i = 0; i < prefix; i++) {
            delivered += line(i).length();
        }
        long fragment;
        synchronized (received) {
            fragment = received.stream().filter(e -> e.has(Fields.TRUNCATED)).mapToLong(e -> e.getString(Fields.MESSAGE).length()).sum();
        }
        assertEquals(size - delivered - fragment, src().count("truncation_unread_bytes_total"), "unread bytes, exactly");
        assertTrue(src().count("truncation_unread_bytes_total") > 0);
        assertEquals(1, src().count("truncations_total"));
        assertEquals(0, src().count("truncation_copies_total"));
    }

    /**
     * Delete while open, under backpressure: the sink stalls, so the source blocks in emit with the
     * file half read; the file is deleted, its writer keeps appending to its open descriptor, and a
     * new file appears at the same path. Once the sink resumes, every line of both files arrives
     * exactly once: the deleted file stayed open, was read to its end, and was let go only after
     * {@code rotate_wait} without growth.
     */
    @Test
    void deletedWhileOpenAndBlockedBySinkIsReadToItsEnd() throws Exception {
        Path log = dir.resolve("del/app.log");
        Files.createDirectories(log.getParent());
        CountDownLatch gate = new CountDownLatch(1);
        Sink stalling = batches -> {
            if (!gate.await(60, TimeUnit.SECONDS)) {
                return CompletableFuture.completedFuture(DeliveryStatus.ERRORED);
            }
            for (Batch b : batches) {
                received.addAll(b.entries());
            }
            return CompletableFuture.completedFuture(DeliveryStatus.DELIVERED);
        };
        int first = 3_000;
        try (OutputStream os = Files.newOutputStream(log, StandardOpenOption.CREATE_NEW, StandardOpenOption.APPEND)) {
            for (int i = 0; i < first; i++) {
                os.write(line(i).getBytes(StandardCharsets.UTF_8));
            }
            os.flush();
            start(tailConfig(List.of(log.toString())), stalling, new BufferConfig(200, 16L << 20, WhenFull.BLOCK));
            // batches of 100: one in the stalled write, a few in the buffer, one blocked in emit
            // (the sink's writes take what is queued, so the count at which the source blocks varies a little)
            Await.until(Duration.ofSeconds(10), "the source blocked", () -> src().count("events_out_total") >= 400);
            Files.delete(log);
            for (int i = first; i < first + 1_000; i++) { // the writer still holds the deleted file
                os.write(line(i).getBytes(StandardCharsets.UTF_8));
            }
        }
        try (OutputStream os = Files.newOutputStream(log, StandardOpenOption.CREATE_NEW, StandardOpenOption.APPEND)) {
            for (int i = first + 1_000; i < first + 1_500; i++) {
                os.write(line(i).getBytes(StandardCharsets.UTF_8));
            }
        }
        assertTrue(src().count("events_out_total") < first, "the source is still blocked with most of the deleted file unread");
        gate.countDown();
        int total = first + 1_500;
        Await.until(Duration.ofSeconds(20), total + " lines", () -> received.size() >= total);
        assertExactlyOnce(total);
        Await.until(Duration.ofSeconds(10), "the deleted file released", () -> src().gaugeValue("files_watched") == 1);
    }

    // ---- identity ------------------------------------------------------------------------------

    private JsonNode checkpointEntry(Path file) throws IOException {
        JsonNode state = new CheckpointStore(dir.resolve("state/checkpoints")).load("source-logs");
        if (state == null) {
            return MissingNode.getInstance(); // not saved yet
        }
        return state.path("files").path(FileTail.keyOf(file));
    }

    private long checkpointOffset(Path file) {
        try {
            return checkpointEntry(file).path("offset").asLong(-1);
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * A file shorter than the fingerprint keeps its identity while it grows (the fingerprint is
     * extended, not mistaken for a new file), across restarts too.
     */
    @Test
    void fileShorterThanTheFingerprintThatGrowsIsNotANewFile() throws Exception {
        Path log = dir.resolve("short.log");
        FileSourceConfig cfg = config("raw", "beginning", List.of(log.toString())).withRotation(256, Duration.ofMillis(200),
                Duration.ofHours(24));
        append(log, line(0)); // 46 bytes, shorter than 256
        start(cfg);
        Await.until(Duration.ofSeconds(10), "1 line", () -> received.size() == 1);
        stop();
        assertEquals(Files.size(log), checkpointEntry(log).path("fingerprint_bytes").asInt(), "fingerprint of the whole short file");
        for (int i = 1; i < 4; i++) {
            append(log, line(i)); // still under 256 bytes... then past it
        }
        start(cfg);
        Await.until(Duration.ofSeconds(10), "4 lines", () -> received.size() == 4);
        for (int i = 4; i < 50; i++) {
            append(log, line(i));
        }
        Await.until(Duration.ofSeconds(10), "50 lines", () -> received.size() == 50);
        stop();
        assertExactlyOnce(50);
        assertEquals(0, src().count("files_replaced_total"));
        assertEquals(0, src().count("truncations_total"));
        assertEquals(256, checkpointEntry(log).path("fingerprint_bytes").asInt(), "fingerprint completed as the file grew");
        assertEquals(1, received.stream().map(LogEntry::stream).distinct().count(), "one stream throughout");
    }

    /** Two files with identical first lines (longer than the fingerprint) are two files: device and inode tell them apart. */
    @Test
    void filesWithIdenticalFirstLinesAreTwoFiles() throws Exception {
        String header = "seq=-1 " + "#".repeat(300) + " same header;\n";
        Path a = dir.resolve("same/a.log");
        Path b = dir.resolve("same/b.log");
        Files.createDirectories(a.getParent());
        append(a, header + line(0) + line(1));
        append(b, header + line(2) + line(3));
        FileSourceConfig cfg = config("raw", "beginning", List.of(dir + "/same/*.log"))
                .withRotation(256, Duration.ofMillis(200), Duration.ofHours(24));
        start(cfg);
        Await.until(Duration.ofSeconds(10), "6 entries", () -> received.size() == 6);
        stop();
        append(a, line(4));
        append(b, line(5));
        start(cfg);
        Await.until(Duration.ofSeconds(10), "2 more", () -> received.size() == 8);
        synchronized (received) {
            received.removeIf(e -> e.getString(Fields.MESSAGE).startsWith("seq=-1 "));
        }
        assertExactlyOnce(6);
        assertEquals(6, new java.util.HashSet<>(field(Fields.ID)).size(), "distinct ids");
        assertEquals(2, received.stream().map(LogEntry::stream).distinct().count(), "two streams");
    }

    /**
     * Inode reuse: a checkpointed identity (device and inode) whose first bytes no longer match its
     * fingerprint is a new file, read from 0 as a new stream, never resumed at the old offset. The
     * kernel cannot be made to hand out a given inode, so the test rewrites the same inode in place
     * while the source is stopped (longer than before, so the size alone would not tell): to the
     * source this is exactly a deleted file whose inode was reused.
     */
    @Test
    void reusedInodeWithOtherFirstBytesIsReadAsANewFile() throws Exception {
        Path log = dir.resolve("reuse.log");
        StringBuilder old = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            old.append("old line ").append(i).append('\n');
        }
        append(log, old.toString());
        FileSourceConfig cfg = config("raw", "beginning", List.of(log.toString()));
        start(cfg);
        Await.until(Duration.ofSeconds(10), "10 lines", () -> received.size() == 10);
        String oldStream = received.get(0).stream();
        stop();
        String key = FileTail.keyOf(log);
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
            ch.truncate(0);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 30; i++) {
                sb.append(line(i));
            }
            ch.write(ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8)));
        }
        assertEquals(key, FileTail.keyOf(log), "same identity");
        received.clear();
        start(cfg);
        Await.until(Duration.ofSeconds(10), "30 new lines", () -> received.size() == 30);
        assertExactlyOnce(30);
        assertEquals(1, src().count("files_replaced_total"));
        assertNotEquals(oldStream, received.get(0).stream(), "a new stream: sinks must not skip its lines");
    }

    /** A checkpoint written before fingerprints (no state_version) still loads, and keeps its stream names. */
    @Test
    void checkpointWithoutStateVersionStillLoads() throws Exception {
        Path log = dir.resolve("legacy.log");
        append(log, line(0) + line(1));
        long offset = Files.size(log);
        append(log, line(2));
        String key = FileTail.keyOf(log);
        CheckpointStore store = new CheckpointStore(dir.resolve("state/checkpoints"));
        ObjectNode state = store.json().createObjectNode();
        state.putObject("files").putObject(key).put("path", log.toString()).put("generation", 0).put("offset", offset);
        store.save("source-logs", state);
        start(config("raw", "beginning", List.of(log.toString())));
        Await.until(Duration.ofSeconds(10), "1 line", () -> received.size() == 1);
        assertEquals(List.of(2), seqs());
        assertEquals("file:" + key, received.get(0).stream(), "the stream name sinks already know");
        stop();
        JsonNode saved = store.load("source-logs");
        assertEquals(FileSource.STATE_VERSION, saved.path("state_version").asInt());
        assertEquals("file:" + key, saved.path("files").path(key).path("stream").asText());
    }

    /** Checkpoint entries of files no longer watched are forgotten after {@code forget_after}. */
    @Test
    void checkpointEntriesOfGoneFilesArePrunedAfterForgetAfter() throws Exception {
        Path a = dir.resolve("prune/a.log");
        Path b = dir.resolve("prune/b.log");
        Files.createDirectories(a.getParent());
        append(a, line(0));
        append(b, line(1));
        String keyA = FileTail.keyOf(a);
        String keyB = FileTail.keyOf(b);
        start(config("raw", "beginning", List.of(dir + "/prune/*.log"))
                .withRotation(256, Duration.ofMillis(100), Duration.ofMillis(500)));
        Await.until(Duration.ofSeconds(10), "2 lines", () -> received.size() == 2);
        Await.until(Duration.ofSeconds(10), "both checkpointed", () -> checkpointFiles().containsAll(List.of(keyA, keyB)));
        Files.delete(a);
        Await.until(Duration.ofSeconds(10), "a forgotten", () -> !checkpointFiles().contains(keyA));
        assertTrue(checkpointFiles().contains(keyB), "a watched file is never forgotten");
    }

    private List<String> checkpointFiles() {
        try {
            JsonNode state = new CheckpointStore(dir.resolve("state/checkpoints")).load("source-logs");
            List<String> keys = new ArrayList<>();
            if (state != null) {
                state.path("files").fieldNames().forEachRemaining(keys::add);
            }
            return keys;
        } catch (IOException e) {
            return List.of();
        }
    }

    // ---- lines ---------------------------------------------------------------------------------

    /** A 10 MiB line (under max_line_bytes) arrives whole, between its neighbours, counted once. */
    @Test
    void tenMebibyteLineArrivesWhole() throws Exception {
        Path log = dir.resolve("big.log");
        String big = "seq=1 " + "x".repeat(10 << 20) + ";";
        append(log, line(0) + big + "\n" + line(2));
        start(new FileSourceConfig(List.of(log.toString()), List.of(), "raw", false, "beginning", Map.of(), 16L << 20,
                Duration.ofMillis(50), Duration.ofMillis(10), 100, null));
        Await.until(Duration.ofSeconds(20), "3 lines", () -> received.size() == 3);
        assertExactlyOnce(3);
        assertEquals(big, received.get(1).getString(Fields.MESSAGE));
        assertNull(received.get(1).get(Fields.TRUNCATED));
        assertEquals(0, src().count("lines_truncated_total"));
    }

    /**
     * A file in a directory created after the start, matched by {@code **}, is found through
     * filesystem notifications: the periodic rescan is an hour away.
     */
    @Test
    void fileInANewDirectoryIsFoundByNotification() throws Exception {
        Path base = dir.resolve("tree");
        Files.createDirectories(base);
        start(new FileSourceConfig(List.of(base + "/**.log"), List.of("*.gz"), "raw", false, "beginning", Map.of(), 1024,
                Duration.ofHours(1), Duration.ofMillis(10), 100, null));
        Await.until(Duration.ofSeconds(10), "the base watched", () -> src().gaugeValue("directories_watched") >= 1);
        Path deep = base.resolve("a/b/c/app.log");
        Files.createDirectories(deep.getParent());
        append(deep, line(0) + line(1));
        Await.until(Duration.ofSeconds(10), "2 lines", () -> received.size() == 2);
        append(base.resolve("a/b/other.log"), line(2));
        append(base.resolve("a/b/ignored.log.gz"), "garbage\n");
        Await.until(Duration.ofSeconds(10), "3 lines", () -> received.size() == 3);
        assertExactlyOnce(3);
    }

    // ---- multiline -----------------------------------------------------------------------------

    private FileSourceConfig multilineConfig(Path log, Duration timeout) {
        return config("raw", "beginning", List.of(log.toString()))
                .withMultiline(new FileSourceConfig.Multiline(Pattern.compile("^\\d{4}-"), timeout, 1000, 1 << 20));
    }

    @Test
    void multilineJoinsContinuationLinesAndFlushesOnTimeout() throws Exception {
        Path log = dir.resolve("ml.log");
        append(log, "  orphan continuation\n2026-01-01 boom\r\n  at a.b(C.java:1)\r\n  at d.e(F.java:2)\r\n2026-01-01 next\n");
        start(multilineConfig(log, Duration.ofMillis(200)));
        Await.until(Duration.ofSeconds(10), "3 entries, the last by timeout", () -> received.size() == 3);
        assertEquals(List.of("  orphan continuation", "2026-01-01 boom\n  at a.b(C.java:1)\n  at d.e(F.java:2)", "2026-01-01 next"),
                field(Fields.MESSAGE));
        assertEquals(Files.size(log), received.get(2).position(), "an entry's position is the end of its last line");
        assertEquals(5, src().count("lines_read_total"));
    }

    /**
     * The checkpoint never passes the first byte of an entry still being built: stopped in the
     * middle of one, hakobu re-reads it whole at the next start, and emits it once.
     */
    @Test
    void checkpointNeverPassesAnIncompleteMultilineEntry() throws Exception {
        Path log = dir.resolve("mlc.log");
        String first = "2026-01-01 one\n  cont 1\n";
        append(log, first + "2026-01-02 two\n  cont 2a\n");
        FileSourceConfig cfg = multilineConfig(log, Duration.ofHours(1));
        start(cfg);
        Await.until(Duration.ofSeconds(10), "the first entry", () -> received.size() == 1);
        Await.until(Duration.ofSeconds(10), "its checkpoint", () -> checkpointOffset(log) == first.length());
        stop();
        assertEquals(first.length(), checkpointEntry(log).path("offset").asLong(), "not past the entry being built");
        append(log, "  cont 2b\n2026-01-03 three\n");
        start(cfg);
        Await.until(Duration.ofSeconds(10), "the second entry", () -> received.size() == 2);
        assertEquals(List.of("2026-01-01 one\n  cont 1", "2026-01-02 two\n  cont 2a\n  cont 2b"), field(Fields.MESSAGE));
    }

    @Test
    void multilineConfigErrorsNameTheKey() throws Exception {
        ConfigProblems problems = new ConfigProblems();
        ConfigNode root = new YamlConfigLoader(k -> null).parse("t.yaml", new StringReader(String.join("\n",
                "include: [\"/var/log/app/*.log\"]",
                "multiline: {start_pattern: '^(\\d{4}', timeout: 0s, max_line: 5}",
                "fingerprint_bytes: 0",
                "")), problems);
        new FileSourceFactory().parse(ConfigMap.of(root, problems));
        List<String> all = problems.all();
        assertTrue(all.stream().anyMatch(p -> p.startsWith("t.yaml:2: multiline.start_pattern: not a valid regular expression")), all::toString);
        assertTrue(all.stream().anyMatch(p -> p.startsWith("t.yaml:2: multiline.timeout: must be positive")), all::toString);
        assertTrue(all.stream().anyMatch(p -> p.startsWith("t.yaml:2: multiline.max_line: unknown key (did you mean 'max_lines'?)")), all::toString);
        assertTrue(all.stream().anyMatch(p -> p.startsWith("t.yaml:3: fingerprint_bytes: expected an integer between 1 and 65536")), all::toString);
    }

    // ---- fairness ------------------------------------------------------------------------------

    /**
     * One busy file cannot starve the others: each file emits at most {@code batch_events} lines
     * per turn, so the small files' lines arrive within the first rounds although the busy file
     * (first in scan order) has 50,000 lines waiting.
     */
    @Test
    void busyFileDoesNotStarveTheOthers() throws Exception {
        Path busy = dir.resolve("fair/a-busy.log");
        Files.createDirectories(busy.getParent());
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 50_000; i++) {
            sb.append(line(i));
        }
        append(busy, sb.toString());
        for (int f = 0; f < 2; f++) {
            StringBuilder small = new StringBuilder();
            for (int i = 0; i < 5; i++) {
                small.append(line(50_000 + f * 5 + i));
            }
            append(dir.resolve("fair/b-small-" + f + ".log"), small.toString());
        }
        start(config("raw", "beginning", List.of(dir + "/fair/*.log")));
        Await.until(Duration.ofSeconds(30), "every line", () -> received.size() == 50_010);
        assertExactlyOnce(50_010);
        List<Integer> order = seqs();
        int lastSmall = 0;
        for (int i = 0; i < order.size(); i++) {
            if (order.get(i) >= 50_000) {
                lastSmall = i;
            }
        }
        // round 1: 100 busy lines, then 5 + 5 small ones
        assertTrue(lastSmall < 110, "the small files' last line came at " + lastSmall);
    }

    @Test
    void idleFilesKeepSmallReadBuffersAndABusyOneGivesItsLargeOneBack() throws Exception {
        int quiet = 10;
        for (int i = 0; i < quiet; i++) {
            append(dir.resolve("q" + i + ".log"), line(i));
        }
        Path busy = dir.resolve("busy.log");
        int lines = 20_000; // about 1.2 MB: reads fill the small buffer, so it grows
        StringBuilder sb = new StringBuilder();
        for (int i = quiet; i < quiet + lines; i++) {
            sb.append(line(i));
        }
        append(busy, sb.toString());
        start(config("raw", "beginning", List.of(dir + "/*.log")));
        Await.until(Duration.ofSeconds(20), "every line", () -> received.size() == quiet + lines);
        List<Integer> got = new ArrayList<>(seqs());
        Collections.sort(got);
        for (int i = 0; i < got.size(); i++) {
            assertEquals(i, got.get(i), "each line once");
        }
        long small = FileTail.IDLE_BUFFER;
        Await.until(Duration.ofSeconds(5), "the gauge counts the grown buffer",
                () -> src().gaugeValue("read_buffer_bytes") >= quiet * small + FileTail.READ_CHUNK);
        // quiet for IDLE_BUFFER_NANOS (5 s): the busy file's buffer shrinks back
        Await.until(Duration.ofSeconds(20), "every file back to the small buffer",
                () -> src().gaugeValue("read_buffer_bytes") == (quiet + 1) * small);
        append(busy, line(quiet + lines));
        Await.until(Duration.ofSeconds(10), "a line after the shrink", () -> received.size() == quiet + lines + 1);
        assertEquals(quiet + lines, seqs().get(quiet + lines));
    }
}
