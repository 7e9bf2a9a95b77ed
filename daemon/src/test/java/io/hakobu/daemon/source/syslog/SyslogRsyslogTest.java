package io.hakobu.daemon.source.syslog;

import static io.hakobu.daemon.DaemonTesting.freePort;
import static io.hakobu.daemon.DaemonTesting.linesContaining;
import static io.hakobu.daemon.DaemonTesting.read;
import static io.hakobu.daemon.NumberedLines.lineCount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hakobu.daemon.Await;
import io.hakobu.daemon.HakobuProcess;
import io.hakobu.daemon.NumberedLines.Tally;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code rsyslogd} (own config, foreground, loopback only; never the system one) reads a
 * file of numbered lines with imfile and forwards every line to {@code hakobu run} twice over TCP:
 * once RFC 5424 with octet-counted framing, once in rsyslog's forward format (RFC 3164 header with
 * an RFC 3339 timestamp) with LF framing, each to a listener of its own. Every line arrives
 * exactly once per listener: none lost, none duplicated.
 */
class SyslogRsyslogTest {
    private static final int LINES = 10_000;
    private static final Path RSYSLOGD = Path.of("/usr/sbin/rsyslogd");

    @TempDir
    Path dir;

    @Test
    void rsyslogForwardsOverTcpCountedNoneLostNoneDuplicated() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(RSYSLOGD), "rsyslogd is not installed");
        int octetPort = freePort();
        int lfPort = freePort();
        Path out = dir.resolve("out/syslog.ndjson");
        Path log = dir.resolve("hakobu.log");
        Path cfg = dir.resolve("hakobu.yaml");
        Files.writeString(cfg, String.join("\n",
                "node: {name: aggregator, data_dir: " + dir.resolve("state") + "}",
                "sources:",
                "  syslog: {type: syslog, listen: [\"tcp://127.0.0.1:" + octetPort + "\", \"tcp://127.0.0.1:" + lfPort + "\"]}",
                "sinks:",
                "  out: {type: file, path: \"" + out + "\", encoding: ndjson}",
                ""));
        Path input = dir.resolve("numbered.log");
        try (BufferedWriter w = Files.newBufferedWriter(input, StandardCharsets.UTF_8)) {
            for (int i = 0; i < LINES; i++) {
                w.write("numbered line " + i + " of the rsyslog test\n");
            }
        }
        Files.createDirectories(dir.resolve("rsyslog-work"));
        Path rsyslogConf = dir.resolve("rsyslog.conf");
        Files.writeString(rsyslogConf, String.join("\n",
                "global(workDirectory=\"" + dir.resolve("rsyslog-work") + "\")",
                "module(load=\"imfile\" mode=\"polling\" PollingInterval=\"1\")",
                "input(type=\"imfile\" File=\"" + input + "\" Tag=\"numbered:\" Severity=\"info\" Facility=\"local0\")",
                "action(type=\"omfwd\" target=\"127.0.0.1\" port=\"" + octetPort + "\" protocol=\"tcp\"",
                "       TCP_Framing=\"octet-counted\" template=\"RSYSLOG_SyslogProtocol23Format\"",
                "       action.resumeRetryCount=\"-1\" queue.type=\"LinkedList\" queue.size=\"100000\")",
                "action(type=\"omfwd\" target=\"127.0.0.1\" port=\"" + lfPort + "\" protocol=\"tcp\"",
                "       TCP_Framing=\"traditional\" template=\"RSYSLOG_ForwardFormat\"",
                "       action.resumeRetryCount=\"-1\" queue.type=\"LinkedList\" queue.size=\"100000\")",
                ""));

        try (HakobuProcess hakobu = HakobuProcess.run(log, cfg)) {
            Await.until(Duration.ofSeconds(60), "2 listeners",
                    () -> linesContaining(log, "status=listening") >= 2 || !hakobu.process().isAlive());
            assertTrue(hakobu.process().isAlive(), () -> read(log));
            Process rsyslog = new ProcessBuilder(RSYSLOGD.toString(), "-n", "-f", rsyslogConf.toString(),
                    "-i", dir.resolve("rsyslog.pid").toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("rsyslog.out").toFile()).start();
            try {
                Await.until(Duration.ofSeconds(120), 2 * LINES + " entries (rsyslog output: " + dir.resolve("rsyslog.out") + ")",
                        () -> lineCount(out) >= 2 * LINES);
            } finally {
                rsyslog.destroy(); // SIGTERM to the process this test started
                if (!rsyslog.waitFor(30, TimeUnit.SECONDS)) {
                    rsyslog.destroyForcibly();
                }
            }
            assertEquals(0, hakobu.terminate(60), () -> "graceful stop; log: " + read(log));
        }

        Tally octet = new Tally(LINES);
        Tally lf = new Tally(LINES);
        List<JsonNode> all = SyslogTesting.entries(out);
        for (JsonNode e : all) {
            String msg = e.path("MESSAGE").asText();
            assertTrue(msg.startsWith("numbered line "), e::toString);
            int i = Integer.parseInt(msg.split(" ")[2]);
            assertEquals("numbered", e.path("SYSLOG_IDENTIFIER").asText(), e::toString);
            assertEquals("6", e.path("PRIORITY").asText());
            assertEquals("16", e.path("SYSLOG_FACILITY").asText());
            assertFalse(e.has("_PARSE_ERROR"), e::toString);
            assertFalse("aggregator".equals(e.path("_HOSTNAME").asText()), "the relaying host's name");
            String cursor = e.path("__CURSOR").asText();
            if (cursor.startsWith("syslog:tcp://127.0.0.1:" + octetPort + ":")) {
                octet.add(i);
            } else {
                assertTrue(cursor.startsWith("syslog:tcp://127.0.0.1:" + lfPort + ":"), cursor);
                lf.add(i);
            }
        }
        octet.assertExactlyOnce("lines over octet-counted TCP");
        lf.assertExactlyOnce("lines over LF-framed TCP");
        assertEquals(2 * LINES, all.size());
        assertEquals(2 * LINES, all.stream().map(e -> e.path("__ID").asText()).distinct().count(), "unique __IDs");
    }
}
