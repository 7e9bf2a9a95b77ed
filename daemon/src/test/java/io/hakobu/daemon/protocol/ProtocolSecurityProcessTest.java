package io.hakobu.daemon.protocol;

import static io.hakobu.daemon.DaemonTesting.freePort;
import static io.hakobu.daemon.DaemonTesting.metricSum;
import static io.hakobu.daemon.DaemonTesting.read;
import static io.hakobu.daemon.NumberedLines.append;
import static io.hakobu.daemon.NumberedLines.lineCount;
import static io.hakobu.daemon.NumberedLines.tally;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hakobu.daemon.Await;
import io.hakobu.daemon.HakobuProcess;
import io.hakobu.daemon.NumberedLines;
import io.hakobu.daemon.NumberedLines.Tally;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hakobu run} agents and an aggregator as processes: mutual TLS with a token (an agent with
 * the wrong token and one without a client certificate are refused, with clear messages in both
 * logs), and backpressure from a stalled aggregator sink back to the agent without loss.
 */
@Timeout(300)
class ProtocolSecurityProcessTest {
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private void openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
    }

    private void keyAndCsr(String name) throws Exception {
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name + ".key");
        openssl("req", "-new", "-key", name + ".key", "-subj", "/CN=" + name, "-out", name + ".csr");
    }

    private void sign(String name, String ext) throws Exception {
        Files.writeString(dir.resolve(name + ".ext"), ext + "\n");
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                "-out", name + ".pem", "-extfile", name + ".ext");
    }

    private String agentYaml(String node, int port, String tls, String tokenFile, Path in) {
        return String.join("\n",
                "node: {name: " + node + ", data_dir: " + dir.resolve(node + "-state") + ", shutdown_grace: 5s}",
                "sources:",
                "  input: {type: file, include: [\"" + in + "\"], format: logfmt, poll_interval: 20ms}",
                "sinks:",
                "  fwd:",
                "    type: hakobu",
                "    endpoints: [\"127.0.0.1:" + port + "\"]",
                "    backoff_min: 50ms",
                "    backoff_max: 500ms",
                tls == null ? "" : "    tls: " + tls,
                tokenFile == null ? "" : "    auth: {token_file: \"" + tokenFile + "\"}",
                "");
    }

    @Test
    void mutualTlsWithTokenAcceptsTheRightAgentAndRefusesOthersClearly() throws Exception {
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ca.key");
        openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=test-ca", "-days", "2", "-out", "ca.pem");
        keyAndCsr("agg");
        sign("agg", "subjectAltName=IP:127.0.0.1,DNS:localhost");
        keyAndCsr("agent");
        sign("agent", "basicConstraints=CA:FALSE");
        Path token = dir.resolve("token");
        Files.writeString(token, "correct horse battery staple\n");
        Path wrongToken = dir.resolve("wrong-token");
        Files.writeString(wrongToken, "tr0ub4dor&3\n");

        int port = freePort();
        Path out = dir.resolve("out/out.ndjson");
        Path aggCfg = dir.resolve("agg.yaml");
        Files.writeString(aggCfg, ProtocolProcessTest.aggregatorYaml(dir.resolve("agg"), out, port, String.join("\n",
                "    tls: {cert: \"" + dir.resolve("agg.pem") + "\", key: \"" + dir.resolve("agg.key") + "\", ca: \"" + dir.resolve("ca.pem")
                        + "\", client_auth: require}",
                "    auth: {token_file: \"" + token + "\"}")));
        String goodTls = "{ca: \"" + dir.resolve("ca.pem") + "\", cert: \"" + dir.resolve("agent.pem") + "\", key: \""
                + dir.resolve("agent.key") + "\"}";
        Path in = dir.resolve("in.log");
        Files.createFile(in);
        int lines = 20_000;
        append(in, 0, lines);
        Path good = dir.resolve("good.yaml");
        Files.writeString(good, agentYaml("agent-good", port, goodTls, token.toString(), in));
        Path badToken = dir.resolve("bad-token.yaml");
        Files.writeString(badToken, agentYaml("agent-bad-token", port, goodTls, wrongToken.toString(), in));
        Path noCert = dir.resolve("no-cert.yaml");
        Files.writeString(noCert, agentYaml("agent-no-cert", port, "{ca: \"" + dir.resolve("ca.pem") + "\"}", token.toString(), in));
        Path aggLog = dir.resolve("agg.log");
        Path goodLog = dir.resolve("good.log");
        Path badTokenLog = dir.resolve("bad-token.log");
        Path noCertLog = dir.resolve("no-cert.log");

        // check: the configurations are valid (certificates and token files load)
        for (Path cfg : List.of(aggCfg, good, badToken, noCert)) {
            Path checkLog = dir.resolve("check.log");
            assertEquals(0, HakobuProcess.exec(checkLog, "check", "-c", cfg.toString()), () -> read(checkLog));
        }
        try (HakobuProcess agg = HakobuProcess.run(aggLog, aggCfg);
             HakobuProcess a = HakobuProcess.run(goodLog, good);
             HakobuProcess b = HakobuProcess.run(badTokenLog, badToken);
             HakobuProcess c = HakobuProcess.run(noCertLog, noCert)) {
            Await.until(Duration.ofSeconds(90), "every line from the good agent", () -> lineCount(out) >= lines);
            Await.until(Duration.ofSeconds(60), "the wrong token refused on both sides",
                    () -> read(badTokenLog).contains("event=refused") && read(badTokenLog).contains("code=auth_failed")
                            && read(aggLog).contains("code=auth_failed"));
            assertTrue(read(badTokenLog).contains("token refused by aggregator agg: it does not match the aggregator's token_file"),
                    read(badTokenLog));
            Await.until(Duration.ofSeconds(60), "the agent without a certificate refused on both sides",
                    () -> read(noCertLog).contains("event=tls_") && read(aggLog).contains("event=tls_handshake_failed"));
            assertTrue(read(aggLog).contains("the agent sent no client certificate issued by this aggregator's tls.ca"), read(aggLog));
            assertTrue(read(noCertLog).contains("requires a client certificate"), read(noCertLog));
            assertEquals(0, a.terminate(60));
            assertEquals(0, agg.terminate(60));
        }
        tally(lines, out).assertExactlyOnce("output");
        assertEquals(lines, lineCount(out), "only the good agent's lines");
    }

    /**
     * The aggregator's sink is down (its directory is a regular file) and its buffer small: three
     * agents send until the aggregator's handoff passes {@code max_pending_bytes}, the aggregator
     * stops reading connections, the agents' writes wait for acknowledgements that do not come,
     * and their disk buffers hold the rest; once the sink comes back every line of every agent
     * arrives exactly once. (Each agent keeps one write in flight, so it takes several agents to
     * fill the aggregator's handoff.)
     */
    @Test
    void aStalledAggregatorPushesBackToTheAgentsWithoutLoss() throws Exception {
        int port = freePort();
        int aggApi = freePort();
        Path blocker = dir.resolve("out");
        Path out = blocker.resolve("out.ndjson");
        Files.writeString(blocker, "not a directory\n");
        Path aggCfg = dir.resolve("agg.yaml");
        Files.writeString(aggCfg, String.join("\n",
                "node: {name: agg, data_dir: " + dir.resolve("agg") + ", shutdown_grace: 5s}",
                "api: {listen: \"127.0.0.1:" + aggApi + "\"}",
                "sources:",
                "  from_agents: {type: hakobu, listen: \"127.0.0.1:" + port + "\", max_pending_bytes: 64KiB}",
                "sinks:",
                "  out: {type: file, path: \"" + out + "\", encoding: ndjson, buffer: {type: memory, max_events: 1024}}",
                ""));
        int agents = 3;
        int lines = 20_000;
        List<HakobuProcess> procs = new ArrayList<>();
        try (HakobuProcess agg = HakobuProcess.run(dir.resolve("agg.log"), aggCfg)) {
            for (int i = 0; i < agents; i++) {
                Path in = dir.resolve("in-" + i + ".log");
                Files.createFile(in);
                append(in, 0, lines);
                Path cfg = dir.resolve("agent-" + i + ".yaml");
                Files.writeString(cfg, agentYaml("agent-" + i, port, null, null, in));
                procs.add(HakobuProcess.run(dir.resolve("agent-" + i + ".log"), cfg));
            }
            Await.until(Duration.ofSeconds(90), "the aggregator to stop reading",
                    () -> metricSum(aggApi, "hakobu_reads_paused_total") > 0);
            long received = metricSum(aggApi, "hakobu_events_received_total");
            assertTrue(received < (long) agents * lines, "the agents could not send everything: " + received);
            assertEquals(0, metricSum(aggApi, "hakobu_events_dropped_total"), "nothing dropped");
            Files.delete(blocker); // the sink comes back
            Await.until(Duration.ofSeconds(150), "everything to arrive", () -> lineCount(out) >= (long) agents * lines);
            for (HakobuProcess p : procs) {
                assertEquals(0, p.terminate(60));
            }
            assertEquals(0, agg.terminate(60));
        } finally {
            for (HakobuProcess p : procs) {
                p.close();
            }
        }
        Map<String, Tally> seen = new HashMap<>();
        for (String line : Files.readAllLines(out)) {
            JsonNode n = NumberedLines.JSON.readTree(line);
            seen.computeIfAbsent(n.path("_HOSTNAME").asText(), k -> new Tally(lines)).add(NumberedLines.seq(n));
        }
        assertEquals(agents, seen.size(), seen.keySet()::toString);
        seen.forEach((agent, t) -> t.assertExactlyOnce("lines from " + agent));
    }
}
