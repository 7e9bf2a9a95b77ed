package io.hakobu.sinks.stdout;

import static io.hakobu.sinks.TestSinkContext.batch;
import static io.hakobu.sinks.TestSinkContext.write;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hakobu.core.event.LogEntry;
import io.hakobu.core.pipeline.DeliveryStatus;
import io.hakobu.sinks.TestSinkContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StdoutSinkTest {
    @TempDir
    Path dir;

    private static LogEntry entry(int i) {
        return new LogEntry().add("MESSAGE", "hello " + i).add("n", (long) i);
    }

    @Test
    void writesEncodedEntriesAndFlushesEachWrite() throws Exception {
        ByteArrayOutputStream target = new ByteArrayOutputStream();
        StdoutSink sink = new StdoutSink("out", new StdoutSinkConfig("ndjson"), target);
        TestSinkContext ctx = new TestSinkContext("out", "stdout", dir);
        sink.start(ctx);
        assertEquals(DeliveryStatus.DELIVERED, write(sink, batch("src", List.of(entry(1), entry(2)))));
        String expected = "{\"MESSAGE\":\"hello 1\",\"n\":1}\n{\"MESSAGE\":\"hello 2\",\"n\":2}\n";
        assertEquals(expected, target.toString(StandardCharsets.UTF_8), "visible without close: flushed per write");
        assertEquals(2, ctx.count("events_out_total"));
        assertEquals(expected.length(), ctx.count("bytes_out_total"));
        sink.close();
    }

    @Test
    void rawAndLtsvEncodings() throws Exception {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        StdoutSink rawSink = new StdoutSink("out", new StdoutSinkConfig("raw"), raw);
        rawSink.start(new TestSinkContext("out", "stdout", dir));
        write(rawSink, batch("src", List.of(entry(1))));
        assertEquals("hello 1\n", raw.toString(StandardCharsets.UTF_8));

        ByteArrayOutputStream ltsv = new ByteArrayOutputStream();
        StdoutSink ltsvSink = new StdoutSink("out", new StdoutSinkConfig("ltsv"), ltsv);
        ltsvSink.start(new TestSinkContext("out", "stdout", dir));
        write(ltsvSink, batch("src", List.of(entry(1))));
        assertEquals("MESSAGE:hello 1\tn:1\n", ltsv.toString(StandardCharsets.UTF_8));
    }

    @Test
    void largeWritesArriveWholeAndInOrder() throws Exception {
        ByteArrayOutputStream target = new ByteArrayOutputStream();
        StdoutSink sink = new StdoutSink("out", new StdoutSinkConfig("raw"), target);
        sink.start(new TestSinkContext("out", "stdout", dir));
        List<LogEntry> entries = new ArrayList<>();
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            entries.add(entry(i));
            expected.append("hello ").append(i).append('\n');
        }
        write(sink, batch("src", entries));
        assertEquals(expected.toString(), target.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aBrokenOutputIsErrored() throws Exception {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("Broken pipe");
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw new IOException("Broken pipe");
            }
        };
        PrintStream ps = new PrintStream(broken); // swallows the error like System.out does
        StdoutSink sink = new StdoutSink("out", new StdoutSinkConfig("ndjson"), ps);
        TestSinkContext ctx = new TestSinkContext("out", "stdout", dir);
        sink.start(ctx);
        assertEquals(DeliveryStatus.ERRORED, write(sink, batch("src", List.of(entry(1)))));
        assertEquals(0, ctx.count("events_out_total"));

        StdoutSink direct = new StdoutSink("out", new StdoutSinkConfig("ndjson"), broken);
        direct.start(ctx);
        assertEquals(DeliveryStatus.ERRORED, write(direct, batch("src", List.of(entry(1)))));
    }
}
