package io.hakobu.daemon.source.syslog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Helpers for the syslog source tests: free ports, real client processes, the NDJSON output. */
final class SyslogTesting {
    static final ObjectMapper JSON = new ObjectMapper();

    private SyslogTesting() {
    }

    /** A port free for both TCP and UDP on 127.0.0.1 right now. */
    static int freePort() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                int port = s.getLocalPort();
                try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                    return d.getLocalPort();
                } catch (IOException taken) {
                    // UDP side in use: try another
                }
            }
        }
        throw new IOException("no free port");
    }

    /** Runs a command to completion (at most 60 s) and asserts it exited 0; returns its output. */
    static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), () -> command + " failed: " + out);
        return out;
    }

    /** The entries written so far (complete lines only); empty if the file does not exist yet. */
    static List<JsonNode> entries(Path ndjson) {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(ndjson)) {
            return out;
        }
        try {
            byte[] all = Files.readAllBytes(ndjson);
            int start = 0;
            for (int i = 0; i < all.length; i++) {
                if (all[i] == '\n') {
                    out.add(JSON.readTree(new String(all, start, i - start, StandardCharsets.UTF_8)));
                    start = i + 1;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static long count(Path ndjson) {
        if (!Files.exists(ndjson)) {
            return 0;
        }
        try {
            byte[] all = Files.readAllBytes(ndjson);
            long n = 0;
            for (byte b : all) {
                if (b == '\n') {
                    n++;
                }
            }
            return n;
        } catch (IOException e) {
            return 0;
        }
    }

    /** The first entry whose MESSAGE contains {@code text}, or null. */
    static JsonNode find(List<JsonNode> entries, String text) {
        for (JsonNode e : entries) {
            if (e.path("MESSAGE").asText().contains(text)) {
                return e;
            }
        }
        return null;
    }
}
