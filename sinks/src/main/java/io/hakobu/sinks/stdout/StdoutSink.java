package io.hakobu.sinks.stdout;

import io.hakobu.core.codec.ByteBuilder;
import io.hakobu.core.codec.Encoder;
import io.hakobu.core.codec.Encoders;
import io.hakobu.core.event.LogEntry;
import io.hakobu.core.pipeline.Batch;
import io.hakobu.core.pipeline.DeliveryStatus;
import io.hakobu.core.pipeline.Sink;
import io.hakobu.core.pipeline.SinkContext;
import io.hakobu.core.telemetry.Counter;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code type: stdout}: encodes every entry and writes it to standard output through a buffered
 * stream, flushed at the end of each {@link #write} call, so that a reader sees whole batches
 * promptly and the pipeline acknowledges only what reached the output.
 *
 * <p>At-least-once: a write that fails part-way is retried whole, so a reader may see part of a
 * batch twice. Standard output is a {@link PrintStream}, which swallows I/O errors; they are
 * detected with {@link PrintStream#checkError()} after the flush and reported as
 * {@code ERRORED} (the runner retries). Counts {@code events_out_total} and
 * {@code bytes_out_total}. Called from the sink runner thread only.
 */
final class StdoutSink implements Sink {
    private static final Logger LOG = LoggerFactory.getLogger(StdoutSink.class);
    /** Encoded bytes are handed to the stream in chunks of about this size. */
    private static final int CHUNK_BYTES = 64 << 10;

    private final String id;
    private final Encoder encoder;
    private final OutputStream target;
    private final OutputStream out;
    private final ByteBuilder buf = new ByteBuilder(CHUNK_BYTES + 4096);
    private Counter eventsOut;
    private Counter bytesOut;
    private boolean failing;

    /**
     * @param target where to write, normally {@code System.out}; never closed by the sink
     */
    StdoutSink(String id, StdoutSinkConfig config, OutputStream target) {
        this.id = id;
        this.encoder = Encoders.create(config.encoding());
        this.target = target;
        this.out = new BufferedOutputStream(target, CHUNK_BYTES);
    }

    @Override
    public void start(SinkContext ctx) {
        eventsOut = ctx.metrics().counter("events_out_total");
        bytesOut = ctx.metrics().counter("bytes_out_total");
    }

    @Override
    public CompletionStage<DeliveryStatus> write(List<Batch> batches) {
        long events = 0;
        long bytes = 0;
        buf.reset();
        try {
            for (Batch batch : batches) {
                for (LogEntry e : batch.entries()) {
                    encoder.encode(e, buf);
                    events++;
                    if (buf.length() >= CHUNK_BYTES) {
                        bytes += drain();
                    }
                }
            }
            bytes += drain();
            out.flush();
            if (target instanceof PrintStream ps && ps.checkError()) {
                throw new IOException("standard output reported an error (closed pipe?)");
            }
        } catch (IOException e) {
            buf.reset();
            if (!failing) {
                LOG.error("sink={} event=write_failed target=stdout error=\"{}\" action=retry", id, e.toString());
                failing = true;
            }
            return CompletableFuture.completedFuture(DeliveryStatus.ERRORED);
        }
        if (failing) {
            LOG.info("sink={} event=write_recovered target=stdout", id);
            failing = false;
        }
        eventsOut.add(events);
        bytesOut.add(bytes);
        return CompletableFuture.completedFuture(DeliveryStatus.DELIVERED);
    }

    private int drain() throws IOException {
        int n = buf.length();
        buf.writeTo(out);
        buf.reset();
        return n;
    }

    @Override
    public void close() throws IOException {
        out.flush(); // never close standard output itself
    }
}
