package io.hakobu.daemon.source.syslog;

import static io.hakobu.daemon.source.syslog.SyslogTesting.count;
import static io.hakobu.daemon.source.syslog.SyslogTesting.find;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hakobu.daemon.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

    private Process start(Path cfg, Path log) throws IOException {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-Dio.netty.transport.noNative=true",
                "-cp", System.getProperty("java.class.path"), "io.hakobu.daemon.cli.Main", "run", "-c", cfg.toString());
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void nioServesUdpTcpAndUnixStream() throws Exception {
        int port = SyslogTesting.freePort();
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
        Process p = start(cfg, log);
        try {
            Await.until(Duration.ofSeconds(60), "3 listeners",
                    () -> read(log).lines().filter(l -> l.contains("status=listening")).count() >= 3 || !p.isAlive());
            assertTrue(read(log).contains("transport=nio"), () -> read(log));
            SyslogTesting.run(List.of("logger", "--rfc3164", "-d", "-n", "127.0.0.1", "-P", Integer.toString(port), "-t", "a", "nio udp"));
            SyslogTesting.run(List.of("logger", "--rfc5424", "-T", "--octet-count", "-n", "127.0.0.1", "-P", Integer.toString(port),
                    "-t", "b", "nio tcp"));
            SyslogTesting.run(List.of("logger", "-u", stream.toString(), "-T", "-t", "c", "nio unix stream"));
            Await.until(Duration.ofSeconds(30), "3 entries", () -> count(out) >= 3);
            List<JsonNode> all = SyslogTesting.entries(out);
            for (String[] expect : new String[][] {{"nio udp", "a"}, {"nio tcp", "b"}, {"nio unix stream", "c"}}) {
                JsonNode e = find(all, expect[0]);
                assertNotNull(e, expect[0] + " in " + all);
                assertEquals(expect[1], e.path("SYSLOG_IDENTIFIER").asText());
            }
        } finally {
            p.destroy();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        }
        assertEquals(0, p.exitValue(), () -> read(log));
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
        Process p = start(cfg, log);
        try {
            Await.until(Duration.ofSeconds(60), "the source to fail",
                    () -> read(log).contains("source=syslog status=failed") || !p.isAlive());
            assertTrue(read(log).contains("unix datagram sockets need Netty's native epoll transport"), () -> read(log));
        } finally {
            p.destroy();
            p.waitFor(60, TimeUnit.SECONDS);
        }
    }
}
