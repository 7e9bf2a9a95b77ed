package io.hakobu.daemon.protocol;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.config.ConfigNode;
import io.hakobu.core.config.ConfigProblems;
import io.hakobu.daemon.config.ComponentRegistry;
import io.hakobu.daemon.config.ConfigParser;
import io.hakobu.daemon.config.HakobuConfig;
import io.hakobu.daemon.config.YamlConfigLoader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration of the {@code hakobu} source and sink: every problem as FILE:LINE: key.path: message. */
class HakobuConfigTest {
    @TempDir
    Path dir;

    private static List<String> problems(String yaml) {
        ConfigProblems problems = new ConfigProblems();
        ConfigNode root = new YamlConfigLoader(name -> null).parse("test.yaml", new StringReader(yaml), problems);
        HakobuConfig cfg = root == null ? null : new ConfigParser(ComponentRegistry.load()).parse(root, problems);
        if (problems.isEmpty()) {
            assertNotNull(cfg);
        }
        return problems.all();
    }

    private static void assertProblem(List<String> all, String expected) {
        assertTrue(all.stream().anyMatch(p -> p.startsWith(expected) || p.contains(expected)), "expected '" + expected + "' in " + all);
    }

    @Test
    void validAgentAndAggregatorWithTokenFile() throws Exception {
        Path token = dir.resolve("token");
        Files.writeString(token, "  s3cret-token\n");
        List<String> all = problems(String.join("\n",
                "sources:",
                "  from_agents: {type: hakobu, listen: \"127.0.0.1:0\", auth: {token_file: \"" + token + "\"}, max_frame_bytes: 1MiB}",
                "  in: {type: stdin}",
                "sinks:",
                "  fwd: {type: hakobu, inputs: [in], endpoints: [\"127.0.0.1:24240\", \"[::1]:24240\"], strategy: round_robin,",
                "        compression: none, auth: {token_file: \"" + token + "\"}, window: 8, heartbeat_interval: 1s}",
                "  out: {type: stdout, inputs: [from_agents]}",
                ""));
        assertTrue(all.isEmpty(), all::toString);
    }

    @Test
    void everyProblemIsReportedWithFileLineAndKey() throws Exception {
        Path empty = dir.resolve("empty-token");
        Files.writeString(empty, "\n");
        List<String> all = problems(String.join("\n",
                "sources:",
                "  a:",
                "    type: hakobu",
                "    listen: \"localhost\"",                                        // 4
                "    max_frame_bytes: 1KiB",                                        // 5
                "    tls: {cert: /nonexistent/cert.pem, key: /nonexistent/key.pem, client_auth: require}", // 6
                "    auth: {token_file: \"" + empty + "\"}",                        // 7
                "    listne: x",                                                    // 8
                "sinks:",
                "  fwd:",
                "    type: hakobu",
                "    endpoints: [\"agg-1\", \"agg-2:99999\"]",                       // 12
                "    strategy: random",                                             // 13
                "    heartbeat_interval: 5s",
                "    heartbeat_timeout: 2s",                                        // 15
                "    tls: {ca: /nonexistent/ca.pem}",                               // 16
                "    auth: {token_file: /nonexistent/token}",                       // 17
                ""));
        assertProblem(all, "test.yaml:4: sources.a.listen: expected HOST:PORT");
        assertProblem(all, "test.yaml:5: sources.a.max_frame_bytes: expected a size between 64KiB and 1GiB");
        assertProblem(all, "test.yaml:6: sources.a.tls.cert: '/nonexistent/cert.pem' is not a readable file");
        assertProblem(all, "sources.a.tls.client_auth: 'require' needs tls.ca");
        assertProblem(all, "test.yaml:7: sources.a.auth.token_file: '" + empty + "' is empty");
        assertProblem(all, "test.yaml:8: sources.a.listne: unknown key (did you mean 'listen'?)");
        assertProblem(all, "test.yaml:12: sinks.fwd.endpoints: expected HOST:PORT or [IPv6]:PORT, got 'agg-1'");
        assertProblem(all, "test.yaml:12: sinks.fwd.endpoints: port 99999");
        assertProblem(all, "test.yaml:13: sinks.fwd.strategy: expected one of failover, round_robin");
        assertProblem(all, "test.yaml:15: sinks.fwd.heartbeat_timeout: expected more than heartbeat_interval");
        assertProblem(all, "test.yaml:16: sinks.fwd.tls.ca: '/nonexistent/ca.pem' is not a readable file");
        assertProblem(all, "test.yaml:17: sinks.fwd.auth.token_file: cannot read '/nonexistent/token'");
    }

    @Test
    void windowLingerAndFailbackAreChecked() {
        List<String> all = problems(String.join("\n",
                "sources:",
                "  in: {type: stdin}",
                "sinks:",
                "  fwd:",
                "    type: hakobu",
                "    endpoints: [\"127.0.0.1:24240\"]",
                "    writes_in_flight: 0",                                          // 7
                "    linger: 2m",                                                   // 8
                "    failback: 500ms",                                              // 9
                ""));
        assertProblem(all, "test.yaml:7: sinks.fwd.writes_in_flight:");
        assertProblem(all, "test.yaml:8: sinks.fwd.linger: expected at most 1m");
        assertProblem(all, "test.yaml:9: sinks.fwd.failback: expected 0s (never) or at least 1s");
        List<String> none = problems("sources:\n  in: {type: stdin}\nsinks:\n  fwd: {type: hakobu, endpoints: [\"h:1\"],"
                + " writes_in_flight: 8, linger: 0s, failback: 0s}\n");
        assertTrue(none.isEmpty(), none.toString());
    }

    @Test
    void endpointsAreRequired() {
        assertProblem(problems("sources:\n  in: {type: stdin}\nsinks:\n  fwd: {type: hakobu}\n"), "sinks.fwd.endpoints: is required");
        assertProblem(problems("sources:\n  a: {type: hakobu}\nsinks:\n  o: {type: stdout}\n"), "sources.a.listen: is required");
    }
}
