package io.hakobu.daemon.cli;

import static io.hakobu.daemon.DaemonTesting.awaitLog;
import static io.hakobu.daemon.DaemonTesting.freePort;
import static io.hakobu.daemon.DaemonTesting.httpGet;
import static io.hakobu.daemon.DaemonTesting.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hakobu.daemon.Await;
import io.hakobu.daemon.HakobuProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as users run it: separate JVMs, exit codes, output. */
class CliProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void checkPrintsAllProblemsAndExitsOne() throws Exception {
        Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, "node: {shutdown_grace: soon}\nsources:\n  a: {type: stdin, formt: ltsv}\n"
                + "sinks:\n  o: {type: nosuch}\n");
        Path log = dir.resolve("out.txt");
        assertEquals(1, HakobuProcess.exec(log, "check", "-c", cfg.toString()));
        String out = Files.readString(log);
        assertTrue(out.contains(cfg + ":1: node.shutdown_grace: expected a duration"), out);
        assertTrue(out.contains(cfg + ":3: sources.a.formt: unknown key (did you mean 'format'?)"), out);
        assertTrue(out.contains(cfg + ":5: sinks.o.type: unknown sink type 'nosuch'"), out);
        assertTrue(out.contains("3 problems found"), out);
    }

    @Test
    void stdinToStdoutEndsAtEndOfInputAndKeepsBadLines() throws Exception {
        Path input = dir.resolve("in.txt");
        Files.writeString(input, "a=1 b=two\nnot=\"closed\n\u00e9t\u00e9=ok\nlast=line-without-newline");
        Path cfg = dir.resolve("ok.yaml");
        Files.writeString(cfg, "node: {name: n1, data_dir: " + dir.resolve("state") + "}\n"
                + "sources:\n  in: {type: stdin, format: logfmt}\nsinks:\n  o: {type: stdout, encoding: ndjson}\n");
        Path log = dir.resolve("run.txt");
        try (HakobuProcess p = HakobuProcess.start(log, input.toFile(), "run", "-c", cfg.toString())) {
            assertEquals(0, p.waitFor(60), () -> read(log));
        }
        List<JsonNode> entries = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                .filter(l -> l.startsWith("{")).map(CliProcessTest::json).toList();
        assertEquals(4, entries.size(), () -> read(log));
        assertEquals("two", entries.get(0).path("b").asText());
        assertEquals("n1", entries.get(0).path("_HOSTNAME").asText());
        assertEquals("in", entries.get(0).path("_SOURCE").asText());
        assertEquals(32, entries.get(0).path("__ID").asText().length());
        assertEquals("not=\"closed", entries.get(1).path("MESSAGE").asText());
        assertTrue(entries.get(1).has("_PARSE_ERROR"));
        assertEquals("line-without-newline", entries.get(3).path("last").asText());
    }

    @Test
    void usageErrorsExitOneAndAMissingFileIsNamed() throws Exception {
        Path log = dir.resolve("usage.txt");
        assertEquals(1, HakobuProcess.exec(log, "run"));
        assertTrue(Files.readString(log).contains("Missing required option"), Files.readString(log));
        Path log2 = dir.resolve("missing.txt");
        assertEquals(1, HakobuProcess.exec(log2, "check", "-c", dir.resolve("nope.yaml").toString()));
        assertTrue(Files.readString(log2).contains(dir.resolve("nope.yaml") + ": cannot read configuration: no such file"),
                Files.readString(log2));
    }

    @Test
    void apiServesHealthMetricsAndStatus() throws Exception {
        int port = freePort();
        Path in = dir.resolve("in.log");
        Files.writeString(in, "a\nb\nc\n");
        Path cfg = dir.resolve("api.yaml");
        Files.writeString(cfg, "node: {name: n1, data_dir: " + dir.resolve("state") + "}\napi: {listen: \"127.0.0.1:" + port
                + "\"}\nsources:\n  f: {type: file, include: [\"" + in + "\"]}\nsinks:\n  o: {type: file, path: \""
                + dir.resolve("o.ndjson") + "\"}\n");
        Path log = dir.resolve("api.txt");
        try (HakobuProcess p = HakobuProcess.run(log, cfg)) {
            Await.until(Duration.ofSeconds(60), "3 entries delivered", () -> get(port, "/metrics").contains(
                    "hakobu_events_delivered_total{component_id=\"o\",component_type=\"file\"} 3"));
            String metrics = get(port, "/metrics");
            assertTrue(metrics.contains("# TYPE hakobu_events_delivered_total counter"), metrics);
            assertTrue(metrics.contains("hakobu_files_watched{component_id=\"f\",component_type=\"file\"} 1"), metrics);
            assertEquals("{\"status\":\"ok\"}", get(port, "/health"));
            JsonNode status = JSON.readTree(get(port, "/status"));
            assertEquals(2, status.path("components").size(), status::toString);
            assertEquals("running", status.path("components").get(0).path("state").asText(), status::toString);
            assertEquals(0, p.terminate(60));
        }
    }

    /** The body of {@code GET path} from the API; empty when it does not answer. */
    private static String get(int port, String path) {
        try {
            return httpGet(port, path).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    @Test
    void aSourceThatFailsMakesRunExitTwo() throws Exception {
        Path state = dir.resolve("state");
        Files.createDirectories(state.resolve("checkpoints"));
        Files.writeString(state.resolve("checkpoints/source-f.json"), "{corrupt"); // unreadable checkpoint
        Path in = dir.resolve("in.log");
        Files.writeString(in, "x\n");
        Path cfg = dir.resolve("fail.yaml");
        Files.writeString(cfg, "node: {name: n1, data_dir: " + state + "}\n"
                + "sources:\n  f: {type: file, include: [\"" + in + "\"]}\nsinks:\n  o: {type: stdout}\n");
        Path log = dir.resolve("fail.txt");
        assertEquals(2, HakobuProcess.exec(log, "run", "-c", cfg.toString()), () -> read(log));
        assertTrue(read(log).contains("source-f.json is not valid JSON"), read(log));
    }

    @Test
    void versionPrintsVersionAndJava() throws Exception {
        Path log = dir.resolve("v.txt");
        assertEquals(0, HakobuProcess.exec(log, "version"));
        String out = Files.readString(log);
        assertTrue(out.startsWith("hakobu "), out);
        assertTrue(out.contains("java 17") || out.contains("java "), out);
    }

    @Test
    void sighupDoesNotKillAndSigtermStopsGracefully() throws Exception {
        Path cfg = dir.resolve("f.yaml");
        Path in = dir.resolve("in.log");
        Files.writeString(in, "hello\n");
        Files.writeString(cfg, "node: {name: n1, data_dir: " + dir.resolve("state") + "}\n"
                + "sources:\n  f: {type: file, include: [\"" + in + "\"]}\nsinks:\n  o: {type: file, path: \""
                + dir.resolve("o.ndjson") + "\"}\n");
        Path log = dir.resolve("hup.txt");
        try (HakobuProcess p = HakobuProcess.run(log, cfg)) {
            awaitLog(Duration.ofSeconds(60), log, "event=started");
            new ProcessBuilder("kill", "-HUP", Long.toString(p.process().pid())).start().waitFor();
            awaitLog(Duration.ofSeconds(30), log, "event=sighup");
            assertTrue(p.process().isAlive(), "SIGHUP must not kill hakobu");
            assertEquals(0, p.terminate(60));
        }
        assertTrue(read(log).contains("event=stopped drained=true"), read(log));
    }

    @Test
    void secondProcessOnTheSameDataDirIsRefused() throws Exception {
        Path cfg = dir.resolve("lock.yaml");
        Path in = dir.resolve("in.log");
        Files.writeString(in, "x\n");
        Files.writeString(cfg, "node: {name: n1, data_dir: " + dir.resolve("state") + "}\n"
                + "sources:\n  f: {type: file, include: [\"" + in + "\"]}\nsinks:\n  o: {type: stdout}\n");
        Path log1 = dir.resolve("first.txt");
        Path log2 = dir.resolve("second.txt");
        try (HakobuProcess first = HakobuProcess.run(log1, cfg)) {
            awaitLog(Duration.ofSeconds(60), log1, "event=started");
            assertEquals(2, HakobuProcess.exec(log2, "run", "-c", cfg.toString()));
            assertTrue(read(log2).contains("is in use by another hakobu process (pid " + first.process().pid() + ")"),
                    read(log2));
            first.kill(); // SIGKILL: the kernel releases the lock
        }
        try (HakobuProcess third = HakobuProcess.run(dir.resolve("third.txt"), cfg)) {
            awaitLog(Duration.ofSeconds(60), dir.resolve("third.txt"), "event=started");
            assertEquals(0, third.terminate(60));
        }
    }

    private static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + s, e);
        }
    }
}
