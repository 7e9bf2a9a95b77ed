package io.hakobu.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.event.LogEntry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link FrameDecoder}, {@link FrameEncoder}, {@link FrameCodec} and {@link BatchPayload} on {@link EmbeddedChannel}s. */
class FrameCodecTest {
    static final int MAX = 1 << 20;
    /** One String object in every entry: from the second entry of a record on, a value-table reference. */
    private static final String HOST = "web-01";

    static List<Frame> samples() {
        BatchPayload p = new BatchPayload();
        return List.of(
                new Frame.Hello(1, Frame.CAP_ZSTD, "web-01", "s3cret"),
                new Frame.Hello(1, 0, "ノード", ""),
                new Frame.Welcome(1, Frame.CAP_ZSTD, "agg-1", 64 << 20),
                p.encode("fwd:0123456789abcdef", List.of(record(7, "nginx", 3)), true),
                p.encode("fwd:m1", List.of(record(1, "a", 1), record(2, "b", 2)), false),
                new Frame.Ack("fwd:0123456789abcdef", 7),
                new Frame.Error(ErrorCode.AUTH_FAILED, "token refused"),
                new Frame.Heartbeat(-42));
    }

    static BatchPayload.Record record(long seq, String source, int n) {
        List<LogEntry> entries = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            LogEntry e = new LogEntry().add("MESSAGE", "line " + i).add("_HOSTNAME", HOST).add("n", (long) i).add("ok", true)
                    .add("bin", new byte[] {0, 1, 2}).add("nested", Map.of("k", List.of(1L, "x")));
            e.origin("file:1:2:abc", 100L * (i + 1));
            entries.add(e);
        }
        return new BatchPayload.Record(seq, source, entries);
    }

    static ByteBuf encode(Frame f) {
        ByteBuf b = Unpooled.buffer();
        FrameCodec.encode(f, b);
        return b;
    }

    static byte[] bytes(Frame f) {
        ByteBuf b = encode(f);
        byte[] a = new byte[b.readableBytes()];
        b.readBytes(a);
        b.release();
        return a;
    }

    static void assertFrameEquals(Frame expected, Frame actual) {
        if (expected instanceof Frame.Batch e) {
            Frame.Batch a = assertInstanceOf(Frame.Batch.class, actual);
            assertEquals(e.stream(), a.stream());
            assertEquals(e.firstSeq(), a.firstSeq());
            assertEquals(e.lastSeq(), a.lastSeq());
            assertEquals(e.entries(), a.entries());
            assertEquals(e.compression(), a.compression());
            assertEquals(e.rawLength(), a.rawLength());
            assertArrayEquals(e.data(), a.data());
        } else {
            assertEquals(expected, actual);
        }
    }

    @Test
    void everyFrameTypeRoundTripsThroughEncoderAndDecoder() {
        EmbeddedChannel out = new EmbeddedChannel(new FrameEncoder());
        EmbeddedChannel in = new EmbeddedChannel(new FrameDecoder(MAX));
        for (Frame f : samples()) {
            assertTrue(out.writeOutbound(f));
            ByteBuf wire = out.readOutbound();
            assertTrue(in.writeInbound(wire));
            Frame back = in.readInbound();
            assertFrameEquals(f, back);
            assertEquals(0, wire.refCnt());
        }
        assertFalse(out.finishAndReleaseAll());
        assertFalse(in.finishAndReleaseAll());
    }

    @Test
    void fragmentedInputOneByteAtATime() {
        EmbeddedChannel in = new EmbeddedChannel(new FrameDecoder(MAX));
        List<Frame> frames = samples();
        List<ByteBuf> fed = new ArrayList<>();
        for (Frame f : frames) {
            for (byte b : bytes(f)) {
                ByteBuf one = Unpooled.buffer(1).writeByte(b);
                fed.add(one);
                in.writeInbound(one);
            }
        }
        for (Frame f : frames) {
            assertFrameEquals(f, in.readInbound());
        }
        assertNull(in.readInbound());
        for (ByteBuf b : fed) {
            assertEquals(0, b.refCnt(), "input buffer released");
        }
        assertFalse(in.finishAndReleaseAll());
    }

    @Test
    void manyFramesInOneBufferAndSplitsAtEveryOffset() {
        ByteBuf all = Unpooled.buffer();
        for (Frame f : samples()) {
            FrameCodec.encode(f, all);
        }
        byte[] wire = new byte[all.readableBytes()];
        all.readBytes(wire);
        all.release();
        for (int cut = 0; cut <= wire.length; cut += 7) {
            EmbeddedChannel in = new EmbeddedChannel(new FrameDecoder(MAX));
            in.writeInbound(Unpooled.wrappedBuffer(wire, 0, cut));
            in.writeInbound(Unpooled.wrappedBuffer(wire, cut, wire.length - cut));
            for (Frame f : samples()) {
                assertFrameEquals(f, in.readInbound());
            }
            assertFalse(in.finishAndReleaseAll());
        }
    }

    /** Feeds {@code wire} and returns the protocol error it caused. */
    static ProtocolException malformed(int max, byte[] wire) {
        EmbeddedChannel in = new EmbeddedChannel(new FrameDecoder(max));
        ByteBuf b = Unpooled.wrappedBuffer(wire);
        ProtocolException e = assertThrows(ProtocolException.class, () -> in.writeInbound(b));
        assertEquals(0, b.refCnt(), "input released after the error");
        // everything after the error is discarded, never decoded
        ByteBuf more = Unpooled.wrappedBuffer(bytes(new Frame.Heartbeat(1)));
        in.writeInbound(more);
        assertNull(in.readInbound());
        assertEquals(0, more.refCnt());
        in.finishAndReleaseAll();
        return e;
    }

    static byte[] hex(String h) {
        return HexFormat.of().parseHex(h.replace(" ", ""));
    }

    @Test
    void badMagicIsRefused() {
        ProtocolException e = malformed(MAX, "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals(ErrorCode.MALFORMED, e.code());
        assertTrue(e.getMessage().contains("bad magic"), e.getMessage());
        // a TLS ClientHello sent to a plain-text listener
        assertEquals(ErrorCode.MALFORMED, malformed(MAX, hex("16 03 01 02 00 01 00 01 fc 03 03")).code());
    }

    @Test
    void unknownTypeAndReservedFlagsAreRefused() {
        assertTrue(malformed(MAX, hex("484B 07 00 00000000")).getMessage().contains("unknown frame type 0x07"));
        assertTrue(malformed(MAX, hex("484B 00 00 00000000")).getMessage().contains("unknown frame type 0x00"));
        assertTrue(malformed(MAX, hex("484B 06 01 00000008 0000000000000000")).getMessage().contains("reserved flags"));
    }

    @Test
    void oversizedLengthIsRefusedFromTheHeaderAlone() {
        // only the 8 header bytes arrive: the decoder must not wait for (or allocate) 2 GiB
        ProtocolException e = malformed(MAX, hex("484B 03 00 7fffffff"));
        assertEquals(ErrorCode.FRAME_TOO_LARGE, e.code());
        assertEquals(ErrorCode.FRAME_TOO_LARGE, malformed(MAX, hex("484B 03 00 ffffffff")).code());
        assertEquals(ErrorCode.FRAME_TOO_LARGE, malformed(1024, hex("484B 03 00 000003f9")).code()); // 1017 + 8 > 1024
    }

    @Test
    void truncatedFieldsAndTrailingBytesAreRefused() {
        // HELLO whose length ends inside the node string
        assertTrue(malformed(MAX, hex("484B 01 00 00000009 0001 00000001 0005 61")).getMessage().contains("truncated"));
        // HEARTBEAT with 9 bytes
        assertTrue(malformed(MAX, hex("484B 06 00 00000009 000000000000000001")).getMessage().contains("after the end"));
        // ACK with a 1-byte payload
        assertEquals(ErrorCode.MALFORMED, malformed(MAX, hex("484B 04 00 00000001 00")).code());
        // empty ERROR payload
        assertEquals(ErrorCode.MALFORMED, malformed(MAX, hex("484B 05 00 00000000")).code());
    }

    @Test
    void badStringsAreRefused() {
        // invalid UTF-8 in the node name
        assertTrue(malformed(MAX, hex("484B 01 00 0000000c 0001 00000000 0002 c328 0000")).getMessage().contains("UTF-8"));
        // node name of 300 bytes announced
        assertTrue(malformed(MAX, hex("484B 01 00 00000008 0001 00000000 012c")).getMessage().contains("above the limit"));
    }

    @Test
    void badBatchHeadersAreRefused() {
        String stream = "0001 73";
        // last < first
        assertTrue(malformed(MAX, hex("484B 03 00 0000001c " + stream + " 0000000000000005 0000000000000004 00000001 00 00000000"))
                .getMessage().contains("sequence range"));
        // negative first
        assertEquals(ErrorCode.MALFORMED,
                malformed(MAX, hex("484B 03 00 0000001c " + stream + " ffffffffffffffff 0000000000000004 00000001 00 00000000")).code());
        // zero entries
        assertTrue(malformed(MAX, hex("484B 03 00 0000001c " + stream + " 0000000000000001 0000000000000001 00000000 00 00000000"))
                .getMessage().contains("entry count"));
        // unknown compression
        assertTrue(malformed(MAX, hex("484B 03 00 0000001c " + stream + " 0000000000000001 0000000000000001 00000001 02 00000000"))
                .getMessage().contains("compression 2"));
        // uncompressed with a raw length that does not match the data
        assertTrue(malformed(MAX, hex("484B 03 00 0000001d " + stream + " 0000000000000001 0000000000000001 00000001 00 00000005 00"))
                .getMessage().contains("announces"));
        // empty stream id
        assertTrue(malformed(MAX, hex("484B 03 00 0000001b 0000 0000000000000001 0000000000000001 00000001 00 00000000"))
                .getMessage().contains("empty"));
        // WELCOME announcing a tiny max frame
        assertEquals(ErrorCode.MALFORMED, malformed(MAX, hex("484B 02 00 0000000c 0001 00000001 0000 00000010")).code());
    }

    @Test
    void anEncodedRecordGoesIntoTheFrameAsItIsAndDecodesLikeItsEntries() {
        BatchPayload.Record plain = record(11, "app", 4);
        io.hakobu.core.codec.ByteBuilder bb = new io.hakobu.core.codec.ByteBuilder(256);
        new io.hakobu.core.buffer.RecordCodec().encode(11, "app", plain.entries(), 0, plain.entries().size(), bb);
        BatchPayload.Record raw = BatchPayload.Record.encoded(11, "app", bb.toByteArray());
        BatchPayload p = new BatchPayload();
        Frame.Batch mixed = p.encode("s", List.of(record(10, "nginx", 2), raw), true);
        assertEquals(6, mixed.entries());
        List<BatchPayload.Record> back = p.decode(mixed, MAX);
        assertEquals(2, back.size());
        assertEquals(11, back.get(1).seq());
        assertEquals("app", back.get(1).sourceId());
        for (int k = 0; k < 4; k++) {
            assertEquals(plain.entries().get(k).toString(), back.get(1).entries().get(k).toString());
        }
        Frame.Batch fromEntries = p.encode("s", List.of(record(10, "nginx", 2), plain), true);
        assertEquals(fromEntries.rawLength(), mixed.rawLength(), "the same bytes either way");
        assertThrows(IllegalArgumentException.class, () -> BatchPayload.Record.encoded(12, "app", bb.toByteArray()),
                "the payload's own sequence number must match");
    }

    @Test
    void payloadRoundTripsWithAndWithoutZstd() {
        BatchPayload p = new BatchPayload();
        List<BatchPayload.Record> recs = List.of(record(10, "nginx", 5), record(11, "app", 2), record(15, "nginx", 1));
        for (boolean zstd : new boolean[] {true, false}) {
            Frame.Batch f = p.encode("s", recs, zstd);
            assertEquals(10, f.firstSeq());
            assertEquals(15, f.lastSeq());
            assertEquals(8, f.entries());
            List<BatchPayload.Record> back = p.decode(f, MAX);
            assertEquals(3, back.size());
            for (int i = 0; i < 3; i++) {
                assertEquals(recs.get(i).seq(), back.get(i).seq());
                assertEquals(recs.get(i).sourceId(), back.get(i).sourceId());
                assertEquals(recs.get(i).entries().size(), back.get(i).entries().size());
                for (int k = 0; k < recs.get(i).entries().size(); k++) {
                    LogEntry a = recs.get(i).entries().get(k);
                    LogEntry b = back.get(i).entries().get(k);
                    assertEquals(a.toString(), b.toString());
                    assertEquals(a.stream(), b.stream());
                    assertEquals(a.position(), b.position());
                }
            }
        }
    }

    /** Decoding refuses it, and so does the aggregator's check, with the same code. */
    static ProtocolException badPayload(Frame.Batch f) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> new BatchPayload().decode(f, MAX));
        assertEquals(e.code(), assertThrows(ProtocolException.class, () -> new BatchPayload().check(f, MAX)).code());
        return e;
    }

    @Test
    void checkedRecordsSayWhereTheyAreWithoutEntries() {
        BatchPayload p = new BatchPayload();
        List<BatchPayload.Record> recs = List.of(record(10, "nginx", 5), record(11, "app", 2));
        Frame.Batch f = p.encode("s", recs, true);
        List<BatchPayload.Record> decoded = p.decode(f, MAX);
        List<BatchPayload.Record> checked = p.check(f, MAX);
        assertEquals(2, checked.size());
        for (int i = 0; i < 2; i++) {
            BatchPayload.Record c = checked.get(i);
            assertEquals(null, c.entries());
            assertEquals(recs.get(i).seq(), c.seq());
            assertEquals(recs.get(i).sourceId(), c.sourceId());
            assertEquals(recs.get(i).entries().size(), c.size());
            assertEquals(recs.get(i).entries().stream().mapToLong(LogEntry::size).sum(), c.fields());
            assertEquals(decoded.get(i).rawOffset(), c.rawOffset());
            assertEquals(decoded.get(i).rawLength(), c.rawLength());
        }
    }

    @Test
    void badPayloadsAreRefused() {
        BatchPayload p = new BatchPayload();
        Frame.Batch good = p.encode("s", List.of(record(3, "a", 2), record(4, "a", 1)), true);
        Frame.Batch plain = p.encode("s", List.of(record(3, "a", 2), record(4, "a", 1)), false);
        // garbage instead of zstd
        assertEquals(ErrorCode.BAD_COMPRESSION, badPayload(new Frame.Batch("s", 3, 4, 3, Frame.COMPRESSION_ZSTD, 100,
                "not zstd at all".getBytes(StandardCharsets.US_ASCII))).code());
        // zstd that decompresses to more than announced (a decompression bomb stops at the announced size)
        assertEquals(ErrorCode.BAD_COMPRESSION, badPayload(new Frame.Batch("s", 3, 4, 3, Frame.COMPRESSION_ZSTD, good.rawLength() - 1,
                good.data())).code());
        // ... or less
        assertEquals(ErrorCode.BAD_COMPRESSION, badPayload(new Frame.Batch("s", 3, 4, 3, Frame.COMPRESSION_ZSTD, good.rawLength() + 1,
                good.data())).code());
        // announced size above the limit: refused before allocating
        assertEquals(ErrorCode.BAD_PAYLOAD, assertThrows(ProtocolException.class,
                () -> new BatchPayload().decode(new Frame.Batch("s", 3, 4, 3, Frame.COMPRESSION_ZSTD, Integer.MAX_VALUE, good.data()), MAX)).code());
        // entry count that does not match
        assertTrue(badPayload(new Frame.Batch("s", 3, 4, 4, plain.compression(), plain.rawLength(), plain.data())).getMessage()
                .contains("entries"));
        // sequence numbers that do not match the header
        assertEquals(ErrorCode.BAD_PAYLOAD, badPayload(new Frame.Batch("s", 2, 4, 3, plain.compression(), plain.rawLength(), plain.data())).code());
        assertEquals(ErrorCode.BAD_PAYLOAD, badPayload(new Frame.Batch("s", 3, 5, 3, plain.compression(), plain.rawLength(), plain.data())).code());
        // a record cut short
        byte[] cut = java.util.Arrays.copyOf(plain.data(), plain.data().length - 3);
        assertEquals(ErrorCode.BAD_PAYLOAD, badPayload(new Frame.Batch("s", 3, 4, 3, Frame.COMPRESSION_NONE, cut.length, cut)).code());
        // a record whose bytes are damaged
        byte[] bad = plain.data().clone();
        for (int i = 20; i < bad.length; i += 5) {
            bad[i] = (byte) 0xFF;
        }
        assertEquals(ErrorCode.BAD_PAYLOAD, badPayload(new Frame.Batch("s", 3, 4, 3, Frame.COMPRESSION_NONE, bad.length, bad)).code());
        // records out of order
        byte[] a = p.encode("s", List.of(record(9, "a", 1)), false).data();
        byte[] b = p.encode("s", List.of(record(8, "a", 1)), false).data();
        byte[] both = new byte[a.length + b.length];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        assertEquals(ErrorCode.BAD_PAYLOAD, badPayload(new Frame.Batch("s", 9, 8 + 1, 2, Frame.COMPRESSION_NONE, both.length, both)).code());
    }
}
