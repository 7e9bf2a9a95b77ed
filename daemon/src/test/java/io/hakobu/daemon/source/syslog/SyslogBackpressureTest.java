package io.hakobu.daemon.source.syslog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.checkpoint.CheckpointStore;
import io.hakobu.core.event.LogEntry;
import io.hakobu.core.pipeline.Batch;
import io.hakobu.core.pipeline.BufferConfig;
import io.hakobu.core.pipeline.DeliveryStatus;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Pipeline;
import io.hakobu.core.pipeline.Sink;
import io.hakobu.core.pipeline.WhenFull;
import io.hakobu.core.telemetry.ComponentMetrics;
import io.hakobu.core.telemetry.Metrics;
import io.hakobu.daemon.Await;
import io.hakobu.daemon.DaemonTesting;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline in-process with a sink that stalls until released: a TCP sender is paused (hakobu
 * stops reading, the sender blocks, the handoff stays bounded) and loses nothing once the sink
 * moves again; datagrams sent meanwhile are dropped and every drop is counted.
 */
class SyslogBackpressureTest {
    private static final int TCP_MESSAGES = 300_000; // ~30 MB: more than socket buffers hold
    private static final int UDP_MESSAGES = 3_000;

    @TempDir
    Path dir;

    /** Holds every write until opened; counts what it received per transport. */
    static final class GateSink implements Sink {
        final CountDownLatch open = new CountDownLatch(1);
        final boolean[] tcpSeen = new boolean[TCP_MESSAGES];
        final AtomicLong tcp = new AtomicLong();
        final AtomicLong tcpDuplicates = new AtomicLong();
        final AtomicLong udp = new AtomicLong();

        @Override
        public CompletionStage<DeliveryStatus> write(List<Batch> batches) throws InterruptedException {
            open.await(120, TimeUnit.SECONDS); // a stalled sink: the runner thread waits here
            for (Batch b : batches) {
                for (LogEntry e : b.entries()) {
                    String m = e.getString("MESSAGE");
                    if (m.startsWith("tcp ")) {
                        int i = Integer.parseInt(m.substring(4, m.indexOf(' ', 4)));
                        if (tcpSeen[i]) {
                            tcpDuplicates.incrementAndGet();
                        }
                        tcpSeen[i] = true;
                        tcp.incrementAndGet();
                    } else {
                        udp.incrementAndGet();
                    }
                }
            }
            return CompletableFuture.completedFuture(DeliveryStatus.DELIVERED);
        }
    }

    @Test
    void tcpPausesAndLosesNothingUdpDropsAreCounted() throws Exception {
        int port = DaemonTesting.freePort();
        long maxPending = 64 << 10;
        SyslogSourceConfig config = new SyslogSourceConfig(
                List.of(SyslogSourceConfig.Listen.parse("tcp://127.0.0.1:" + port),
                        SyslogSourceConfig.Listen.parse("udp://127.0.0.1:" + port)),
                2048, maxPending, false, Map.of(), 256, 0666);
        NodeInfo node = new NodeInfo("bp", dir);
        Metrics metrics = new Metrics();
        GateSink sink = new GateSink();
        Pipeline pipeline = Pipeline.builder(node, metrics, new CheckpointStore(dir.resolve("checkpoints")))
                .addSource("syslog", "syslog", new SyslogSource("syslog", config, node))
                .addSink("gate", "gate", sink, List.of("syslog"), new BufferConfig(512, 1L << 20, WhenFull.BLOCK))
                .build();
        pipeline.start();
        ComponentMetrics m = metrics.component("syslog", "syslog");
        InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        AtomicBoolean senderDone = new AtomicBoolean();
        AtomicReference<Throwable> senderError = new AtomicReference<>();
        Thread sender = new Thread(() -> {
            try {
                Await.until(Duration.ofSeconds(30), "tcp listener", () -> canConnect(target));
                try (Socket s = new Socket()) {
                    s.connect(target, 5000);
                    OutputStream os = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
                    for (int i = 0; i < TCP_MESSAGES; i++) {
                        os.write(("<13>Nov  5 09:07:03 host app[1]: tcp " + i + " " + "p".repeat(50) + "\n")
                                .getBytes(StandardCharsets.US_ASCII));
                    }
                    os.flush();
                }
                senderDone.set(true);
            } catch (Throwable e) {
                senderError.set(e);
            }
        }, "tcp-sender");
        sender.setDaemon(true);
        sender.start();
        try {
            Await.until(Duration.ofSeconds(60), "tcp reads paused", () -> m.count("reads_paused_total") > 0);
            // everything the sink and its buffer cannot take waits in the sender's socket, not in hakobu
            long pending = m.gaugeValue("pending_bytes");
            assertTrue(pending < maxPending + (2 << 20), "handoff bounded (one read beyond the limit): " + pending);
            assertFalse(senderDone.get(), "the sender is blocked while hakobu does not read");

            try (DatagramSocket d = new DatagramSocket()) {
                for (int i = 0; i < UDP_MESSAGES; i++) {
                    byte[] b = ("<13>Nov  5 09:07:03 host app: udp " + i).getBytes(StandardCharsets.US_ASCII);
                    d.send(new DatagramPacket(b, b.length, target));
                }
            }
            Await.until(Duration.ofSeconds(30), "udp drops counted",
                    () -> m.count("events_dropped_total", "reason", "queue_full") > 0);

            sink.open.countDown();
            Await.until(Duration.ofSeconds(120), "every tcp message delivered", () -> sink.tcp.get() >= TCP_MESSAGES);
            assertTrue(senderDone.get() || senderError.get() == null);
            long udpReceived = m.count("messages_received_total", "transport", "udp");
            long dropped = m.count("events_dropped_total", "reason", "queue_full");
            Await.until(Duration.ofSeconds(30), "udp accounted", () -> sink.udp.get() + dropped == udpReceived);
            assertTrue(dropped > 0);
            assertEquals(udpReceived, sink.udp.get() + dropped, "every received datagram delivered or counted as dropped");
        } finally {
            sink.open.countDown();
            assertTrue(pipeline.stop(Duration.ofSeconds(30)), "drained in time");
        }
        assertEquals(null, senderError.get());
        assertEquals(TCP_MESSAGES, sink.tcp.get(), "tcp: none lost");
        assertEquals(0, sink.tcpDuplicates.get(), "tcp: none duplicated");
        assertEquals(TCP_MESSAGES, m.count("messages_received_total", "transport", "tcp"));
    }

    private static boolean canConnect(InetSocketAddress target) {
        try (Socket s = new Socket()) {
            s.connect(target, 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
