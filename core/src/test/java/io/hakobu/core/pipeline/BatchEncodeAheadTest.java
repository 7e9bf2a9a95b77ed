package io.hakobu.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.hakobu.core.buffer.RecordCodec;
import io.hakobu.core.codec.ByteBuilder;
import io.hakobu.core.event.LogEntry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchEncodeAheadTest {
    private static Batch batch(int n) {
        List<LogEntry> entries = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            entries.add(new LogEntry().add("MESSAGE", "line " + i).origin("s", i));
        }
        return Batch.of("in", entries, BatchAck.none());
    }

    @Test
    void aBatchOfferedToTwoDiskBuffersIsEncodedOnceAndItsBufferGoesBackAfterBothStoredIt() throws Exception {
        List<ByteBuilder> taken = new ArrayList<>();
        List<ByteBuilder> given = new ArrayList<>();
        Batch b = batch(10);
        b.encodeAhead(() -> {
            ByteBuilder x = new ByteBuilder(16);
            taken.add(x);
            return x;
        }, given::add);
        b.encodeAhead(() -> {
            throw new AssertionError("encoded once");
        }, given::add);
        assertEquals(1, taken.size());
        List<RecordCodec.Region> ahead = b.encodedAhead();
        assertNotNull(ahead);
        assertEquals(10, ahead.get(0).count());
        assertSame(taken.get(0).array(), ahead.get(0).buf(), "the payloads lie in the pooled buffer");
        assertEquals(b.entries().toString(), new RecordCodec().decode(ahead.get(0).buf(), ahead.get(0).offset(),
                ahead.get(0).length()).entries().toString());

        b.releaseEncodedAhead();
        assertEquals(0, given.size(), "the other buffer still copies from it");
        assertNotNull(b.encodedAhead());
        b.releaseEncodedAhead();
        assertEquals(List.of(taken.get(0)), given, "back once both stored it");
        assertNull(b.encodedAhead());
        b.releaseEncodedAhead(); // one too many: nothing happens
        assertEquals(1, given.size());
    }

    @Test
    void receivedAndEmptyBatchesAreNotEncodedAhead() throws Exception {
        ByteBuilder rec = new ByteBuilder();
        new RecordCodec().encode(1, "in", batch(2).entries(), 0, 2, rec);
        byte[] raw = rec.toByteArray();
        Batch received = Batch.received("in", raw.length, BatchAck.none(),
                List.of(new RecordCodec.Region(raw, 0, raw.length, "agent/")));
        received.encodeAhead(() -> {
            throw new AssertionError("received batches are copied as they came");
        }, x -> { });
        assertNull(received.encodedAhead());
        Batch empty = Batch.of("in", List.of(), BatchAck.none());
        empty.encodeAhead(() -> {
            throw new AssertionError("nothing to encode");
        }, x -> { });
        assertNull(empty.encodedAhead());
    }
}
