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
                .matches("dt=\\d{4}-\\d{2}-\\d{2}/hour=\\d{2}/host=[^/]+/(nginx|app)\\.ndjson")), files::toString);
        assertTrue(files.stream().anyMatch(p -> p.toString().contains("dt=" + today)
                || p.toString().contains("dt=" + LocalDate.now(ZoneOffset.UTC).minusDays(1))), files::toString);
        assertTrue(files.stream().anyMatch(p -> p.endsWith("nginx.ndjson")));
        assertTrue(files.stream().anyMatch(p -> p.endsWith("app.ndjson")));
    }
}
