package io.hakobu.daemon.source.syslog;

import static io.hakobu.daemon.DaemonTesting.freePort;
import static io.hakobu.daemon.DaemonTesting.linesContaining;
import static io.hakobu.daemon.DaemonTesting.read;
import static io.hakobu.daemon.NumberedLines.lineCount;
import static io.hakobu.daemon.source.syslog.SyslogTesting.find;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hakobu.daemon.Await;
import io.hakobu.daemon.HakobuProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where Netty's native epoll is unavailable ({@code -Dio.netty.transport.noNative=true} here), the
 * syslog source falls back to NIO for udp, tcp and unix-stream, and a unix datagram listener fails
 * with a clear error instead of starting half-way.
 */
class SyslogNioFallbackTest {
    @TempDir
    Path dir;

    /** {@code hakobu run} without Netty's native transports. */
    private static HakobuProcess start(Path cfg, Path log) throws IOException {
        return HakobuProcess.start(log, null, List.of("-Dio.netty.transport.noNative=true"), "run", "-c", cfg.toString());
    }

    @Test
    void nioServesUdpTcpAndUnixStream() throws Exception {
        int port = freePort();
        Path stream = dir.resolve("stream.sock");
        Path out = dir.resolve("out.ndjson");
        Path log = dir.resolve("hakobu.log");
        Path cfg = dir.resolve("hakobu.yaml");
        Files.writeString(cfg, String.join("\n",
                "node: {name: nio, data_dir: " + dir.resolve("state") + "}",
                "sources:",
                "  syslog: {type: syslog, listen: [\"udp://127.0.0.1:" + port + "\", \"tcp://127.0.0.1:" + port
                        + "\", \"unix-stream://" + stream + "\"]}",
                "sinks:",
                "  out: {type: file, path: \"" + out + "\", encoding: ndjson}",
                ""));
        try (HakobuProcess p = start(cfg, log)) {
            Await.until(Duration.ofSeconds(60), "3 listeners",
                    () -> linesContaining(log, "status=listening") >= 3 || !p.process().isAlive());
            assertTrue(read(log).contains("transport=nio"), () -> read(log));
            SyslogTesting.run(List.of("logger", "--rfc3164", "-d", "-n", "127.0.0.1", "-P", Integer.toString(port), "-t", "a", "nio udp"));
            SyslogTesting.run(List.of("logger", "--rfc5424", "-T", "--octet-count", "-n", "127.0.0.1", "-P", Integer.toString(port),
                    "-t", "b", "nio tcp"));
            SyslogTesting.run(List.of("logger", "-u", stream.toString(), "-T", "-t", "c", "nio unix stream"));
            Await.until(Duration.ofSeconds(30), "3 entries", () -> lineCount(out) >= 3);
            List<JsonNode> all = SyslogTesting.entries(out);
            for (String[] expect : new String[][] {{"nio udp", "a"}, {"nio tcp", "b"}, {"nio unix stream", "c"}}) {
                JsonNode e = find(all, expect[0]);
                assertNotNull(e, expect[0] + " in " + all);
                assertEquals(expect[1], e.path("SYSLOG_IDENTIFIER").asText());
            }
            assertEquals(0, p.terminate(60), () -> read(log));
        }
    }

    @Test
    void unixDatagramWithoutEpollFailsClearly() throws Exception {
        Path out = dir.resolve("out.ndjson");
        Path log = dir.resolve("hakobu.log");
        Path cfg = dir.resolve("hakobu.yaml");
        Files.writeString(cfg, String.join("\n",
                "node: {name: nio, data_dir: " + dir.resolve("state") + "}",
                "sources:",
                "  syslog: {type: syslog, listen: [\"unix://" + dir.resolve("dgram.sock") + "\"]}",
                "sinks:",
                "  out: {type: file, path: \"" + out + "\", encoding: ndjson}",
                ""));
        try (HakobuProcess p = start(cfg, log)) {
            Await.until(Duration.ofSeconds(60), "the source to fail",
                    () -> read(log).contains("source=syslog status=failed") || !p.process().isAlive());
            assertTrue(read(log).contains("unix datagram sockets need Netty's native epoll transport"), () -> read(log));
            p.terminate(60);
        }
    }
}
