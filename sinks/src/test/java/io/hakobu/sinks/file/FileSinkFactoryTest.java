package io.hakobu.sinks.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.config.ConfigMap;
import io.hakobu.core.config.ConfigNode;
import io.hakobu.core.config.ConfigProblems;
import io.hakobu.core.pipeline.SinkFactory;
import io.hakobu.sinks.stdout.StdoutSinkConfig;
import io.hakobu.sinks.stdout.StdoutSinkFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class FileSinkFactoryTest {
    private final ConfigProblems problems = new ConfigProblems();

    private ConfigMap config(String... keyValues) {
        Map<String, ConfigNode> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], ConfigNode.scalar("hakobu.yaml", 10 + i, "sinks.files." + keyValues[i], keyValues[i + 1]));
        }
        return new ConfigMap(ConfigNode.map("hakobu.yaml", 9, "sinks.files", m), problems);
    }

    private String problemsText() {
        return String.join("\n", problems.all());
    }

    @Test
    void defaults() {
        FileSinkConfig c = new FileSinkFactory().parse(config("path", "/var/log/remote/{_HOSTNAME}/{_SOURCE}.log"));
        assertTrue(problems.isEmpty(), problemsText());
        assertNotNull(c);
        assertEquals("/var/log/remote/{_HOSTNAME}/{_SOURCE}.log", c.path().template());
        assertEquals("ndjson", c.encoding());
        assertTrue(c.fsync());
        assertEquals(256, c.maxOpenFiles());
    }

    @Test
    void everyKey() {
        FileSinkConfig c = new FileSinkFactory().parse(config("path", "out.log", "encoding", "raw", "fsync", "false",
                "max_open_files", "8"));
        assertTrue(problems.isEmpty(), problemsText());
        assertEquals("raw", c.encoding());
        assertEquals(false, c.fsync());
        assertEquals(8, c.maxOpenFiles());
    }

    @Test
    void pathIsRequired() {
        assertNull(new FileSinkFactory().parse(config("encoding", "raw")));
        assertEquals(1, problems.size(), problemsText());
        assertTrue(problemsText().contains("sinks.files.path: is required"), problemsText());
    }

    @Test
    void reportsEveryProblemAtOnceWithItsLine() {
        assertNull(new FileSinkFactory().parse(config("path", "/x/{_HOSTNAME", "encoding", "json", "fsync", "maybe",
                "max_open_files", "0", "max_open_file", "3")));
        String all = problemsText();
        assertEquals(5, problems.size(), all);
        assertTrue(all.contains("hakobu.yaml:10: sinks.files.path: '{' at position 4 is not closed"), all);
        assertTrue(all.contains("sinks.files.encoding: expected one of raw, ndjson, ltsv, got 'json'"), all);
        assertTrue(all.contains("sinks.files.fsync: expected true or false"), all);
        assertTrue(all.contains("sinks.files.max_open_files: expected an integer between 1 and 65536"), all);
        assertTrue(all.contains("sinks.files.max_open_file: unknown key (did you mean 'max_open_files'?)"), all);
    }

    @Test
    void stdoutFactory() {
        StdoutSinkConfig c = new StdoutSinkFactory().parse(config());
        assertEquals("ndjson", c.encoding());
        StdoutSinkConfig ltsv = new StdoutSinkFactory().parse(config("encoding", "ltsv"));
        assertEquals("ltsv", ltsv.encoding());
        new StdoutSinkFactory().parse(config("encoding", "xml", "path", "x"));
        assertEquals(2, problems.size(), problemsText());
    }

    @Test
    @SuppressWarnings("rawtypes")
    void bothSinksAreFoundThroughServiceLoader() {
        Set<String> types = new TreeSet<>();
        for (SinkFactory f : ServiceLoader.load(SinkFactory.class)) {
            types.add(f.type());
            assertTrue(!f.description().isBlank());
        }
        assertTrue(types.containsAll(Set.of("file", "stdout")), types.toString());
    }
}
