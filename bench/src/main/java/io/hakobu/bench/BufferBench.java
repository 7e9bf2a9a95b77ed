package io.hakobu.bench;

import io.hakobu.core.checkpoint.CheckpointStore;
import io.hakobu.core.event.LogEntry;
import io.hakobu.core.pipeline.Batch;
import io.hakobu.core.pipeline.BatchAck;
import io.hakobu.core.pipeline.BufferConfig;
import io.hakobu.core.pipeline.DeliveryStatus;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Pipeline;
import io.hakobu.core.pipeline.Sink;
import io.hakobu.core.pipeline.SinkContext;
import io.hakobu.core.pipeline.Source;
import io.hakobu.core.pipeline.SourceContext;
import io.hakobu.core.pipeline.WhenFull;
import io.hakobu.core.telemetry.Metrics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Disk buffer write throughput through the real pipeline: one source emits batches of LTSV-like
 * entries as fast as the buffer acknowledges them, the sink discards. The clock runs until the
 * source has been acknowledged for every entry, i.e. until everything is durable in the buffer.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.hakobu.bench.BufferBench DIR ENTRIES FSYNC} where
 * FSYNC is {@code always} or an interval in milliseconds. Prints one line of {@code key=value}:
 * seconds, MB/s of buffer file bytes, fsyncs, and the average bytes per fsync group.
 */
public final class BufferBench {
    private BufferBench() { }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long entries = Long.parseLong(args[1]);
        Duration fsync = "always".equals(args[2]) ? Duration.ZERO : Duration.ofMillis(Long.parseLong(args[2]));
        Files.createDirectories(dir);
        Metrics metrics = new Metrics();
        AtomicLong acked = new AtomicLong();
        int batchSize = 512;
        List<LogEntry> template = new ArrayList<>();
        for (int i = 0; i < batchSize; i++) {
            String line = "time:2026-11-27T10:00:00+09:00\thost:10.0.0." + (i % 250) + "\tmethod:GET\turi:/api/v1/items/" + i
                    + "\tstatus:200\tsize:" + (1000 + i) + "\treqtime:0.0" + (i % 10) + "\tua:Mozilla/5.0 (X11; Linux x86_64)";
            byte[] b = line.getBytes(StandardCharsets.UTF_8);
            LogEntry e = new LogEntry().backing(b);
            e.addSlice("MESSAGE", 0, b.length);
            e.add("_HOSTNAME", "bench").add("__REALTIME_TIMESTAMP", 1_795_000_000_000_000L + i);
            e.origin("file:1:1", i).sizeEstimate(256 + b.length + 40 * 3);
            template.add(e);
        }
        Source source = new Source() {
            @Override
            public void run(SourceContext ctx) throws Exception {
                for (long sent = 0; sent < entries && !ctx.isStopping(); sent += batchSize) {
                    long n = Math.min(batchSize, entries - sent);
                    List<LogEntry> part = template.subList(0, (int) n);
                    BatchAck ack = new BatchAck(s -> acked.addAndGet(n));
                    if (!ctx.emit(Batch.of(ctx.id(), part, ack))) {
                        return;
                    }
                }
                while (!ctx.isStopping()) {
                    ctx.idle(1000);
                }
            }

            @Override
            public void close() { }
        };
        Sink discard = new Sink() {
            @Override
            public void start(SinkContext ctx) { }

            @Override
            public CompletionStage<DeliveryStatus> write(List<Batch> batches) {
                return CompletableFuture.completedFuture(DeliveryStatus.DELIVERED);
            }

            @Override
            public void close() { }
        };
        Pipeline p = Pipeline.builder(new NodeInfo("bench", dir), metrics, new CheckpointStore(dir.resolve("checkpoints")))
                .addSource("gen", "bench", source)
                .addSink("buf", "bench", discard, List.of("gen"), BufferConfig.disk(4L << 30, WhenFull.BLOCK, fsync))
                .build();
        long t0 = System.nanoTime();
        p.start();
        while (acked.get() < entries) {
            LockSupport.parkNanos(1_000_000);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        String m = metrics.renderPrometheus();
        long bytes = sample(m, "hakobu_buffer_written_bytes_total");
        long fsyncs = sample(m, "hakobu_buffer_fsyncs_total");
        p.stop(Duration.ofSeconds(10));
        System.out.printf("fsync=%s entries=%d seconds=%.3f bytes=%d mb_per_s=%.1f fsyncs=%d bytes_per_fsync=%d%n",
                args[2], entries, secs, bytes, bytes / secs / 1e6, fsyncs, fsyncs == 0 ? 0 : bytes / fsyncs);
    }

    private static long sample(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }
}
