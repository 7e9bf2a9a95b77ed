package io.hakobu.daemon.source.syslog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.config.ConfigNode;
import io.hakobu.core.config.ConfigProblems;
import io.hakobu.daemon.config.ComponentRegistry;
import io.hakobu.daemon.config.ConfigParser;
import io.hakobu.daemon.config.HakobuConfig;
import io.hakobu.daemon.config.YamlConfigLoader;
import java.io.StringReader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code type: syslog} configuration, through the same parser {@code hakobu check} uses. */
class SyslogSourceConfigTest {

    private static HakobuConfig parse(String source, ConfigProblems problems) {
        String yaml = String.join("\n",
                "node: {name: n, data_dir: /tmp/x}",
                "sources:",
                "  s: " + source,
                "sinks:",
                "  out: {type: stdout}",
                "");
        ConfigNode root = new YamlConfigLoader(k -> null).parse("t.yaml", new StringReader(yaml), problems);
        return new ConfigParser(ComponentRegistry.load()).parse(root, problems);
    }

    @Test
    void validWithDefaults() {
        ConfigProblems problems = new ConfigProblems();
        HakobuConfig c = parse("{type: syslog, listen: [\"udp://0.0.0.0:514\", \"tcp://[::1]:601\", "
                + "\"unix:///run/hakobu/syslog.sock\", \"unix-stream:///run/hakobu/stream.sock\"], fields: {env: prod}}", problems);
        assertTrue(problems.isEmpty(), problems.all()::toString);
        SyslogSourceConfig s = (SyslogSourceConfig) c.sources().get("s").config();
        assertEquals(List.of(SyslogSourceConfig.Transport.UDP, SyslogSourceConfig.Transport.TCP,
                SyslogSourceConfig.Transport.UNIX, SyslogSourceConfig.Transport.UNIX_STREAM),
                s.listen().stream().map(SyslogSourceConfig.Listen::transport).toList());
        assertEquals("::1", s.listen().get(1).host());
        assertEquals(601, s.listen().get(1).port());
        assertEquals("/run/hakobu/syslog.sock", s.listen().get(2).path());
        assertEquals(64 * 1024, s.maxMessageBytes());
        assertEquals(8L << 20, s.maxPendingBytes());
        assertEquals(0666, s.socketMode());
        assertEquals(Map.of("env", "prod"), s.fields());
    }

    @Test
    void everyProblemIsReported() {
        ConfigProblems problems = new ConfigProblems();
        assertNull(parse("{type: syslog, listen: [\"http://x:1\", \"tcp://host\", \"udp://::1:514\", \"unix://relative\", "
                + "\"tcp://127.0.0.1:99999\"], max_message_bytes: 100B, socket_mode: rw, lisen: []}", problems));
        String all = String.join("\n", problems.all());
        assertTrue(all.contains("unknown scheme 'http'"), all);
        assertTrue(all.contains("needs HOST:PORT"), all);
        assertTrue(all.contains("must be in brackets"), all);
        assertTrue(all.contains("needs an absolute socket path"), all);
        assertTrue(all.contains("invalid port"), all);
        assertTrue(all.contains("max_message_bytes: expected a size between 480B and 16MiB"), all);
        assertTrue(all.contains("socket_mode: expected octal permissions"), all);
        assertTrue(all.contains("lisen: unknown key (did you mean 'listen'?)"), all);

        ConfigProblems missing = new ConfigProblems();
        assertNull(parse("{type: syslog}", missing));
        assertTrue(missing.all().stream().anyMatch(p -> p.contains("listen: is required")), missing.all()::toString);

        ConfigProblems twice = new ConfigProblems();
        assertNull(parse("{type: syslog, listen: [\"unix:///a/b\", \"unix-stream:///a/b\"]}", twice));
        assertTrue(twice.all().stream().anyMatch(p -> p.contains("listed twice")), twice.all()::toString);
    }

    @Test
    void listenUris() {
        SyslogSourceConfig.Listen udp = SyslogSourceConfig.Listen.parse("udp://127.0.0.1:5514");
        assertEquals("127.0.0.1", udp.host());
        assertEquals(5514, udp.port());
        assertNotNull(SyslogSourceConfig.Listen.parse("tcp://0.0.0.0:0"));
        assertThrows(IllegalArgumentException.class, () -> SyslogSourceConfig.Listen.parse("tcp:/x:1"));
        assertThrows(IllegalArgumentException.class, () -> SyslogSourceConfig.Listen.parse("unix://" + "/x".repeat(60)));
    }
}
