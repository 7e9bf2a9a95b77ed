package io.hakobu.sinks.file;

import static io.hakobu.sinks.TestSinkContext.batch;
import static io.hakobu.sinks.TestSinkContext.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hakobu.core.buffer.RecordCodec;
import io.hakobu.core.checkpoint.CheckpointStore;
import io.hakobu.core.codec.ByteBuilder;
import io.hakobu.core.codec.NdjsonEncoder;
import io.hakobu.core.pipeline.BatchAck;
import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import io.hakobu.core.pipeline.Batch;
import io.hakobu.core.pipeline.DeliveryStatus;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.sinks.TestSinkContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file sink, including its exactly-once behaviour across simulated crashes. A "crash" is a
 * sink abandoned without {@code close()}; a "restart" is a new sink and context on the same data
 * directory.
 */
class FileSinkTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SINK_ID = "files";

    @TempDir
    Path dir;
    private Path data;
    private Path out;
    private TestSinkContext ctx;

    @BeforeEach
    void setUp() {
        data = dir.resolve("data");
        out = dir.resolve("out");
    }

    // ---- fixtures ----------------------------------------------------------------------------

    private FileSink sink(String template, String encoding) {
        return sink(template, encoding, 256, FileSink.DEFAULT_OPENER, FileSink.DEFAULT_MAX_STREAMS,
                FileSink.DEFAULT_MAX_TRACKED_FILES);
    }

    private FileSink sink(String template, String encoding, int maxOpenFiles, FileSink.ChannelOpener opener,
                          int maxStreams, int maxTrackedFiles) {
        FileSinkConfig config = new FileSinkConfig(PathTemplate.parse(template), encoding, true, maxOpenFiles);
        return new FileSink(SINK_ID, config, new NodeInfo("test-node", data), opener, maxStreams, maxTrackedFiles);
    }

    /** Starts a sink as a new process would: a fresh context (and metrics) on the same data dir. */
    private FileSink started(FileSink sink) throws Exception {
        ctx = new TestSinkContext(SINK_ID, "file", data);
        sink.start(ctx);
        return sink;
    }

    private FileSink startedNdjson() throws Exception {
        return started(sink(out + "/{_HOSTNAME}/{_SOURCE}.log", "ndjson"));
    }

    /** Entry number {@code n} of a stream: {@code MESSAGE=<stream>-<n>} at position {@code n * 100}. */
    private static LogEntry line(String host, String stream, int n) {
        return new LogEntry()
                .add(Fields.MESSAGE, stream + "-" + n)
                .add(Fields.HOSTNAME, host)
                .add(Fields.SOURCE, "app")
                .origin(stream, n * 100L);
    }

    /** Entries {@code from..to} (inclusive) of one stream as one batch from source {@code app}. */
    private static Batch lines(String host, String stream, int from, int to) {
        List<LogEntry> entries = new ArrayList<>();
        for (int n = from; n <= to; n++) {
            entries.add(line(host, stream, n));
        }
        return batch("app", entries);
    }

    private Path fileOf(String host) {
        return out.resolve(host).resolve("app.log");
    }

    /** The MESSAGE of every NDJSON line of a file. */
    private static List<String> messages(Path file) throws IOException {
        List<String> result = new ArrayList<>();
        for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            result.add(JSON.readTree(l).get(Fields.MESSAGE).asText());
        }
        return result;
    }

    private static List<String> expected(String stream, int from, int to) {
        List<String> result = new ArrayList<>();
        for (int n = from; n <= to; n++) {
            result.add(stream + "-" + n);
        }
        return result;
    }

    private JsonNode checkpoint() throws IOException {
        return new CheckpointStore(data.resolve("checkpoints")).load("sink-" + SINK_ID);
    }

    private static void appendGarbage(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    /** Makes checkpoint saves fail (a file where the directory should be); returns how to undo it. */
    private AutoCloseable breakCheckpoints() throws IOException {
        Path cp = data.resolve("checkpoints");
        Path aside = data.resolve("checkpoints.aside");
        Files.move(cp, aside);
        Files.writeString(cp, "in the way");
        return () -> {
            Files.delete(cp);
            Files.move(aside, cp);
        };
    }

    // ---- basics ------------------------------------------------------------------------------

    @Test
    void writesNdjsonPerFileAndCheckpointsLengthsAndPositions() throws Exception {
        FileSink sink = startedNdjson();
        assertEquals(DeliveryStatus.DELIVERED, write(sink, lines("web-01", "s1", 1, 3), lines("web-02", "s2", 1, 2)));
        assertEquals(DeliveryStatus.DELIVERED, write(sink, lines("web-01", "s1", 4, 4)));
        assertEquals(expected("s1", 1, 4), messages(fileOf("web-01")));
        assertEquals(expected("s2", 1, 2), messages(fileOf("web-02")));
        JsonNode first = JSON.readTree(Files.readAllLines(fileOf("web-01")).get(0));
        assertEquals("web-01", first.get(Fields.HOSTNAME).asText());

        assertEquals(6, ctx.count("events_out_total"));
        assertEquals(Files.size(fileOf("web-01")) + Files.size(fileOf("web-02")), ctx.count("bytes_out_total"));
        assertEquals(0, ctx.count("events_deduplicated_total"));
        assertEquals(2, ctx.gauge("files_open"));

        JsonNode cp = checkpoint();
        assertEquals(2, cp.get("files").size());
        for (JsonNode f : cp.get("files")) {
            assertEquals(Files.size(Path.of(f.get("path").asText())), f.get("length").asLong());
        }
        assertEquals(fileOf("web-01").toString(), cp.get("files").get(1).get("path").asText(), "most recent last");
        assertEquals(JSON.readTree("[{\"source\":\"app\",\"stream\":\"s2\",\"position\":200},"
                + "{\"source\":\"app\",\"stream\":\"s1\",\"position\":400}]"), cp.get("streams"));
        sink.close();
        assertEquals(0, ctx.gauge("files_open"));
    }

    @Test
    void ltsvAndRawEncodings() throws Exception {
        FileSink ltsv = started(sink(out + "/ltsv.log", "ltsv"));
        write(ltsv, lines("web-01", "s1", 1, 2));
        ltsv.close();
        assertEquals(List.of("MESSAGE:s1-1\t_HOSTNAME:web-01\t_SOURCE:app", "MESSAGE:s1-2\t_HOSTNAME:web-01\t_SOURCE:app"),
                Files.readAllLines(out.resolve("ltsv.log")));

        data = dir.resolve("data-raw");
        FileSink raw = started(sink(out + "/raw.log", "raw"));
        LogEntry multi = new LogEntry().add(Fields.MESSAGE, "first\nsecond").origin("s9", 1);
        LogEntry noMessage = new LogEntry().add("status", 200L).origin("s9", 2);
        write(raw, batch("app", List.of(multi, noMessage)));
        raw.close();
        assertEquals("first\\nsecond\n{\"status\":200}\n", Files.readString(out.resolve("raw.log")));
    }

    @Test
    void relativePathsAreUnderTheDataDirectory() throws Exception {
        FileSink sink = started(sink("archive/{_HOSTNAME}.log", "raw"));
        write(sink, lines("web-01", "s1", 1, 1));
        sink.close();
        assertEquals(List.of("s1-1"), Files.readAllLines(data.resolve("archive/web-01.log")));
    }

    @Test
    void hostileFieldValuesStayInsideTheDirectory() throws Exception {
        FileSink sink = startedNdjson();
        for (String host : List.of("..", "../../escape", "/etc", ".", "a/../../b", "")) {
            assertEquals(DeliveryStatus.DELIVERED, write(sink, batch("app", List.of(
                    new LogEntry().add(Fields.HOSTNAME, host).add(Fields.SOURCE, "..").add(Fields.MESSAGE, "m")))));
        }
        sink.close();
        List<Path> written;
        try (Stream<Path> s = Files.walk(dir)) {
            written = s.filter(Files::isRegularFile).filter(p -> !p.startsWith(data)).toList();
        }
        assertEquals(5, written.size(), written.toString()); // "" and "." both render as "_"
        for (Path p : written) {
            assertTrue(p.startsWith(out) && p.getNameCount() == out.getNameCount() + 2, p.toString());
        }
        assertTrue(Files.exists(out.resolve("__/...log")), "'..' + '.log' is a plain file name");
        assertTrue(Files.exists(out.resolve(".._.._escape/...log")));
        assertTrue(Files.exists(out.resolve("_etc/...log")));
        assertTrue(Files.exists(out.resolve("a_.._.._b/...log")));
        assertEquals(2, Files.readAllLines(out.resolve("_/...log")).size());
    }

    @Test
    void appendsToAFileThatAlreadyExisted() throws Exception {
        Path file = fileOf("web-01");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "{\"MESSAGE\":\"old\"}\n");
        FileSink sink = startedNdjson();
        write(sink, lines("web-01", "s1", 1, 2));
        // crash with a torn record, then restart: the pre-existing content and the committed lines stay
        appendGarbage(file, "{\"MESSAGE\":\"torn");
        FileSink restarted = startedNdjson();
        write(restarted, lines("web-01", "s1", 1, 3));
        restarted.close();
        List<String> all = new ArrayList<>(List.of("old"));
        all.addAll(expected("s1", 1, 3));
        assertEquals(all, messages(file));
    }

    @Test
    void entriesWithoutOriginAreAlwaysWritten() throws Exception {
        FileSink sink = started(sink(out + "/all.log", "raw"));
        Batch b = batch("app", List.of(new LogEntry().add(Fields.MESSAGE, "no stream"),
                new LogEntry().add(Fields.MESSAGE, "no position").origin("s", -1)));
        write(sink, b);
        write(sink, b);
        sink.close();
        assertEquals(List.of("no stream", "no position", "no stream", "no position"),
                Files.readAllLines(out.resolve("all.log")));
    }

    @Test
    void aRepeatWithinOneWriteIsWrittenOnce() throws Exception {
        FileSink sink = startedNdjson();
        Batch b = lines("web-01", "s1", 1, 3);
        assertEquals(DeliveryStatus.DELIVERED, write(sink, b, b, lines("web-01", "s1", 2, 5)));
        assertEquals(expected("s1", 1, 5), messages(fileOf("web-01")));
        assertEquals(5, ctx.count("events_out_total"));
        assertEquals(5, ctx.count("events_deduplicated_total"));
    }

    @Test
    void theSameStreamFromTwoSourcesIsNotADuplicate() throws Exception {
        FileSink sink = started(sink(out + "/all.log", "raw"));
        LogEntry a = new LogEntry().add(Fields.MESSAGE, "from a").origin("file:1:2", 100);
        LogEntry b = new LogEntry().add(Fields.MESSAGE, "from b").origin("file:1:2", 100);
        write(sink, batch("a", List.of(a)), batch("b", List.of(b)));
        sink.close();
        assertEquals(List.of("from a", "from b"), Files.readAllLines(out.resolve("all.log")));
    }

    /** Entries {@code from..to} of one stream as one disk-buffer record, handed over undecoded. */
    private static Batch encoded(String host, String stream, int from, int to) {
        List<LogEntry> entries = lines(host, stream, from, to).entries();
        ByteBuilder record = new ByteBuilder();
        new RecordCodec().encode(from, "app", entries, 0, entries.size(), record);
        return Batch.encoded("app", record.toByteArray(), entries.size(), record.length(), BatchAck.none(), from);
    }

    @Test
    void recordsFromTheDiskBufferAreWrittenUndecodedWithTheSameBytesAndDeduplicated() throws Exception {
        // only ndjson with a path without placeholders takes records undecoded
        assertFalse(startedNdjson().acceptsEncoded());
        assertFalse(started(sink(out + "/all.log", "raw")).acceptsEncoded());
        FileSink sink = started(sink(out + "/all.ndjson", "ndjson"));
        assertTrue(sink.acceptsEncoded());

        // encoded and decoded batches mixed in one write, with repeats inside and across them
        assertEquals(DeliveryStatus.DELIVERED, write(sink, encoded("web-01", "s1", 1, 3), lines("web-01", "s1", 2, 5),
                encoded("web-01", "s1", 4, 7), encoded("web-02", "s2", 1, 2)));
        assertEquals(DeliveryStatus.DELIVERED, write(sink, encoded("web-01", "s1", 1, 8)));
        sink.close();
        List<String> want = new ArrayList<>(expected("s1", 1, 7));
        want.addAll(expected("s2", 1, 2));
        want.add("s1-8");
        Path file = out.resolve("all.ndjson");
        assertEquals(want, messages(file));
        assertEquals(10, ctx.count("events_out_total"));
        assertEquals(4 + 7, ctx.count("events_deduplicated_total"));

        // the bytes are what the ndjson encoder writes for the same entries
        ByteBuilder want2 = new ByteBuilder();
        NdjsonEncoder enc = new NdjsonEncoder();
        for (Batch b : List.of(lines("web-01", "s1", 1, 7), lines("web-02", "s2", 1, 2), lines("web-01", "s1", 8, 8))) {
            for (LogEntry e : b.entries()) {
                enc.encode(e, want2);
            }
        }
        assertEquals(want2.toString(), Files.readString(file));
    }

    // ---- exactly-once across crashes -----------------------------------------------------------

    @Test
    void restartTruncatesUncommittedBytesAndSkipsWhatWasWritten() throws Exception {
        FileSink first = startedNdjson();
        assertEquals(DeliveryStatus.DELIVERED, write(first, lines("web-01", "s1", 1, 3), lines("web-02", "s2", 1, 2)));
        long committed = Files.size(fileOf("web-01"));
        // SIGKILL in the middle of the next write: bytes reached the files, the checkpoint did not move
        appendGarbage(fileOf("web-01"), "{\"MESSAGE\":\"s1-4\"}\n{\"MESSAGE\":\"s1-5\",\"_HOSTN");
        appendGarbage(fileOf("web-02"), "{\"MESSAGE\":\"s2-3\"}\n");

        FileSink second = startedNdjson();
        assertEquals(committed, Files.size(fileOf("web-01")), "cut back at start");
        assertEquals(expected("s2", 1, 2), messages(fileOf("web-02")));
        // the source's checkpoint lagged: it sends everything again, and more
        assertEquals(DeliveryStatus.DELIVERED,
                write(second, lines("web-01", "s1", 1, 5), lines("web-02", "s2", 1, 3)));
        second.close();
        assertEquals(expected("s1", 1, 5), messages(fileOf("web-01")));
        assertEquals(expected("s2", 1, 3), messages(fileOf("web-02")));
        assertEquals(5, ctx.count("events_deduplicated_total"));
        assertEquals(3, ctx.count("events_out_total"));
    }

    @Test
    void crashBetweenAppendAndCheckpointIsUndoneOnRestart() throws Exception {
        FileSink first = startedNdjson();
        write(first, lines("web-01", "s1", 1, 2));
        AutoCloseable repair = breakCheckpoints();
        // the bytes are appended and fsynced, then the checkpoint save fails
        assertEquals(DeliveryStatus.ERRORED, write(first, lines("web-01", "s1", 3, 4)));
        assertEquals(expected("s1", 1, 4), messages(fileOf("web-01")), "bytes beyond the committed length");
        // ... and the process dies before the retry
        repair.close();

        FileSink second = startedNdjson();
        assertEquals(expected("s1", 1, 2), messages(fileOf("web-01")));
        assertEquals(DeliveryStatus.DELIVERED, write(second, lines("web-01", "s1", 1, 4)));
        second.close();
        assertEquals(expected("s1", 1, 4), messages(fileOf("web-01")));
    }

    @Test
    void aFailedCheckpointSaveIsRepairedByTheRetry() throws Exception {
        FileSink sink = startedNdjson();
        write(sink, lines("web-01", "s1", 1, 2));
        AutoCloseable repair = breakCheckpoints();
        Batch b = lines("web-01", "s1", 3, 4);
        assertEquals(DeliveryStatus.ERRORED, write(sink, b));
        assertEquals(DeliveryStatus.ERRORED, write(sink, b), "still cannot save");
        repair.close();
        assertEquals(DeliveryStatus.DELIVERED, write(sink, b), "the runner's retry of the same batch");
        assertEquals(expected("s1", 1, 4), messages(fileOf("web-01")));
        assertEquals(Files.size(fileOf("web-01")), checkpoint().get("files").get(0).get("length").asLong());
        assertEquals(400, checkpoint().get("streams").get(0).get("position").asLong());
        // and a crash now keeps everything
        FileSink restarted = startedNdjson();
        write(restarted, lines("web-01", "s1", 1, 5));
        restarted.close();
        assertEquals(expected("s1", 1, 5), messages(fileOf("web-01")));
    }

    @Test
    void crashDuringTheFirstWriteToANewFile() throws Exception {
        // the opener runs after the checkpoint recorded the new file (length 0) and before bytes are
        // written; breaking the checkpoint store there makes the final save fail, as if the process died
        AutoCloseable[] repair = new AutoCloseable[1];
        FileSink.ChannelOpener breaking = path -> {
            repair[0] = breakCheckpoints();
            return FileSink.DEFAULT_OPENER.open(path);
        };
        FileSink first = started(sink(out + "/{_HOSTNAME}/{_SOURCE}.log", "ndjson", 256, breaking, 100, 100));
        assertEquals(DeliveryStatus.ERRORED, write(first, lines("web-01", "s1", 1, 3)));
        assertEquals(expected("s1", 1, 3), messages(fileOf("web-01")));
        repair[0].close();
        assertEquals(0, checkpoint().get("files").get(0).get("length").asLong(), "recorded before writing");

        FileSink second = startedNdjson();
        assertEquals(0, Files.size(fileOf("web-01")));
        write(second, lines("web-01", "s1", 1, 3));
        second.close();
        assertEquals(expected("s1", 1, 3), messages(fileOf("web-01")));
    }

    /**
     * Writes lines 2..{@code last1} of web-01 and 1..{@code last2} of web-02 in one write whose
     * web-02 file cannot be opened (an injected ENOSPC): the write fails and web-01 is cut back to
     * what an earlier write committed; the retry, once the disk is fixed, writes everything once.
     */
    private void aFailedWriteIsCutBackAndRetriedOnce(int last1, int last2) throws Exception {
        boolean[] fail = {true};
        FileSink.ChannelOpener flaky = path -> {
            if (fail[0] && path.toString().contains("web-02")) {
                throw new IOException("No space left on device (injected)");
            }
            return FileSink.DEFAULT_OPENER.open(path);
        };
        FileSink sink = started(sink(out + "/{_HOSTNAME}/{_SOURCE}.log", "ndjson", 256, flaky, 100, 100));
        write(sink, lines("web-01", "s1", 1, 1));
        long before = Files.size(fileOf("web-01"));
        Batch retried1 = lines("web-01", "s1", 2, last1);
        Batch retried2 = lines("web-02", "s2", 1, last2);
        assertEquals(DeliveryStatus.ERRORED, write(sink, retried1, retried2));
        assertEquals(before, Files.size(fileOf("web-01")), "web-01 was written (and fsynced), then cut back");
        assertEquals(1, ctx.count("events_out_total"));
        fail[0] = false;
        assertEquals(DeliveryStatus.DELIVERED, write(sink, retried1, retried2));
        sink.close();
        assertEquals(expected("s1", 1, last1), messages(fileOf("web-01")));
        assertEquals(expected("s2", 1, last2), messages(fileOf("web-02")));
        assertEquals(0, ctx.count("events_deduplicated_total"));
    }

    @Test
    void anIoErrorCutsEveryFileOfTheWriteBackAndTheRetryWritesOnce() throws Exception {
        aFailedWriteIsCutBackAndRetriedOnce(3, 2);
    }

    @Test
    void aWriteLargerThanTheEncodingBufferIsAppendedInPartsAndCutBackWhole() throws Exception {
        // 40,000 lines of about 60 bytes per file: each file's bytes are appended in parts while
        // encoding, so web-01 has parts on disk when web-02 fails
        aFailedWriteIsCutBackAndRetriedOnce(40_000, 40_000);
        assertTrue(Files.size(fileOf("web-02")) > 2 << 20, "more than one part: " + Files.size(fileOf("web-02")));
        JsonNode cp = checkpoint();
        for (JsonNode f : cp.get("files")) {
            assertEquals(Files.size(Path.of(f.get("path").asText())), f.get("length").asLong());
        }
    }

    /**
     * A large write's parts are fsynced by the sink's sync-behind thread while it goes on
     * encoding. Such an fsync's error is the write's: Linux reports it once, so the write's own
     * fsync on the same channel would not see it. The write fails, is cut back, and the retry
     * writes everything once.
     */
    @Test
    void aFailedBackgroundFsyncFailsTheWriteWhichIsCutBackAndRetriedOnce() throws Exception {
        AtomicBoolean fail = new AtomicBoolean();
        AtomicInteger behind = new AtomicInteger();
        FileSink.ChannelOpener opener = path -> new ForceFailingChannel(FileSink.DEFAULT_OPENER.open(path), fail, behind);
        FileSink sink = started(sink(out + "/{_HOSTNAME}/{_SOURCE}.log", "ndjson", 256, opener, 100, 100));
        write(sink, lines("web-01", "s1", 1, 1));
        long before = Files.size(fileOf("web-01"));

        // 40,000 lines of about 60 bytes per file: parts are appended (and synced behind) while encoding
        Batch b1 = lines("web-01", "s1", 2, 40_000);
        Batch b2 = lines("web-02", "s2", 1, 40_000);
        fail.set(true);
        assertEquals(DeliveryStatus.ERRORED, write(sink, b1, b2));
        assertTrue(behind.get() > 0, "parts were synced behind the encoding");
        assertEquals(before, Files.size(fileOf("web-01")), "cut back to what was committed");
        assertEquals(0, Files.size(fileOf("web-02")));
        assertEquals(1, ctx.count("events_out_total"));

        fail.set(false);
        int failedSyncs = behind.get();
        assertEquals(DeliveryStatus.DELIVERED, write(sink, b1, b2));
        assertTrue(behind.get() > failedSyncs, "synced behind again");
        sink.close();
        assertEquals(expected("s1", 1, 40_000), messages(fileOf("web-01")));
        assertEquals(expected("s2", 1, 40_000), messages(fileOf("web-02")));
        assertEquals(0, ctx.count("events_deduplicated_total"));
        for (JsonNode f : checkpoint().get("files")) {
            assertEquals(Files.size(Path.of(f.get("path").asText())), f.get("length").asLong());
        }
    }

    /** With {@code fsync: false} nothing is synced, behind or not. */
    @Test
    void withoutFsyncNothingIsSyncedBehind() throws Exception {
        AtomicInteger behind = new AtomicInteger();
        FileSink.ChannelOpener opener = path -> new ForceFailingChannel(FileSink.DEFAULT_OPENER.open(path),
                new AtomicBoolean(true), behind);
        FileSinkConfig config = new FileSinkConfig(PathTemplate.parse(out + "/{_HOSTNAME}/{_SOURCE}.log"), "ndjson", false, 256);
        FileSink sink = started(new FileSink(SINK_ID, config, new NodeInfo("test-node", data), opener, 100, 100));
        assertEquals(DeliveryStatus.DELIVERED, write(sink, lines("web-01", "s1", 1, 40_000)));
        sink.close();
        assertEquals(0, behind.get());
        assertEquals(expected("s1", 1, 40_000), messages(fileOf("web-01")));
    }

    @Test
    void aDirectoryThatCannotBeCreatedIsRetriedAfterTheCauseIsFixed() throws Exception {
        FileSink sink = startedNdjson();
        Files.createDirectories(out);
        Files.writeString(out.resolve("web-02"), "a file where a directory should be");
        Batch b = lines("web-01", "s1", 1, 2);
        Batch c = lines("web-02", "s2", 1, 1);
        assertEquals(DeliveryStatus.ERRORED, write(sink, b, c));
        assertTrue(!Files.exists(fileOf("web-01")) || Files.size(fileOf("web-01")) == 0);
        Files.delete(out.resolve("web-02"));
        assertEquals(DeliveryStatus.DELIVERED, write(sink, b, c));
        sink.close();
        assertEquals(expected("s1", 1, 2), messages(fileOf("web-01")));
        assertEquals(expected("s2", 1, 1), messages(fileOf("web-02")));
    }

    @Test
    void manyCrashesInARowStillGiveEveryEntryExactlyOnce() throws Exception {
        // each round: a new process re-sends from an old position, writes, then dies with a torn tail
        int sent = 0;
        for (int round = 0; round < 8; round++) {
            FileSink sink = startedNdjson();
            int from = Math.max(1, sent - 5);
            int to = sent + 7;
            assertEquals(DeliveryStatus.DELIVERED, write(sink, lines("web-01", "s1", from, to)));
            sent = to;
            appendGarbage(fileOf("web-01"), "{\"MESSAGE\":\"torn " + round);
        }
        startedNdjson().close();
        assertEquals(expected("s1", 1, sent), messages(fileOf("web-01")));
    }

    @Test
    void aCorruptCheckpointStopsTheStart() throws Exception {
        Files.createDirectories(data.resolve("checkpoints"));
        Files.writeString(data.resolve("checkpoints/sink-files.json"), "{\"version\":1,\"state\":{\"files\":[{\"path\":7}]}}");
        IOException e = assertThrows(IOException.class, this::startedNdjson);
        assertTrue(e.getMessage().contains("bad file record"), e.getMessage());
    }

    // ---- files changed behind the sink's back --------------------------------------------------

    @Test
    void aRotatedFileIsReopened() throws Exception {
        FileSink sink = startedNdjson();
        write(sink, lines("web-01", "s1", 1, 2));
        Path rotated = fileOf("web-01").resolveSibling("app.log.1");
        Files.move(fileOf("web-01"), rotated);
        write(sink, lines("web-01", "s1", 3, 4));
        // rotated again, this time replaced by an empty file at once
        Path rotated2 = fileOf("web-01").resolveSibling("app.log.2");
        Files.move(fileOf("web-01"), rotated2);
        Files.createFile(fileOf("web-01"));
        write(sink, lines("web-01", "s1", 5, 5));
        sink.close();
        assertEquals(expected("s1", 1, 2), messages(rotated));
        assertEquals(expected("s1", 3, 4), messages(rotated2));
        assertEquals(expected("s1", 5, 5), messages(fileOf("web-01")));
    }

    @Test
    void aFileTruncatedInPlaceIsWrittenFromItsNewEnd() throws Exception {
        FileSink sink = startedNdjson();
        write(sink, lines("web-01", "s1", 1, 3));
        try (var ch = java.nio.channels.FileChannel.open(fileOf("web-01"), StandardOpenOption.WRITE)) {
            ch.truncate(0); // copytruncate
        }
        write(sink, lines("web-01", "s1", 4, 4));
        assertEquals(expected("s1", 4, 4), messages(fileOf("web-01")), "no hole of NULs, no old bytes");
        sink.close();
        // and while the sink was down
        try (var ch = java.nio.channels.FileChannel.open(fileOf("web-01"), StandardOpenOption.WRITE)) {
            ch.truncate(0);
        }
        FileSink restarted = startedNdjson();
        write(restarted, lines("web-01", "s1", 5, 5));
        restarted.close();
        assertEquals(expected("s1", 5, 5), messages(fileOf("web-01")));
    }

    @Test
    void aDeletedFileIsCreatedAgain() throws Exception {
        FileSink sink = startedNdjson();
        write(sink, lines("web-01", "s1", 1, 1));
        sink.close();
        Files.delete(fileOf("web-01"));
        FileSink restarted = startedNdjson();
        write(restarted, lines("web-01", "s1", 2, 2));
        restarted.close();
        assertEquals(expected("s1", 2, 2), messages(fileOf("web-01")));
    }

    // ---- bounds ------------------------------------------------------------------------------

    @Test
    void keepsAtMostMaxOpenFilesOpen() throws Exception {
        FileSink sink = started(sink(out + "/{_HOSTNAME}.log", "raw", 2, FileSink.DEFAULT_OPENER, 100, 100));
        for (int round = 1; round <= 3; round++) {
            List<Batch> batches = new ArrayList<>();
            for (int h = 0; h < 10; h++) {
                batches.add(lines("host-" + h, "s" + h, round, round));
            }
            assertEquals(DeliveryStatus.DELIVERED, write(sink, batches.toArray(new Batch[0])));
            assertTrue(ctx.gauge("files_open") <= 2, "open: " + ctx.gauge("files_open"));
        }
        // a crash with torn tails on closed and open files alike is repaired on restart
        for (int h = 0; h < 10; h++) {
            appendGarbage(out.resolve("host-" + h + ".log"), "torn");
        }
        started(sink(out + "/{_HOSTNAME}.log", "raw", 2, FileSink.DEFAULT_OPENER, 100, 100)).close();
        for (int h = 0; h < 10; h++) {
            assertEquals(expected("s" + h, 1, 3), Files.readAllLines(out.resolve("host-" + h + ".log")));
        }
    }

    @Test
    void forgetsTheLeastRecentlyWrittenStreamsBeyondTheBound() throws Exception {
        FileSink sink = started(sink(out + "/all.log", "raw", 256, FileSink.DEFAULT_OPENER, 3, 100));
        for (int s = 1; s <= 5; s++) {
            write(sink, lines("h", "s" + s, 1, 1));
        }
        Set<String> streams = new HashSet<>();
        checkpoint().get("streams").forEach(n -> streams.add(n.get("stream").asText()));
        assertEquals(Set.of("s3", "s4", "s5"), streams);
        sink.close();
    }

    @Test
    void forgetsTheLeastRecentlyWrittenFilesBeyondTheBoundAndRecordsThemAgain() throws Exception {
        FileSink sink = started(sink(out + "/{_HOSTNAME}.log", "raw", 256, FileSink.DEFAULT_OPENER, 100, 2));
        for (String h : List.of("a", "b", "c")) {
            write(sink, lines(h, "s-" + h, 1, 1));
        }
        List<String> tracked = new ArrayList<>();
        checkpoint().get("files").forEach(n -> tracked.add(Path.of(n.get("path").asText()).getFileName().toString()));
        assertEquals(List.of("b.log", "c.log"), tracked);
        write(sink, lines("a", "s-a", 2, 2));
        appendGarbage(out.resolve("a.log"), "torn");
        started(sink(out + "/{_HOSTNAME}.log", "raw", 256, FileSink.DEFAULT_OPENER, 100, 2)).close();
        assertEquals(List.of("s-a-1", "s-a-2"), Files.readAllLines(out.resolve("a.log")));
        assertFalse(Files.readString(out.resolve("a.log")).contains("torn"));
    }
}
