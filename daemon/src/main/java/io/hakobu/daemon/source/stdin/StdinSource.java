package io.hakobu.daemon.source.stdin;

import io.hakobu.core.codec.Parsers;
import io.hakobu.core.event.EntryId;
import io.hakobu.core.event.LogEntry;
import io.hakobu.core.pipeline.Batch;
import io.hakobu.core.pipeline.BatchAck;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Source;
import io.hakobu.core.pipeline.SourceContext;
import io.hakobu.daemon.source.LineEntries;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads lines from an input stream (standard input). A stream cannot be re-read, so there is no
 * checkpoint: the stream identity is {@code stdin:<start time>} and the position is the byte
 * offset after each line. A batch is emitted when full or when the input has nothing more
 * buffered, so interactive input is not held back. Lines longer than the limit are cut and marked.
 */
final class StdinSource implements Source {
    private final String id;
    private final StdinSourceFactory.Config config;
    private final NodeInfo node;
    private final InputStream in;

    StdinSource(String id, StdinSourceFactory.Config config, NodeInfo node, InputStream in) {
        this.id = id;
        this.config = config;
        this.node = node;
        this.in = in;
    }

    @Override
    public void run(SourceContext ctx) throws IOException, InterruptedException {
        LineEntries entries = new LineEntries(node.name(), id, Parsers.create(config.format(), config.keepMessage()),
                config.fields(), config.timestamp());
        String stream = "stdin:" + System.currentTimeMillis();
        EntryId ids = new EntryId(node.name(), id, stream);
        String cursorPrefix = stream + ":";
        int maxLine = (int) config.maxLineBytes();
        byte[] chunk = new byte[64 * 1024];
        byte[] line = new byte[1024];
        int lineLen = 0;
        boolean cut = false;
        long offset = 0;
        List<LogEntry> batch = new ArrayList<>();
        while (!ctx.isStopping()) {
            int n = in.read(chunk);
            if (n < 0) {
                break;
            }
            for (int i = 0; i < n; i++) {
                byte b = chunk[i];
                offset++;
                if (b == '\n') {
                    batch.add(entries.build(line, 0, lineLen, stream, ids, cursorPrefix, offset, null, cut,
                            System.currentTimeMillis() * 1000L));
                    lineLen = 0;
                    cut = false;
                    if (batch.size() >= config.batchEvents()) {
                        emit(ctx, batch);
                        batch = new ArrayList<>();
                    }
                } else if (lineLen < maxLine) {
                    if (lineLen == line.length) {
                        line = Arrays.copyOf(line, Math.min(maxLine, line.length * 2));
                    }
                    line[lineLen++] = b;
                } else {
                    cut = true;
                }
            }
            if (!batch.isEmpty() && in.available() == 0) {
                emit(ctx, batch);
                batch = new ArrayList<>();
            }
        }
        if (lineLen > 0) { // last line without a newline: keep it
            batch.add(entries.build(line, 0, lineLen, stream, ids, cursorPrefix, offset, null, cut,
                    System.currentTimeMillis() * 1000L));
        }
        if (!batch.isEmpty()) {
            emit(ctx, batch);
        }
    }

    /** Batch bytes are the entries' heap estimates, which the sinks' buffers bound. */
    private void emit(SourceContext ctx, List<LogEntry> batch) throws InterruptedException {
        ctx.emit(Batch.of(id, batch, BatchAck.none()));
    }
}
