package io.hakobu.daemon.source.syslog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Helpers for the syslog source tests: real client processes, the NDJSON output. */
final class SyslogTesting {
    static final ObjectMapper JSON = new ObjectMapper();

    private SyslogTesting() {
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
