package io.hakobu.daemon.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoTest {
    @TempDir
    Path dir;

    @Test
    void archivesEveryLineOnceInTheS3Layout() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Demo.Result r = new Demo(dir, 30_000, new PrintStream(bytes, true, StandardCharsets.UTF_8)).run();
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(r.ok(), out);
        assertEquals(30_000, r.written());
        assertEquals(30_000, r.archived());
        assertEquals(0, r.lost());
        assertEquals(0, r.duplicated());
        assertTrue(out.contains("lines archived   30,000"), out);
        assertTrue(out.contains("written 30,000/30,000") || out.contains("summary"), out);

        List<Path> files;
        try (Stream<Path> s = Files.walk(dir.resolve("archive"))) {
            files = s.filter(Files::isRegularFile).toList();
        }
        String today = LocalDate.now(ZoneOffset.UTC).toString();
        assertTrue(files.stream().allMatch(p -> dir.resolve("archive").relativize(p).toString()
                .matches("dt=\\d{4}-\\d{2}-\\d{2}/hour=\\d{2}/host=[^/]+/(nginx|app)-\\d{8}T\\d{6}Z-[0-9a-f]{16}"
                        + "\\.ndjson\\.gz(\\.manifest\\.json)?")), files::toString);
        assertTrue(files.stream().anyMatch(p -> p.toString().contains("dt=" + today)
                || p.toString().contains("dt=" + LocalDate.now(ZoneOffset.UTC).minusDays(1))), files::toString);
        assertTrue(files.stream().anyMatch(p -> p.getFileName().toString().matches("nginx-.*\\.ndjson\\.gz")), files::toString);
        assertTrue(files.stream().anyMatch(p -> p.getFileName().toString().matches("app-.*\\.ndjson\\.gz")), files::toString);
        // every object has its manifest, and the manifests count what the objects hold
        long objects = files.stream().filter(p -> p.toString().endsWith(".ndjson.gz")).count();
        long manifests = files.stream().filter(p -> p.toString().endsWith(".manifest.json")).count();
        assertEquals(objects, manifests, files::toString);
        long entries = 0;
        for (Path m : files) {
            if (m.toString().endsWith(".manifest.json")) {
                entries += new com.fasterxml.jackson.databind.ObjectMapper().readTree(m.toFile()).path("entries").asLong();
            }
        }
        assertEquals(30_000, entries, "manifest entry counts");
    }
}
