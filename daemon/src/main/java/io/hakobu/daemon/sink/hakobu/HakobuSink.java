package io.hakobu.daemon.sink.hakobu;

import io.hakobu.core.checkpoint.CheckpointStore;
import io.hakobu.core.pipeline.Batch;
import io.hakobu.core.pipeline.DeliveryStatus;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Sink;
import io.hakobu.core.pipeline.SinkContext;
import io.hakobu.core.pipeline.WritePolicy;
import io.hakobu.core.telemetry.Counter;
import io.hakobu.protocol.BatchPayload;
import io.hakobu.protocol.ForwardClient;
import io.hakobu.protocol.Frame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code type: hakobu}: the agent end of the native protocol.
 *
 * <h2>Streams and sequence numbers</h2>
 * A batch read from this sink's disk buffer holds buffer records {@code first..last}; record
 * numbers never repeat and a redelivery after a crash carries the same numbers and contents. So
 * the protocol stream is {@code <sink id>:<epoch>} and a batch's sequence number is its last
 * record: the aggregator keeps the highest sequence it committed per stream and drops anything
 * sent again at or below it. The epoch is a random id kept in the buffer directory
 * ({@code data_dir/buffer/<id>/protocol-epoch}), so a deleted or recreated buffer, whose record
 * numbers start again, is a new stream. Batches from a memory buffer have no record numbers: they
 * get a per-run stream {@code <sink id>:m<random>} and a counter (resends on a new connection are
 * recognised; after a restart the sources read them again anyway).
 *
 * <h2>Writes</h2>
 * The runner hands over up to 64 batches at a time (after up to {@code linger} for more when
 * little is buffered), with up to {@code writes_in_flight} writes outstanding; consecutive batches
 * are packed into BATCH frames of at most {@code batch_max_bytes}/{@code batch_max_events},
 * compressed here (on the sink thread) and queued in the client behind the earlier writes' frames,
 * sent with at most {@code window} frames unacknowledged, and a write completes {@code DELIVERED}
 * when the aggregator acknowledged all of its frames, i.e. made them durable. The client never
 * fails a send while open (it reconnects and resends in order), so a later write can never be
 * acknowledged while an earlier one is retried: the runner's in-order contract holds.
 */
final class HakobuSink implements Sink {
    private static final Logger log = LoggerFactory.getLogger(HakobuSink.class);
    static final String EPOCH_FILE = "protocol-epoch";
    /**
     * The most buffer bytes one write takes (unless batch_max_bytes is larger): one frame at the
     * defaults. The records of the writes in flight stay on the heap until acknowledged; at 4 MiB
     * per write they were most of what an agent's 56 MiB heap promoted under load.
     */
    static final long WRITE_BYTES = 1L << 20;

    private final String id;
    private final HakobuSinkConfig config;
    private final NodeInfo node;
    private final BatchPayload payload = new BatchPayload();
    /** Set by start; read by {@link #problem()} from the API thread too. */
    private volatile ForwardClient client;
    private String diskStream;
    private String memoryStream;
    private long memorySeq;
    private Counter framesBuilt;
    private Counter rawBytes;
    private Counter compressedBytes;

    HakobuSink(String id, HakobuSinkConfig config, NodeInfo node) {
        this.id = id;
        this.config = config;
        this.node = node;
    }

    @Override
    public void start(SinkContext ctx) throws Exception {
        SecureRandom rnd = new SecureRandom();
        byte[] r = new byte[8];
        rnd.nextBytes(r);
        memoryStream = id + ":m" + HexFormat.of().formatHex(r);
        Path bufferDir = node.dataDir().resolve("buffer").resolve(id);
        diskStream = Files.isDirectory(bufferDir) ? id + ":" + epoch(bufferDir, rnd) : memoryStream;
        framesBuilt = ctx.metrics().counter("frames_built_total");
        rawBytes = ctx.metrics().counter("batch_raw_bytes_total");
        compressedBytes = ctx.metrics().counter("batch_compressed_bytes_total");
        client = new ForwardClient(new ForwardClient.Settings(id, node.name(), config.endpoints(), config.strategy(), config.token(),
                config.ssl(), config.zstd(), config.window(), config.connectTimeoutMillis(), config.heartbeatIntervalMillis(),
                config.heartbeatTimeoutMillis(), config.backoffMinMillis(), config.backoffMaxMillis(), config.ackTimeoutMillis(),
                config.failbackMillis()),
                ctx.metrics());
        client.start();
        log.info("sink={} event=started endpoints={} strategy={} stream={} compression={} tls={}", id, config.endpoints(),
                config.strategy().name().toLowerCase(), diskStream, config.zstd() ? "zstd" : "none", config.ssl() != null);
    }

    /** The random epoch of the disk buffer in {@code dir}, created (durably) at first use. */
    static String epoch(Path dir, SecureRandom rnd) throws IOException {
        Path f = dir.resolve(EPOCH_FILE);
        if (Files.exists(f)) {
            String s = Files.readString(f, StandardCharsets.US_ASCII).strip();
            if (s.matches("[0-9a-f]{16}")) {
                return s;
            }
            log.warn("event=epoch_invalid file={} content=\"{}\" action=new_epoch", f, s);
        }
        byte[] b = new byte[8];
        rnd.nextBytes(b);
        String e = HexFormat.of().formatHex(b);
        CheckpointStore.replaceDurably(f, dir.resolve(EPOCH_FILE + ".tmp"), (e + "\n").getBytes(StandardCharsets.US_ASCII));
        return e;
    }

    @Override
    public WritePolicy writePolicy() {
        // a write is a frame or a few: writes_in_flight of them keep the link busy, and the writes
        // in flight (their batches stay on the heap until acknowledged) fit an agent's small heap
        return new WritePolicy(config.writesInFlight(), TimeUnit.MILLISECONDS.toNanos(config.lingerMillis()), config.batchMaxBytes(),
                Math.max(config.batchMaxBytes(), WRITE_BYTES));
    }

    /** Records read back from the disk buffer go out as they are: no decoding and re-encoding here. */
    @Override
    public boolean acceptsEncoded() {
        return true;
    }

    @Override
    public String problem() {
        ForwardClient c = client;
        return c == null ? null : c.problem();
    }

    @Override
    public CompletionStage<DeliveryStatus> write(List<Batch> batches) {
        List<Frame.Batch> frames = new ArrayList<>();
        List<BatchPayload.Record> run = new ArrayList<>();
        String runStream = null;
        long runBytes = 0;
        long runEvents = 0;
        for (Batch b : batches) {
            if (b.size() == 0) {
                continue;
            }
            String stream;
            long seq;
            if (b.lastRecord() >= 0) {
                stream = diskStream;
                seq = b.lastRecord();
            } else {
                stream = memoryStream;
                seq = memorySeq++; // a retry (only after a failed write) gets new numbers: at-least-once
            }
            if (!run.isEmpty() && (!stream.equals(runStream) || runBytes + b.bytes() > config.batchMaxBytes()
                    || runEvents + b.size() > config.batchMaxEvents() || seq <= run.get(run.size() - 1).seq())) {
                frames.add(encode(runStream, run));
                run = new ArrayList<>();
                runBytes = 0;
                runEvents = 0;
            }
            run.add(b.encoded() != null ? BatchPayload.Record.encoded(seq, b.sourceId(), b.encoded())
                    : new BatchPayload.Record(seq, b.sourceId(), b.entries()));
            runStream = stream;
            runBytes += b.bytes();
            runEvents += b.size();
        }
        if (!run.isEmpty()) {
            frames.add(encode(runStream, run));
        }
        return client.send(frames).thenApply(v -> DeliveryStatus.DELIVERED);
    }

    private Frame.Batch encode(String stream, List<BatchPayload.Record> records) {
        Frame.Batch f = payload.encode(stream, records, config.zstd());
        framesBuilt.inc();
        rawBytes.add(f.rawLength());
        compressedBytes.add(f.data().length);
        return f;
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
    }
}
