package io.hakobu.sinks.file;

import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import io.hakobu.core.pipeline.Batch;
import io.hakobu.core.pipeline.BatchAck;
import io.hakobu.core.pipeline.DeliveryStatus;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.sinks.TestSinkContext;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The process {@link FileSinkSigkillTest} kills: plays a source sending sequence numbers from
 * {@code args[2]} on to a file sink, as fast as it can, forever, and prints {@code acked N} after
 * every delivered write. Entry {@code n} goes to host {@code h<n % 3>}, stream {@code s<n % 3>},
 * position {@code n}.
 */
final class SigkillChild {
    static final int HOSTS = 3;

    private SigkillChild() {
    }

    static FileSink sink(Path data, Path out) {
        FileSinkConfig config = new FileSinkConfig(PathTemplate.parse(out + "/{_HOSTNAME}.ndjson"), "ndjson", true, 256);
        return new FileSink("files", config, new NodeInfo("test-node", data));
    }

    /** Entries {@code from..to} (inclusive), as one batch per 50 entries. */
    static List<Batch> batches(long from, long to) {
        List<Batch> batches = new ArrayList<>();
        List<LogEntry> entries = new ArrayList<>();
        for (long n = from; n <= to; n++) {
            int h = (int) (n % HOSTS);
            entries.add(new LogEntry()
                    .add(Fields.MESSAGE, "seq " + n)
                    .add("seq", n)
                    .add(Fields.HOSTNAME, "h" + h)
                    .origin("s" + h, n));
            if (entries.size() == 50) {
                batches.add(Batch.of("gen", entries, BatchAck.none()));
                entries = new ArrayList<>();
            }
        }
        if (!entries.isEmpty()) {
            batches.add(Batch.of("gen", entries, BatchAck.none()));
        }
        return batches;
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        Path out = Path.of(args[1]);
        long next = Long.parseLong(args[2]);
        PrintStream stdout = System.out;
        FileSink sink = sink(data, out);
        sink.start(new TestSinkContext("files", "file", data));
        Random random = new Random();
        while (true) {
            long to = next + random.nextInt(300);
            DeliveryStatus status = sink.write(batches(next, to)).toCompletableFuture().join();
            if (status != DeliveryStatus.DELIVERED) {
                throw new IllegalStateException("write returned " + status);
            }
            stdout.println("acked " + to);
            stdout.flush();
            next = to + 1;
        }
    }
}
