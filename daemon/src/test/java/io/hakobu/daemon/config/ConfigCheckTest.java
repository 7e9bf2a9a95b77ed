package io.hakobu.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.config.ConfigNode;
import io.hakobu.core.config.ConfigProblems;
import java.io.StringReader;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigCheckTest {

    private static HakobuConfig parse(String yaml, ConfigProblems problems, Map<String, String> env) {
        ConfigNode root = new YamlConfigLoader(env::get).parse("test.yaml", new StringReader(yaml), problems);
        return root == null ? null : new ConfigParser(ComponentRegistry.load()).parse(root, problems);
    }

    @Test
    void reportsEveryKindOfProblemAtOnceWithFileLineAndPath() {
        String yaml = String.join("\n",
                "node:",
                "  name: web-01",
                "  shutdown_grace: 10 minutes",          // line 3: bad duration
                "sources:",
                "  nginx:",
                "    type: file",
                "    includ: [\"/var/log/nginx/*.log\"]", // line 7: typo'd key
                "    include: [\"/var/log/nginx/*.log\"]",
                "    keep_message: maybe",                // line 9: wrong type
                "  journal:",
                "    type: jornald",                      // line 11: unknown component type
                "sinks:",
                "  out:",
                "    type: stdout",
                "    inputs: [nginx, nope]",             // line 15: unknown input
                "");
        ConfigProblems problems = new ConfigProblems();
        assertNull(parse(yaml, problems, Map.of()));
        List<String> all = problems.all();
        assertTrue(all.contains("test.yaml:3: node.shutdown_grace: expected a duration like 250ms, 5s, 10m, 1h or 2d, got '10 minutes'"), all::toString);
        assertTrue(all.stream().anyMatch(p -> p.startsWith("test.yaml:7: sources.nginx.includ: unknown key (did you mean 'include'?)")), all::toString);
        assertTrue(all.contains("test.yaml:9: sources.nginx.keep_message: expected true or false, got 'maybe'"), all::toString);
        assertTrue(all.stream().anyMatch(p -> p.startsWith("test.yaml:11: sources.journal.type: unknown source type 'jornald'; known types: ")), all::toString);
        assertTrue(all.stream().anyMatch(p -> p.startsWith("test.yaml:15: sinks.out.inputs: unknown source 'nope'")), all::toString);
        assertEquals(5, all.size(), all::toString);
    }

    @Test
    void validConfigWithEnvironmentSubstitutionAndDefaults() {
        String yaml = String.join("\n",
                "node: {name: \"${NODE:-fallback}\", data_dir: \"${STATE}/hakobu\"}",
                "sources:",
                "  a: {type: stdin, format: ltsv}",
                "  b: {type: file, include: [\"/tmp/x/*.log\"], fields: {env: prod}}",
                "sinks:",
                "  out: {type: stdout, inputs: [a], buffer: {max_bytes: 8MiB, when_full: drop_newest}}",
                "  all: {type: stdout}",
                "");
        ConfigProblems problems = new ConfigProblems();
        HakobuConfig cfg = parse(yaml, problems, Map.of("STATE", "/srv"));
        assertTrue(problems.isEmpty(), problems.all()::toString);
        assertNotNull(cfg);
        assertEquals("fallback", cfg.nodeName());
        assertEquals("/srv/hakobu", cfg.dataDir().toString());
        assertEquals(List.of("a"), cfg.sinks().get("out").inputs());
        assertEquals(List.of("a", "b"), cfg.sinks().get("all").inputs(), "inputs default to every source");
        assertEquals(8L << 20, cfg.sinks().get("out").buffer().maxBytes());
        assertEquals(Duration.ofSeconds(10), cfg.shutdownGrace());
    }

    @Test
    void undefinedVariableDuplicateKeyAndYamlSyntaxErrorsAreReported() {
        ConfigProblems problems = new ConfigProblems();
        parse("node: {data_dir: \"${NOPE}\"}\nsources:\n  a: {type: stdin}\n  a: {type: stdin}\nsinks:\n  o: {type: stdout}\n",
                problems, Map.of());
        assertTrue(problems.all().contains(
                "test.yaml:1: node.data_dir: environment variable NOPE is not set (use ${NOPE:-default} for a default)"),
                problems.all()::toString);
        assertTrue(problems.all().stream().anyMatch(p -> p.startsWith("test.yaml:4: sources.a: duplicate key (first at line 3)")),
                problems.all()::toString);

        ConfigProblems syntax = new ConfigProblems();
        assertNull(parse("sources:\n  a: {type: stdin\nsinks: []\n", syntax, Map.of()));
        assertEquals(1, syntax.size());
        assertTrue(syntax.all().get(0).startsWith("test.yaml:"), syntax.all()::toString);
    }

    @Test
    void shippedExampleConfigurationsAreValid() throws Exception {
        java.nio.file.Path dir = java.nio.file.Path.of("..", "packaging", "src", "config");
        try (var files = java.nio.file.Files.list(dir)) {
            List<java.nio.file.Path> examples = files.filter(p -> p.toString().endsWith(".yaml")).toList();
            assertTrue(examples.size() >= 2, examples::toString);
            for (java.nio.file.Path example : examples) {
                ConfigProblems problems = new ConfigProblems();
                ConfigNode root = new YamlConfigLoader(name -> null).load(example, problems);
                assertNotNull(root, problems.all()::toString);
                assertNotNull(new ConfigParser(ComponentRegistry.load()).parse(root, problems), problems.all()::toString);
                assertTrue(problems.isEmpty(), example + ": " + problems.all());
            }
        }
    }

    @Test
    void missingSectionsAndBadBufferAreReported() {
        ConfigProblems problems = new ConfigProblems();
        parse("sources:\n  a: {type: stdin}\nsinks:\n  o: {type: stdout, buffer: {type: disk, max_bytes: lots, max_events: 5,"
                + " fsync: sometimes}}\n  m: {type: stdout, buffer: {type: memory, fsync: 1s}}\n", problems, Map.of());
        assertTrue(problems.all().stream().anyMatch(p -> p.contains("sinks.o.buffer.max_events: applies to memory buffers only")),
                problems.all()::toString);
        assertTrue(problems.all().stream().anyMatch(p -> p.contains("sinks.o.buffer.fsync: ")), problems.all()::toString);
        assertTrue(problems.all().stream().anyMatch(p -> p.contains("sinks.m.buffer.fsync: applies to disk buffers only")),
                problems.all()::toString);
        assertTrue(problems.all().stream().anyMatch(p -> p.contains("sinks.o.buffer.max_bytes: expected a size")),
                problems.all()::toString);

        ConfigProblems ts = new ConfigProblems();
        parse("sources:\n  a: {type: stdin, timestamp: {field: t, format: \"yyyy {{\"}}\n  b: {type: stdin, timestamp: {format: unix}}\n"
                + "sinks:\n  o: {type: stdout}\n", ts, Map.of());
        assertTrue(ts.all().stream().anyMatch(p -> p.startsWith("test.yaml:2: sources.a.timestamp.format: not a timestamp format")),
                ts.all()::toString);
        assertTrue(ts.all().stream().anyMatch(p -> p.contains("sources.b.timestamp.field: is required")), ts.all()::toString);

        ConfigProblems empty = new ConfigProblems();
        parse("node: {name: x}\n", empty, Map.of());
        assertTrue(empty.all().stream().anyMatch(p -> p.contains("'sources' is missing")), empty.all()::toString);
        assertTrue(empty.all().stream().anyMatch(p -> p.contains("'sinks' is missing")), empty.all()::toString);
    }
}
