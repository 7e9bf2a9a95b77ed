package io.hakobu.bench;

import io.hakobu.core.buffer.CorruptRecordException;
import io.hakobu.core.buffer.NdjsonTranscoder;
import io.hakobu.core.buffer.RecordCodec;
import io.hakobu.core.codec.ByteBuilder;
import io.hakobu.core.codec.LtsvParser;
import io.hakobu.core.codec.NdjsonEncoder;
import io.hakobu.core.codec.Parser;
import io.hakobu.core.event.LogEntry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The disk buffer's record codec, one op = one entry (a parsed nginx LTSV line with typical
 * fields), in records of 512 entries as the buffer writes them. {@code ndjsonEncode} (the file
 * sink's encoder over the same entries) runs in the same fork as the baseline for ratios;
 * {@code recordDecodeThenNdjson} is what the file sink did with a record it read back, and
 * {@code ndjsonFromRecord} what it does now ({@link NdjsonTranscoder}).
 * {@code gc.alloc.rate.norm} (with {@code -prof gc}) is the allocation per entry.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 2)
public class BufferCodecBenchmark {
    private static final int ENTRIES = 512;

    private final List<LogEntry> entries = new ArrayList<>();
    private final RecordCodec encoder = new RecordCodec();
    private final RecordCodec decoder = new RecordCodec();
    private final NdjsonEncoder ndjson = new NdjsonEncoder();
    private final ByteBuilder out = new ByteBuilder(1 << 20);
    private final NdjsonTranscoder transcoder = new NdjsonTranscoder();
    private byte[] record;

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(20231114);
        Parser ltsv = new LtsvParser(false);
        for (int i = 0; i < ENTRIES; i++) {
            byte[] line = ParseBenchmark.nginxLtsvLine(random, i).getBytes(StandardCharsets.UTF_8);
            LogEntry e = new LogEntry(24).backing(line);
            ltsv.parse(line, 0, line.length, e);
            e.add("_HOSTNAME", "web-1").add("_SOURCE", "nginx").add("_FILE", "/var/log/nginx/access.log")
                    .add("__REALTIME_TIMESTAMP", 1_795_000_000_000_000L + i);
            e.origin("file:2049:131075", 1000L * i);
            entries.add(e);
        }
        out.reset();
        encoder.encode(1, "nginx", entries, 0, ENTRIES, out);
        record = out.toByteArray();
    }

    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public int recordEncode() {
        out.reset();
        encoder.encode(1, "nginx", entries, 0, ENTRIES, out);
        return out.length();
    }

    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public int recordDecode() throws CorruptRecordException {
        return decoder.decode(record, record.length).entries().size();
    }

    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public int ndjsonEncode() {
        out.reset();
        for (int i = 0; i < ENTRIES; i++) {
            ndjson.encode(entries.get(i), out);
        }
        return out.length();
    }

    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public int recordDecodeThenNdjson() throws CorruptRecordException {
        out.reset();
        for (LogEntry e : decoder.decode(record, record.length).entries()) {
            ndjson.encode(e, out);
        }
        return out.length();
    }

    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public int ndjsonFromRecord() throws CorruptRecordException {
        out.reset();
        transcoder.write(record, 0, record.length, (stream, position) -> true, out);
        return out.length();
    }
}
