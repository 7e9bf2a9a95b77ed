package io.hakobu.daemon.source.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.checkpoint.CheckpointStore;
import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import io.hakobu.core.pipeline.Batch;
import io.hakobu.core.pipeline.BufferConfig;
import io.hakobu.core.pipeline.DeliveryStatus;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Pipeline;
import io.hakobu.core.pipeline.Sink;
import io.hakobu.core.telemetry.Metrics;
import io.hakobu.daemon.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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
        NodeInfo node = new NodeInfo("n1", dir.resolve("state"));
        metrics = new Metrics();
        pipeline = Pipeline.builder(node, metrics, new CheckpointStore(dir.resolve("state/checkpoints")))
                .addSource("logs", "file", new FileSource("logs", cfg, node))
                .addSink("rec", "test", new RecordingSink(), List.of("logs"), BufferConfig.DEFAULT)
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
}
