package io.hakobu.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.telemetry.ComponentMetrics;
import io.hakobu.core.telemetry.Metrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ForwardServer} and {@link ForwardClient} over real sockets on 127.0.0.1: acknowledgements,
 * refusals (token, version, order, garbage, size) with their ERROR frames, isolation of bad
 * connections, resend after reconnect, and TLS with mutual authentication.
 */
@Timeout(120)
class ForwardProtocolTest {
    @TempDir
    Path dir;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final Metrics metrics = new Metrics();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    /** A handler that decodes every batch and acks it at once (or never, when {@code ack} is false). */
    static final class AckingHandler implements ForwardServer.Handler {
        final List<Frame.Batch> received = new CopyOnWriteArrayList<>();
        volatile boolean ack = true;

        @Override
        public void onBatch(ForwardServer.Connection c, Frame.Batch b) {
            new BatchPayload().decode(b, 1 << 24);
            received.add(b);
            if (ack) {
                c.send(new Frame.Ack(b.stream(), b.lastSeq()));
            }
        }
    }

    private ForwardServer server(String id, String token, io.netty.handler.ssl.SslContext ssl, ForwardServer.Handler h) throws Exception {
        ForwardServer s = new ForwardServer(new ForwardServer.Settings(id, "127.0.0.1", 0, "agg-" + id, token, ssl, 1 << 20, 30_000, 1), h,
                metrics.component(id, "hakobu"));
        closeables.add(s);
        return s;
    }

    private ForwardClient client(String id, String token, io.netty.handler.ssl.SslContext ssl, ForwardClient.Strategy strategy, int... ports) {
        return timedClient(id, token, ssl, strategy, 20_000, 0, ports);
    }

    private ForwardClient timedClient(String id, String token, io.netty.handler.ssl.SslContext ssl, ForwardClient.Strategy strategy,
            long ackTimeoutMillis, long failbackMillis, int... ports) {
        List<ForwardClient.Endpoint> eps = new ArrayList<>();
        for (int p : ports) {
            eps.add(new ForwardClient.Endpoint("127.0.0.1", p));
        }
        ForwardClient c = new ForwardClient(new ForwardClient.Settings(id, "agent-" + id, eps, strategy, token, ssl, true, 8, 1000, 200,
                2000, 20, 200, ackTimeoutMillis, failbackMillis), metrics.component(id, "hakobu"));
        closeables.add(c);
        c.start();
        return c;
    }

    static List<Frame.Batch> frames(String stream, long from, int n) {
        BatchPayload p = new BatchPayload();
        List<Frame.Batch> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(p.encode(stream, List.of(FrameCodecTest.record(from + i, "src", 3)), true));
        }
        return out;
    }

    static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(10); // poll interval
        }
    }

    @Test
    void batchesAreAcknowledgedAndTheSendCompletes() throws Exception {
        AckingHandler h = new AckingHandler();
        int port = server("s1", null, null, h).start();
        ForwardClient c = client("c1", null, null, ForwardClient.Strategy.FAILOVER, port);
        c.send(frames("st", 1, 20)).get(30, TimeUnit.SECONDS);
        assertEquals(20, h.received.size());
        ComponentMetrics cm = metrics.component("c1", "hakobu");
        assertEquals(20, cm.count("acks_received_total"));
        assertEquals(20, cm.count("frames_sent_total", "type", "batch"));
        assertEquals(20, metrics.component("s1", "hakobu").count("frames_received_total", "type", "batch"));
        assertTrue(c.isConnected());
    }

    @Test
    void wrongTokenIsRefusedWithAClearMessageOnBothSides() throws Exception {
        AckingHandler h = new AckingHandler();
        int port = server("s2", "right-token", null, h).start();
        ForwardClient c = client("c2", "wrong-token", null, ForwardClient.Strategy.FAILOVER, port);
        await("the client to see the refusal", () -> c.lastError() != null && c.lastError().contains("auth_failed"));
        assertTrue(c.lastError().contains("token refused by aggregator agg-s2"), c.lastError());
        assertTrue(metrics.component("s2", "hakobu").count("protocol_errors_total", "code", "auth_failed") >= 1);
        assertEquals(0, h.received.size());
        // no token at all
        ForwardClient none = client("c2b", null, null, ForwardClient.Strategy.FAILOVER, port);
        await("refusal without token", () -> none.lastError() != null && none.lastError().contains("requires a token"));
        // the right token works
        ForwardClient good = client("c2c", "right-token", null, ForwardClient.Strategy.FAILOVER, port);
        good.send(frames("st", 1, 2)).get(30, TimeUnit.SECONDS);
    }

    /** Raw socket: sends {@code frames} (or raw bytes) and returns the ERROR frame the server answers with, then EOF. */
    static Frame.Error refusal(int port, byte[] wire) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(wire);
            s.getOutputStream().flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            Frame.Error err = null;
            for (;;) {
                byte[] header = new byte[8];
                try {
                    in.readFully(header);
                } catch (EOFException e) {
                    break;
                }
                ByteBuf h = Unpooled.wrappedBuffer(header);
                int len = h.getInt(4);
                byte[] payload = new byte[len];
                in.readFully(payload);
                Frame f = FrameCodec.decode(header[2], Unpooled.wrappedBuffer(payload));
                if (f instanceof Frame.Error e) {
                    err = e;
                }
            }
            assertEquals(-1, in.read(), "connection closed after the error");
            return err;
        }
    }

    static byte[] wire(Frame... frames) {
        ByteBuf b = Unpooled.buffer();
        for (Frame f : frames) {
            FrameCodec.encode(f, b);
        }
        byte[] a = new byte[b.readableBytes()];
        b.readBytes(a);
        b.release();
        return a;
    }

    @Test
    void malformedAndOutOfOrderInputGetsAnErrorFrameAndDoesNotDisturbOtherConnections() throws Exception {
        AckingHandler h = new AckingHandler();
        int port = server("s3", null, null, h).start();
        ForwardClient good = client("c3", null, null, ForwardClient.Strategy.FAILOVER, port);
        good.send(frames("good", 1, 5)).get(30, TimeUnit.SECONDS);

        Frame.Hello hello = new Frame.Hello(1, Frame.CAP_ZSTD, "raw", "");
        Frame.Batch b = frames("raw", 1, 1).get(0);
        assertEquals(ErrorCode.WRONG_ORDER, refusal(port, wire(b)).code());
        assertEquals(ErrorCode.WRONG_ORDER, refusal(port, wire(hello, hello)).code());
        assertEquals(ErrorCode.WRONG_ORDER, refusal(port, wire(hello, new Frame.Ack("x", 1))).code());
        Frame.Error v = refusal(port, wire(new Frame.Hello(2, 0, "raw", "")));
        assertEquals(ErrorCode.VERSION_MISMATCH, v.code());
        assertTrue(v.message().contains("speaks protocol version 1; the agent sent version 2"), v.message());
        assertEquals(ErrorCode.MALFORMED, refusal(port, "garbage garbage garbage".getBytes(StandardCharsets.US_ASCII)).code());
        assertEquals(ErrorCode.FRAME_TOO_LARGE, refusal(port, FrameCodecTest.hex("484B 03 00 7fffffff")).code());
        // batch sequence going backwards on one connection
        Frame.Batch b2 = frames("raw", 1, 1).get(0);
        assertEquals(ErrorCode.WRONG_ORDER, refusal(port, wire(hello, frames("raw", 5, 1).get(0), b2)).code());
        // bad compression: the header is fine, the data is not zstd
        Frame.Batch bad = new Frame.Batch("raw", 1, 1, 3, Frame.COMPRESSION_ZSTD, 100, new byte[] {1, 2, 3, 4});
        assertEquals(ErrorCode.BAD_COMPRESSION, refusal(port, wire(hello, bad)).code());
        // truncated frame then close: the server just drops the connection; the good one still works
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(java.util.Arrays.copyOf(wire(hello, b), 40));
        }
        good.send(frames("good", 6, 5)).get(30, TimeUnit.SECONDS);
        assertEquals(10, h.received.stream().filter(f -> f.stream().equals("good")).count());
        ComponentMetrics sm = metrics.component("s3", "hakobu");
        assertTrue(sm.count("protocol_errors_total", "code", "wrong_order") >= 4);
        assertTrue(sm.count("protocol_errors_total", "code", "malformed") >= 1);
        assertTrue(sm.count("protocol_errors_total", "code", "frame_too_large") >= 1);
        assertTrue(sm.count("protocol_errors_total", "code", "bad_compression") >= 1);
    }

    @Test
    void unacknowledgedFramesAreResentToTheNextEndpointAfterAConnectionLoss() throws Exception {
        AckingHandler silent = new AckingHandler();
        silent.ack = false;
        ForwardServer first = server("s4a", null, null, silent);
        int p1 = first.start();
        AckingHandler h2 = new AckingHandler();
        int p2 = server("s4b", null, null, h2).start();
        ForwardClient c = client("c4", null, null, ForwardClient.Strategy.FAILOVER, p1, p2);
        CompletableFuture<Void> sent = c.send(frames("st", 1, 12));
        await("frames at the first server", () -> silent.received.size() >= 8); // window 8
        assertEquals(8, silent.received.size(), "no more than the window is in flight");
        first.close(); // tells the agent SHUTTING_DOWN and closes
        sent.get(30, TimeUnit.SECONDS);
        assertEquals(12, h2.received.size(), "everything unacknowledged went to the second server");
        assertTrue(metrics.component("c4", "hakobu").count("frames_resent_total") >= 8);
    }

    @Test
    void severalSendsQueueInOrderAndEachCompletesWhenItsFramesAreAcknowledged() throws Exception {
        AckingHandler h = new AckingHandler();
        int port = server("s6", null, null, h).start();
        ForwardClient c = client("c6", null, null, ForwardClient.Strategy.FAILOVER, port);
        List<CompletableFuture<Void>> sends = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sends.add(c.send(frames("st", 1 + i * 7, 7))); // 35 frames through a window of 8
        }
        for (CompletableFuture<Void> f : sends) {
            f.get(30, TimeUnit.SECONDS);
        }
        assertEquals(35, h.received.size());
        for (int i = 0; i < 35; i++) {
            assertEquals(i + 1, h.received.get(i).firstSeq(), "frames arrive in send order");
        }
        assertEquals(0, metrics.component("c6", "hakobu").gaugeValue("frames_pending"));
    }

    @Test
    void noAcknowledgementWithinTheTimeoutMovesToTheNextEndpointWithoutFailingTheSend() throws Exception {
        AckingHandler silent = new AckingHandler();
        silent.ack = false;
        int p1 = server("s7a", null, null, silent).start();
        AckingHandler h2 = new AckingHandler();
        int p2 = server("s7b", null, null, h2).start();
        ForwardClient c = timedClient("c7", null, null, ForwardClient.Strategy.FAILOVER, 1500, 0, p1, p2);
        CompletableFuture<Void> sent = c.send(frames("st", 1, 4));
        sent.get(30, TimeUnit.SECONDS);
        assertEquals(4, silent.received.size(), "first sent to the silent aggregator");
        assertEquals(4, h2.received.size(), "then resent to the next one");
        assertTrue(metrics.component("c7", "hakobu").count("ack_timeouts_total") >= 1);
        assertNull(c.problem(), "no problem once everything is acknowledged");
    }

    @Test
    void problemSaysWhyFramesWaitOnceTheyWaitedLongerThanTheAckTimeout() throws Exception {
        AckingHandler silent = new AckingHandler();
        silent.ack = false;
        int port = server("s8", null, null, silent).start();
        ForwardClient c = timedClient("c8", null, null, ForwardClient.Strategy.FAILOVER, 1000, 0, port);
        assertNull(c.problem());
        CompletableFuture<Void> sent = c.send(frames("st", 1, 2));
        await("a problem reported", () -> c.problem() != null);
        assertTrue(c.problem().contains("no acknowledgement for"), c.problem());
        assertTrue(!sent.isDone(), "the send is still pending, not failed");
        silent.ack = true; // the next resend is acknowledged
        sent.get(30, TimeUnit.SECONDS);
        assertNull(c.problem());
    }

    @Test
    void failoverReturnsToTheFirstEndpointOnceEverythingSentIsAcknowledged() throws Exception {
        ForwardServer gone = server("s9a", null, null, new AckingHandler());
        int p1 = gone.start();
        gone.close(); // the first endpoint refuses connections for now
        AckingHandler h2 = new AckingHandler();
        int p2 = server("s9b", null, null, h2).start();
        ForwardClient c = timedClient("c9", null, null, ForwardClient.Strategy.FAILOVER, 20_000, 1000, p1, p2);
        c.send(frames("st", 1, 10)).get(30, TimeUnit.SECONDS);
        assertEquals(10, h2.received.size(), "on the second endpoint while the first is down");

        AckingHandler h1 = new AckingHandler();
        ForwardServer back = new ForwardServer(new ForwardServer.Settings("s9c", "127.0.0.1", p1, "agg-s9c", null, null, 1 << 20, 30_000, 1),
                h1, metrics.component("s9c", "hakobu"));
        closeables.add(back);
        back.start(); // the first endpoint is back on its port
        ComponentMetrics cm = metrics.component("c9", "hakobu");
        ComponentMetrics back1 = metrics.component("s9c", "hakobu");
        await("failed back", () -> cm.count("failbacks_total") >= 1 && back1.gaugeValue("connections_open") == 1);
        c.send(frames("st", 11, 10)).get(30, TimeUnit.SECONDS);
        assertEquals(10, h1.received.size(), "after failback the first endpoint gets the new frames");
        assertEquals(10, h2.received.size(), "and nothing was sent to both");
    }

    @Test
    void heartbeatsKeepAnIdleConnectionAlive() throws Exception {
        AckingHandler h = new AckingHandler();
        int port = server("s5", null, null, h).start();
        ForwardClient c = client("c5", null, null, ForwardClient.Strategy.ROUND_ROBIN, port);
        await("connected", c::isConnected);
        ComponentMetrics cm = metrics.component("c5", "hakobu");
        await("heartbeats answered for longer than the heartbeat timeout", () -> cm.count("heartbeats_total") >= 15);
        assertTrue(c.isConnected());
        assertEquals(1, cm.count("connections_total"));
        assertEquals(0, cm.count("heartbeat_timeouts_total"));
    }

    // ---- TLS -------------------------------------------------------------------------------

    private void openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
    }

    /** A CA ({@code <ca>.pem}) and a certificate {@code <name>.pem}/{@code <name>.key} signed by it with the given SAN. */
    private void cert(String ca, String name, String san) throws Exception {
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name + ".key");
        openssl("req", "-new", "-key", name + ".key", "-subj", "/CN=" + name, "-out", name + ".csr");
        Files.writeString(dir.resolve(name + ".ext"), san == null ? "basicConstraints=CA:FALSE\n" : "subjectAltName=" + san + "\n");
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial", "-days", "2",
                "-out", name + ".pem", "-extfile", name + ".ext");
    }

    private void ca(String name) throws Exception {
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name + ".key");
        openssl("req", "-x509", "-new", "-key", name + ".key", "-subj", "/CN=" + name, "-days", "2", "-out", name + ".pem");
    }

    private Path f(String name) {
        return dir.resolve(name);
    }

    @Test
    void mutualTlsAcceptsTrustedClientsAndRefusesOthersWithClearMessages() throws Exception {
        ca("ca");
        ca("rogue-ca");
        cert("ca", "server", "IP:127.0.0.1,DNS:localhost");
        cert("ca", "agent", null);
        cert("rogue-ca", "intruder", null);
        cert("ca", "elsewhere", "DNS:other.example");
        AckingHandler h = new AckingHandler();
        var serverTls = new Tls(f("server.pem"), f("server.key"), f("ca.pem"), true, false).serverContext();
        int port = server("tls", null, serverTls, h).start();

        // trusted client certificate, hostname verified: works
        ForwardClient ok = client("tls-ok", null, new Tls(f("agent.pem"), f("agent.key"), f("ca.pem"), false, true).clientContext(),
                ForwardClient.Strategy.FAILOVER, port);
        ok.send(frames("tls", 1, 3)).get(30, TimeUnit.SECONDS);
        assertEquals(3, h.received.size());

        // a client certificate from another CA: refused
        ForwardClient intruder = client("tls-intruder", null,
                new Tls(f("intruder.pem"), f("intruder.key"), f("ca.pem"), false, true).clientContext(), ForwardClient.Strategy.FAILOVER, port);
        await("the intruder to be refused", () -> intruder.lastError() != null && intruder.lastError().contains("TLS"));
        assertTrue(!intruder.isConnected());
        // no client certificate: refused
        ForwardClient anonymous = client("tls-anon", null, new Tls(null, null, f("ca.pem"), false, true).clientContext(),
                ForwardClient.Strategy.FAILOVER, port);
        await("the anonymous client to be refused", () -> anonymous.lastError() != null && anonymous.lastError().contains("TLS"));
        await("server counted the failed handshakes", () -> metrics.component("tls", "hakobu").count("tls_handshake_failures_total") >= 2);
        assertEquals(3, h.received.size());

        // the agent does not trust the server's CA
        ForwardClient distrustful = client("tls-distrust", null,
                new Tls(f("agent.pem"), f("agent.key"), f("rogue-ca.pem"), false, true).clientContext(), ForwardClient.Strategy.FAILOVER, port);
        await("untrusted server certificate", () -> distrustful.lastError() != null
                && distrustful.lastError().contains("not signed by a trusted CA"));

        // a server certificate for another name: hostname verification fails
        var otherTls = new Tls(f("elsewhere.pem"), f("elsewhere.key"), f("ca.pem"), true, false).serverContext();
        int otherPort = server("tls-other", null, otherTls, new AckingHandler()).start();
        ForwardClient strict = client("tls-strict", null, new Tls(f("agent.pem"), f("agent.key"), f("ca.pem"), false, true).clientContext(),
                ForwardClient.Strategy.FAILOVER, otherPort);
        await("hostname verification failure", () -> strict.lastError() != null && strict.lastError().contains("hostname verification failed"));
        // ... unless verification is off
        ForwardClient lax = client("tls-lax", null, new Tls(f("agent.pem"), f("agent.key"), f("ca.pem"), false, false).clientContext(),
                ForwardClient.Strategy.FAILOVER, otherPort);
        lax.send(frames("tls", 1, 1)).get(30, TimeUnit.SECONDS);
        assertNull(lax.lastError());

        // plain text against a TLS listener: a clear error, no crash
        ForwardClient plain = client("tls-plain", null, null, ForwardClient.Strategy.FAILOVER, port);
        await("plain client refused", () -> plain.lastError() != null);
        assertInstanceOf(String.class, plain.lastError());
        for (ForwardClient c : List.of(intruder, anonymous, distrustful, strict, plain)) {
            System.out.println("agent sees: " + c.lastError());
        }
    }
}
