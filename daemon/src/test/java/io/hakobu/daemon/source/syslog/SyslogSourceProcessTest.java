package io.hakobu.daemon.source.syslog;

import static io.hakobu.daemon.DaemonTesting.freePort;
import static io.hakobu.daemon.DaemonTesting.httpGet;
import static io.hakobu.daemon.DaemonTesting.linesContaining;
import static io.hakobu.daemon.DaemonTesting.read;
import static io.hakobu.daemon.NumberedLines.lineCount;
import static io.hakobu.daemon.source.syslog.SyslogTesting.entries;
import static io.hakobu.daemon.source.syslog.SyslogTesting.find;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hakobu.daemon.Await;
import io.hakobu.daemon.HakobuProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hakobu run} with a syslog source on every transport and the file sink, as a separate
 * process, fed by real clients: util-linux {@code logger} (RFC 3164, RFC 5424, local format) and
 * raw sockets for malformed input.
 */
class SyslogSourceProcessTest {
    @TempDir
    Path dir;

    private int port;
    private int apiPort;
    private Path out;
    private Path log;
    private Path dgramSock;
    private Path streamSock;

    private Path config(String extra) throws IOException {
        port = freePort();
        apiPort = freePort();
        out = dir.resolve("out/syslog.ndjson");
        log = dir.resolve("hakobu.log");
        dgramSock = dir.resolve("sock/log");
        streamSock = dir.resolve("sock/stream");
        Path cfg = dir.resolve("hakobu.yaml");
        Files.writeString(cfg, String.join("\n",
                "node: {name: syslog-test, data_dir: " + dir.resolve("state") + "}",
                "api: {listen: 127.0.0.1:" + apiPort + "}",
                "sources:",
                "  syslog:",
                "    type: syslog",
                "    listen: [\"udp://127.0.0.1:" + port + "\", \"tcp://127.0.0.1:" + port + "\",",
                "             \"unix://" + dgramSock + "\", \"unix-stream://" + streamSock + "\"]",
                "    fields: {env: test}",
                extra,
                "sinks:",
                "  out: {type: file, path: \"" + out + "\", encoding: ndjson}",
                ""));
        return cfg;
    }

    private HakobuProcess start(Path cfg) throws Exception {
        HakobuProcess p = HakobuProcess.run(log, cfg);
        Await.until(Duration.ofSeconds(60), "4 listeners",
                () -> linesContaining(log, "status=listening") >= 4 || !p.process().isAlive());
        assertTrue(p.process().isAlive(), () -> "hakobu exited; log: " + read(log));
        return p;
    }

    private void logger(String... args) throws Exception {
        SyslogTesting.run(List.of(prepend("logger", args)));
    }

    private static String[] prepend(String first, String[] rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    /** logger over UDP, TCP (LF and octet counting), unix datagram and unix stream, 3164 and 5424. */
    @Test
    void loggerOverEveryTransportInBothFormats() throws Exception {
        Path cfg = config("");
        try (HakobuProcess p = start(cfg)) {
            String host = "127.0.0.1";
            String pt = Integer.toString(port);
            logger("--rfc3164", "-d", "-n", host, "-P", pt, "-t", "udp3164", "-p", "local3.warning", "hello udp 3164");
            logger("--rfc5424", "-d", "-n", host, "-P", pt, "-t", "udp5424", "-i", "--msgid", "M42",
                    "--sd-id", "zoo@123", "--sd-param", "tiger=\"hungry\"", "hello udp 5424");
            logger("--rfc3164", "-T", "-n", host, "-P", pt, "-t", "tcp3164", "hello tcp 3164 lf framing");
            logger("--rfc5424", "-T", "--octet-count", "-n", host, "-P", pt, "-t", "tcp5424", "-p", "auth.crit",
                    "hello tcp 5424 octet counting");
            logger("-u", dgramSock.toString(), "-d", "-t", "unixlocal", "hello unix datagram local format");
            logger("-u", dgramSock.toString(), "-d", "--rfc5424", "-t", "unix5424", "hello unix datagram 5424");
            logger("-u", streamSock.toString(), "-T", "-t", "unixstream", "hello unix stream");
            logger("-u", streamSock.toString(), "-T", "--rfc3164", "-t", "unixstream3164", "hello unix stream 3164");
            Await.until(Duration.ofSeconds(30), "8 entries", () -> lineCount(out) >= 8);

            List<JsonNode> all = entries(out);
            assertEquals(8, all.size(), all::toString);
            long now = System.currentTimeMillis() * 1000L;
            Set<String> ids = new HashSet<>();
            for (JsonNode e : all) {
                assertTrue(ids.add(e.path("__ID").asText()), "unique __ID");
                assertTrue(e.path("__ID").asText().matches("[0-9a-f]{32}"));
                assertEquals("syslog", e.path("_SOURCE").asText());
                assertEquals("test", e.path("env").asText());
                assertFalse(e.has("_PARSE_ERROR"), e::toString);
                long t = e.path("__REALTIME_TIMESTAMP").asLong();
                assertTrue(Math.abs(now - t) < 600_000_000L, () -> "message time near now: " + e);
                assertTrue(e.path("__CURSOR").asText().startsWith("syslog:"), e::toString);
            }

            JsonNode udp3164 = find(all, "hello udp 3164");
            assertEquals("udp3164", udp3164.path("SYSLOG_IDENTIFIER").asText());
            assertEquals("4", udp3164.path("PRIORITY").asText());
            assertEquals("19", udp3164.path("SYSLOG_FACILITY").asText());
            assertFalse(udp3164.path("_HOSTNAME").asText().isEmpty());
            assertFalse("syslog-test".equals(udp3164.path("_HOSTNAME").asText()), "relayed: the message's HOSTNAME");
            assertTrue(udp3164.path("_PEER").asText().startsWith("127.0.0.1:"));
            assertTrue(udp3164.path("__CURSOR").asText().startsWith("syslog:udp://127.0.0.1:" + port + ":"));

            JsonNode udp5424 = find(all, "hello udp 5424");
            assertEquals("udp5424", udp5424.path("SYSLOG_IDENTIFIER").asText());
            assertEquals("hungry", udp5424.path("SD_zoo@123_tiger").asText(), udp5424::toString);
            assertEquals("M42", udp5424.path("SYSLOG_MSGID").asText());
            assertTrue(udp5424.path("SYSLOG_PID").asText().matches("[0-9]+"), udp5424::toString);
            assertEquals("5", udp5424.path("PRIORITY").asText());

            JsonNode tcp3164 = find(all, "hello tcp 3164 lf framing");
            assertEquals("hello tcp 3164 lf framing", tcp3164.path("MESSAGE").asText());
            assertEquals("tcp3164", tcp3164.path("SYSLOG_IDENTIFIER").asText());
            assertTrue(tcp3164.path("__CURSOR").asText().startsWith("syslog:tcp://"));

            JsonNode tcp5424 = find(all, "hello tcp 5424 octet counting");
            assertEquals("hello tcp 5424 octet counting", tcp5424.path("MESSAGE").asText());
            assertEquals("2", tcp5424.path("PRIORITY").asText());
            assertEquals("4", tcp5424.path("SYSLOG_FACILITY").asText());

            JsonNode local = find(all, "hello unix datagram local format");
            assertEquals("unixlocal", local.path("SYSLOG_IDENTIFIER").asText());
            assertEquals("syslog-test", local.path("_HOSTNAME").asText(), "no HOSTNAME in the local format: the node's");
            assertFalse(local.has("_PEER"));
            assertEquals("unix5424", find(all, "hello unix datagram 5424").path("SYSLOG_IDENTIFIER").asText());
            assertEquals("unixstream", find(all, "hello unix stream").path("SYSLOG_IDENTIFIER").asText());
            assertEquals("unixstream3164", find(all, "hello unix stream 3164").path("SYSLOG_IDENTIFIER").asText());
            assertEquals("hello unix stream", find(all, "hello unix stream").path("MESSAGE").asText());

            String metrics = httpGet(apiPort, "/metrics").body();
            assertEquals(2, metric(metrics, "hakobu_messages_received_total", "transport=\"udp\""), metrics);
            assertEquals(2, metric(metrics, "hakobu_messages_received_total", "transport=\"tcp\""), metrics);
            assertEquals(2, metric(metrics, "hakobu_messages_received_total", "transport=\"unix\""), metrics);
            assertEquals(2, metric(metrics, "hakobu_messages_received_total", "transport=\"unix-stream\""), metrics);
            assertEquals(0, metric(metrics, "hakobu_parse_errors_total", "component_id=\"syslog\""), metrics);

            assertEquals(0, p.terminate(60), () -> "graceful stop; log: " + read(log));
            assertFalse(Files.exists(dgramSock), "socket files are removed at stop");
            assertFalse(Files.exists(streamSock));
        }
    }

    /**
     * Garbage, a bad PRI, a bad octet count, invalid UTF-8 and oversize messages over TCP, UDP and
     * a unix socket: each is kept (with {@code _PARSE_ERROR} or {@code _TRUNCATED}) and the
     * listeners keep working for the next client.
     */
    @Test
    void malformedInputIsKeptAndListenersStayAlive() throws Exception {
        Path cfg = config("    max_message_bytes: 1KiB");
        try (HakobuProcess p = start(cfg)) {
            InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            ByteArrayOutputStream tcp = new ByteArrayOutputStream();
            tcp.write(new byte[] {0, (byte) 0xff, (byte) 0xfe, 'g', 'a', 'r', 'b', '\n'});       // 1 garbage line
            tcp.write(ascii("<999>bad pri\n"));                                                   // 2 bad PRI
            tcp.write(ascii("12abc bad octet count\n"));                                          // 3 read as a line
            byte[] bom = bytes(ascii("<13>1 - h app - - - "), new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf, 'x', (byte) 0xc3, '('});
            tcp.write(ascii(bom.length + " "));
            tcp.write(bom);                                                                       // 4 invalid UTF-8 after a BOM
            byte[] big = ascii("<13>1 - h app - - - " + "z".repeat(5000));
            tcp.write(ascii(big.length + " "));
            tcp.write(big);                                                                       // 5 oversize, octet counted
            tcp.write(ascii("<13>Nov  5 09:07:03 h app: " + "w".repeat(3000) + "\n"));           // 6 oversize line
            tcp.write(ascii("40 <13>1 - - - - - [truncated sd\n"));                              // 7 count > rest: waits...
            try (Socket s = new Socket()) {
                s.connect(target, 5000);
                OutputStream os = s.getOutputStream();
                os.write(tcp.toByteArray());
                os.flush();
            } // ...and the close ends message 7 (cut short)
            try (DatagramSocket d = new DatagramSocket()) {
                byte[] junk = {(byte) 0x80, 0, 1, 2, '<', '>'};
                d.send(new DatagramPacket(junk, junk.length, target));                          // 8
                byte[] huge = ascii("<13>Nov  5 09:07:03 h app: " + "u".repeat(4000));
                d.send(new DatagramPacket(huge, huge.length, target));                          // 9 oversize datagram
            }
            Await.until(Duration.ofSeconds(30), "9 malformed entries", () -> lineCount(out) >= 9);
            // the listeners still work
            logger("--rfc5424", "-T", "--octet-count", "-n", "127.0.0.1", "-P", Integer.toString(port), "-t", "ok", "still alive tcp");
            logger("--rfc3164", "-d", "-n", "127.0.0.1", "-P", Integer.toString(port), "-t", "ok", "still alive udp");
            logger("-u", dgramSock.toString(), "-d", "-t", "ok", "still alive unix");
            Await.until(Duration.ofSeconds(30), "12 entries", () -> lineCount(out) >= 12);

            List<JsonNode> all = entries(out);
            assertEquals(12, all.size(), all::toString);
            long parseErrors = all.stream().filter(e -> e.has("_PARSE_ERROR")).count();
            long truncated = all.stream().filter(e -> e.has("_TRUNCATED")).count();
            assertTrue(all.stream().anyMatch(e -> e.path("_PARSE_ERROR").asText().startsWith("syslog: invalid PRI")), all::toString);
            assertTrue(all.stream().anyMatch(e -> e.path("_PARSE_ERROR").asText().contains("not valid UTF-8")), all::toString);
            assertTrue(all.stream().anyMatch(e -> e.path("MESSAGE").asText().equals("12abc bad octet count")), all::toString);
            JsonNode bigOne = all.stream().filter(e -> e.path("MESSAGE").asText().startsWith("zzz")).findFirst().orElse(null);
            assertNotNull(bigOne, all::toString);
            assertTrue(bigOne.path("_TRUNCATED").asBoolean());
            assertEquals(1024 - "<13>1 - h app - - - ".length(), bigOne.path("MESSAGE").asText().length());
            assertEquals(4, truncated, all::toString); // 5, 6, 7 (cut short by the close), 9
            assertEquals(2, parseErrors, all::toString); // 2 and 4
            for (String alive : List.of("still alive tcp", "still alive udp", "still alive unix")) {
                JsonNode e = find(all, alive);
                assertNotNull(e, alive);
                assertEquals("ok", e.path("SYSLOG_IDENTIFIER").asText());
            }
            String metrics = httpGet(apiPort, "/metrics").body();
            assertEquals(parseErrors, metric(metrics, "hakobu_parse_errors_total", "component_id=\"syslog\""), metrics);
            assertEquals(4, metric(metrics, "hakobu_messages_truncated_total", "component_id=\"syslog\""), metrics);
            assertEquals(0, p.terminate(60), () -> "graceful stop; log: " + read(log));
        }
    }

    /** The value of the first sample of {@code name} whose labels contain {@code label}; -1 if none. */
    static long metric(String text, String name, String label) {
        Matcher m = Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE).matcher(text);
        while (m.find()) {
            if (m.group(1).contains(label)) {
                return (long) Double.parseDouble(m.group(2));
            }
        }
        return -1;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] bytes(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
