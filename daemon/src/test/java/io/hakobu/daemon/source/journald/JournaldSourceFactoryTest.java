package io.hakobu.daemon.source.journald;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.config.ConfigNode;
import io.hakobu.core.config.ConfigProblems;
import io.hakobu.daemon.config.ComponentRegistry;
import io.hakobu.daemon.config.ConfigParser;
import io.hakobu.daemon.config.YamlConfigLoader;
import java.io.StringReader;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code type: journald} in a configuration: registered, defaults, and every bad key reported. */
class JournaldSourceFactoryTest {

    private static List<String> problems(String sourceYaml) {
        ConfigProblems problems = new ConfigProblems();
        String yaml = "sources:\n  j: " + sourceYaml + "\nsinks:\n  o: {type: stdout}\n";
        ConfigNode root = new YamlConfigLoader(name -> null).parse("test.yaml", new StringReader(yaml), problems);
        assertNotNull(root, problems.all()::toString);
        new ConfigParser(ComponentRegistry.load()).parse(root, problems);
        return problems.all();
    }

    @Test
    void validConfigurationsPass() {
        assertEquals(List.of(), problems("{type: journald}"));
        assertEquals(List.of(), problems("{type: journald, directory: /var/log/journal/remote, units: [nginx.service], "
                + "identifiers: [sshd], matches: [\"PRIORITY=3\", \"+\", \"_TRANSPORT=kernel\"], since_now: true, "
                + "current_boot_only: true, max_field_bytes: 64KiB, max_entry_bytes: 1MiB, batch_events: 500, "
                + "poll_interval: 50ms}"));
    }

    @Test
    void badKeysAreReportedWithTheirPath() {
        List<String> p = problems("{type: journald, directory: relative/dir, matches: [\"priority=3\", \"+\"], "
                + "max_field_bytes: 8MiB, max_entry_bytes: 1MiB, unit: [x]}");
        assertTrue(p.stream().anyMatch(s -> s.contains("sources.j.directory: must be an absolute path")), p::toString);
        assertTrue(p.stream().anyMatch(s -> s.contains("'priority=3' is not a journal match")), p::toString);
        assertTrue(p.stream().anyMatch(s -> s.contains("'+' must stand between two groups")), p::toString);
        assertTrue(p.stream().anyMatch(s -> s.contains("sources.j.max_entry_bytes")), p::toString);
        assertTrue(p.stream().anyMatch(s -> s.contains("unknown key") && s.contains("did you mean 'units'")), p::toString);
    }

    @Test
    void cursorsParse() {
        JournalCursor c = JournalCursor.parse("s=fe2e9a0d54374ddc8396deedcfac9e82;i=1a;b=0123456789abcdef0123456789abcdef;"
                + "m=3e8;t=60a24181e4000;x=5bd2d0ac0eedb33c");
        assertNotNull(c);
        assertEquals("fe2e9a0d54374ddc8396deedcfac9e82", c.seqnumId());
        assertEquals(26, c.seqnum());
        assertEquals("0123456789abcdef0123456789abcdef", c.bootId());
        assertNotNull(JournalCursor.parse("s=fe2e9a0d54374ddc8396deedcfac9e82;i=1;b=0123456789abcdef0123456789abcdef;"
                + "m=3e8;t=60a24181e4000;x=5bd2d0ac0eedb33c;p=system.journal"), "older cursors with p= parse");
        assertEquals(null, JournalCursor.parse("garbage"));
        assertEquals(null, JournalCursor.parse("s=xyz;i=1;b=0123456789abcdef0123456789abcdef"));
        assertEquals(null, JournalCursor.parse("s=fe2e9a0d54374ddc8396deedcfac9e82;i=zz;b=0123456789abcdef0123456789abcdef"));
    }
}
