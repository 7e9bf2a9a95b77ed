package io.hakobu.daemon.source.syslog;

import static io.hakobu.daemon.NumberedLines.lineCount;
import static io.hakobu.daemon.source.syslog.SyslogTesting.find;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hakobu.daemon.Await;
import io.hakobu.daemon.HakobuProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code format: syslog} in a file source ({@code hakobu run}): the message's HOSTNAME becomes
 * {@code _HOSTNAME} (once, not next to the node's) and its timestamp {@code __REALTIME_TIMESTAMP}.
 */
class SyslogFileFormatTest {
    @TempDir
    Path dir;

    @Test
    void syslogFilesKeepTheirHostAndTime() throws Exception {
        Path in = dir.resolve("syslog");
        Files.writeString(in, String.join("\n",
                "2024-11-05T09:07:03.123456+09:00 web-01 systemd[1]: Started Session 7.",       // RSYSLOG_FileFormat
                "<165>1 2003-10-11T22:14:15.003Z mymachine evntslog - ID47 [ex@32473 iut=\"3\"] five",
                "<34>1 - - - - - [broken",                                                        // malformed: kept
                "not a syslog line at all",
                ""));
        Path out = dir.resolve("out.ndjson");
        Path cfg = dir.resolve("hakobu.yaml");
        Files.writeString(cfg, String.join("\n",
                "node: {name: file-node, data_dir: " + dir.resolve("state") + "}",
                "sources:",
                "  sys: {type: file, include: [\"" + in + "\"], format: syslog, poll_interval: 20ms}",
                "sinks:",
                "  out: {type: file, path: \"" + out + "\", encoding: ndjson}",
                ""));
        Path log = dir.resolve("hakobu.log");
        try (HakobuProcess p = HakobuProcess.run(log, cfg)) {
            Await.until(Duration.ofSeconds(60), "4 entries", () -> lineCount(out) >= 4);
            assertEquals(0, p.terminate(60));
        }
        List<JsonNode> all = SyslogTesting.entries(out);
        assertEquals(4, all.size(), all::toString);
        for (JsonNode e : all) {
            assertTrue(e.get("_HOSTNAME").isTextual(), () -> "one _HOSTNAME: " + e);
            assertEquals("sys", e.path("_SOURCE").asText());
        }
        JsonNode systemd = find(all, "Started Session 7.");
        assertEquals("web-01", systemd.path("_HOSTNAME").asText());
        assertEquals("systemd", systemd.path("SYSLOG_IDENTIFIER").asText());
        assertEquals(micros("2024-11-05T00:07:03.123456Z"), systemd.path("__REALTIME_TIMESTAMP").asLong());
        JsonNode five = find(all, "five");
        assertEquals("mymachine", five.path("_HOSTNAME").asText());
        assertEquals("3", five.path("SD_ex@32473_iut").asText());
        assertEquals(micros("2003-10-11T22:14:15.003Z"), five.path("__REALTIME_TIMESTAMP").asLong());
        JsonNode broken = find(all, "[broken");
        assertEquals("syslog: structured data is truncated", broken.path("_PARSE_ERROR").asText());
        assertEquals("file-node", broken.path("_HOSTNAME").asText());
        long now = System.currentTimeMillis() * 1000L;
        assertTrue(Math.abs(broken.path("__REALTIME_TIMESTAMP").asLong() - now) < 600_000_000L, "time read");
        assertEquals("file-node", find(all, "not a syslog line").path("_HOSTNAME").asText());
    }

    private static long micros(String instant) {
        Instant i = Instant.parse(instant);
        return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
    }
}
