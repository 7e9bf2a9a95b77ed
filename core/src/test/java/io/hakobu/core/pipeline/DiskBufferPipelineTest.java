package io.hakobu.core.pipeline;

import static io.hakobu.core.pipeline.PipelineFixtures.await;
import static io.hakobu.core.pipeline.PipelineFixtures.eventLog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.buffer.DiskBuffer;
import io.hakobu.core.checkpoint.CheckpointStore;
import io.hakobu.core.event.LogEntry;
import io.hakobu.core.pipeline.PipelineFixtures.CountingSource;
import io.hakobu.core.pipeline.PipelineFixtures.ScriptedSink;
import io.hakobu.core.telemetry.Metrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline with {@code buffer.type: disk}: the acknowledgement chain, backpressure, restart. */
@Timeout(60)
class DiskBufferPipelineTest {
    @TempDir
    Path dataDir;

    private final Metrics metrics = new Metrics();
    private final Queue<String> events = eventLog();
    private final List<Pipeline> pipelines = new ArrayList<>();

    @AfterEach
    void stopAll() {
        pipelines.forEach(p -> p.stop(Duration.ZERO));
    }

    private Pipeline pipeline(Source source, Sink sink, BufferConfig buffer) throws Exception {
        NodeInfo node = new NodeInfo("test-node", dataDir);
        Pipeline p = Pipeline.builder(node, metrics, new CheckpointStore(dataDir.resolve("checkpoints")))
                .retryBackoff(Duration.ofMillis(1), Duration.ofMillis(20))
                .addSource("src", "test", source)
                .addSink("out", "test", sink, List.of("src"), buffer)
                .build();
        pipelines.add(p);
        p.start();
        return p;
    }

    /** A sink that records the position of every entry it is given, and can be switched off. */
    static final class RecordingSink {
        final Map<Long, Integer> seen = new ConcurrentHashMap<>();
        final AtomicBoolean down = new AtomicBoolean();
        final List<long[]> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        final java.util.concurrent.atomic.AtomicInteger encodedBatches = new java.util.concurrent.atomic.AtomicInteger();
        final ScriptedSink sink;

        RecordingSink(Queue<String> events) {
            sink = new ScriptedSink("out", events, batches -> {
                if (down.get()) {
                    return CompletableFuture.completedFuture(DeliveryStatus.ERRORED);
                }
                for (Batch b : batches) {
                    records.add(new long[] {b.firstRecord(), b.lastRecord()});
                    if (b.encoded() != null) {
                        encodedBatches.incrementAndGet();
                        assertEquals(b.firstRecord(), b.lastRecord(), "an encoded batch is one record");
                        assertEquals(b.firstRecord(), io.hakobu.core.buffer.RecordCodec.seqOf(b.encoded(), 0));
                        assertEquals(b.size(), b.entries().size(), "its entries decode on demand");
                    }
                    for (LogEntry e : b.entries()) {
                        seen.merge(e.position(), 1, Integer::sum);
                    }
                }
                return CompletableFuture.completedFuture(DeliveryStatus.DELIVERED);
            });
        }

        void assertExactlyOnce(int count) {
            for (long i = 0; i < count; i++) {
                assertEquals(1, seen.getOrDefault(i, 0), "position " + i);
            }
            assertEquals(count, seen.size());
        }

        /** Batches carry buffer record ranges that follow each other without gaps or overlaps. */
        void assertContiguousRecords(long first) {
            long next = first;
            for (long[] r : records) {
                assertEquals(next, r[0], "record ranges are contiguous");
                assertTrue(r[1] >= r[0]);
                next = r[1] + 1;
            }
        }
    }

    @Test
    void everyEntryIsDeliveredOnceAndSourcesAreAcknowledged() throws Exception {
        int count = 5000;
        RecordingSink out = new RecordingSink(events);
        CountingSource src = new CountingSource("src", count, events);
        Pipeline p = pipeline(src, out.sink, BufferConfig.disk(64L << 20, WhenFull.BLOCK, Duration.ZERO));
        await(Duration.ofSeconds(30), () -> out.seen.size() == count, "delivery");
        await(() -> src.acker.acknowledged() != null && src.acker.acknowledged() == count - 1, "source acknowledged");
        await(p::idle, "buffer acknowledged");
        assertTrue(p.stop(Duration.ofSeconds(5)));
        out.assertExactlyOnce(count);
        out.assertContiguousRecords(1);
        assertTrue(metrics.renderPrometheus().contains("hakobu_buffer_fsyncs_total"), "fsync metric");
        try (DiskBuffer d = DiskBuffer.open(dataDir.resolve("buffer").resolve("out"), new DiskBuffer.Options(64L << 20, 1 << 20))) {
            assertEquals(0, d.unackedEntries(), "the ledger was saved at close");
            assertEquals(null, d.read());
        }
    }

    @Test
    void anIntervalFsyncSyncsEarlyOnceTheUnsyncedBatchesReachTheirBound() throws Exception {
        // a minute between fsyncs, and batches whose estimates add up to four times the bound: the
        // writer holds what it wrote until it is synced, so it must sync long before the minute
        long batchBytes = 256 * 1024;
        int count = (int) (4 * DiskSinkBuffer.UNSYNCED_BYTES / batchBytes) + 1;
        RecordingSink out = new RecordingSink(events);
        CountingSource src = new CountingSource("src", count, events);
        src.batchBytes = batchBytes;
        pipeline(src, out.sink, BufferConfig.disk(1L << 30, WhenFull.BLOCK, Duration.ofMinutes(1)));
        long unsyncedMost = DiskSinkBuffer.UNSYNCED_BYTES / batchBytes + 1;
        await(Duration.ofSeconds(20), () -> src.acker.acknowledged() != null && src.acker.acknowledged() >= count - 1 - unsyncedMost,
                "sources acknowledged up to the last bound's worth, before the interval");
        await(Duration.ofSeconds(20), () -> out.seen.size() >= count - 1 - unsyncedMost, "synced batches delivered");
        long fsyncs = metrics.component("out", "test").count("buffer_fsyncs_total");
        assertTrue(fsyncs >= 3, "at least one early fsync per bound's worth of batches: " + fsyncs);
        assertTrue(out.seen.values().stream().allMatch(n -> n == 1), "nothing twice");
    }

    /**
     * Emits {@code count} entries while the sink is down (the buffer alone acknowledges them),
     * stops, then starts again with {@code up} as the sink and waits until it has everything.
     */
    private void bufferWhileDownThenDeliver(int count, RecordingSink up) throws Exception {
        RecordingSink down = new RecordingSink(events);
        down.down.set(true);
        CountingSource src = new CountingSource("src", count, events);
        Pipeline p = pipeline(src, down.sink, BufferConfig.disk(64L << 20, WhenFull.BLOCK, Duration.ofMillis(20)));
        // the chain: durable in the buffer is enough for the source's checkpoint
        await(Duration.ofSeconds(30), () -> src.acker.acknowledged() != null && src.acker.acknowledged() == count - 1,
                "source acknowledged by the buffer alone");
        assertEquals(0, down.seen.size());
        p.stop(Duration.ofMillis(200));

        CountingSource none = new CountingSource("src", 0, events);
        Pipeline p2 = pipeline(none, up.sink, BufferConfig.disk(64L << 20, WhenFull.BLOCK, Duration.ZERO));
        await(Duration.ofSeconds(30), () -> up.seen.size() == count, "delivery after restart");
        await(p2::idle, "acknowledged");
        assertTrue(p2.stop(Duration.ofSeconds(5)));
        up.assertExactlyOnce(count);
        up.assertContiguousRecords(1); // the same records, numbered as before the restart
    }

    @Test
    void sourcesAreAcknowledgedByTheBufferWhileTheSinkIsDownAndEverythingArrivesAfterARestart() throws Exception {
        RecordingSink up = new RecordingSink(events);
        bufferWhileDownThenDeliver(3000, up);
        assertEquals(0, up.encodedBatches.get(), "a sink that does not ask for encoded records gets entries");
    }

    @Test
    void aSinkThatAcceptsEncodedRecordsGetsThemUndecodedFromDisk() throws Exception {
        RecordingSink up = new RecordingSink(events);
        up.sink.acceptsEncoded = true;
        bufferWhileDownThenDeliver(3000, up);
        assertEquals(up.records.size(), up.encodedBatches.get(), "everything read from disk came encoded");
        assertTrue(up.encodedBatches.get() > 0);
        try (DiskBuffer d = DiskBuffer.open(dataDir.resolve("buffer").resolve("out"), new DiskBuffer.Options(64L << 20, 1 << 20))) {
            assertEquals(0, d.unackedEntries(), "encoded batches acknowledge their records");
        }
    }

    @Test
    void aFullBufferPausesSourcesAndDrainsWhenTheSinkReturns() throws Exception {
        int count = 20_000;
        RecordingSink out = new RecordingSink(events);
        out.down.set(true);
        CountingSource src = new CountingSource("src", count, events);
        BufferConfig small = BufferConfig.disk(256 * 1024, WhenFull.BLOCK, Duration.ZERO);
        Pipeline p = pipeline(src, out.sink, small);
        // entries cost about 64 estimated bytes each: 256 KiB holds a few thousand, far fewer than count
        await(Duration.ofSeconds(20), () -> src.acker.acknowledged() != null && src.acker.acknowledged() > 500, "buffer fills");
        long stalled = src.acker.acknowledged();
        await(Duration.ofSeconds(20), () -> {
            long before = src.acker.acknowledged();
            java.util.concurrent.locks.LockSupport.parkNanos(200_000_000L);
            return src.acker.acknowledged() == before;
        }, "acknowledgements stop while the sink is down");
        assertTrue(src.acker.acknowledged() < count - 1, "paused at " + stalled);
        assertTrue(src.emittedAll.getCount() == 1, "the source is blocked, not finished");
        String m = metrics.renderPrometheus();
        assertTrue(m.contains("hakobu_buffer_disk_bytes"), m);

        out.down.set(false);
        await(Duration.ofSeconds(40), () -> out.seen.size() == count, "everything drains");
        await(p::idle, "acknowledged");
        out.assertExactlyOnce(count);
        assertTrue(src.emitResults.stream().allMatch(Boolean::booleanValue), "nothing was refused");
    }

    @Test
    void dropNewestDropsAndCountsWhenFull() throws Exception {
        int count = 20_000;
        RecordingSink out = new RecordingSink(events);
        out.down.set(true);
        CountingSource src = new CountingSource("src", count, events);
        Pipeline p = pipeline(src, out.sink, BufferConfig.disk(128 * 1024, WhenFull.DROP_NEWEST, Duration.ZERO));
        await(Duration.ofSeconds(30), () -> src.acker.acknowledged() != null && src.acker.acknowledged() == count - 1,
                "every batch is resolved: written or dropped");
        String m = metrics.renderPrometheus();
        long dropped = metricValue(m, "hakobu_events_dropped_total{component_id=\"out\"");
        assertTrue(dropped > 0, m);
        out.down.set(false);
        await(Duration.ofSeconds(30), p::idle, "drained");
        assertEquals(count, out.seen.size() + dropped, "delivered + dropped = emitted");
    }

    static long metricValue(String text, String prefix) {
        for (String line : text.split("\n")) {
            if (line.startsWith(prefix)) {
                return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return -1;
    }
}
