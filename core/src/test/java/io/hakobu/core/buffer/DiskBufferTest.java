package io.hakobu.core.buffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.codec.ByteBuilder;
import io.hakobu.core.event.LogEntry;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskBufferTest {
    @TempDir
    Path dir;

    private static final DiskBuffer.Options SMALL = new DiskBuffer.Options(64L << 20, 8 * 1024);

    static List<LogEntry> entries(int from, int n) {
        List<LogEntry> out = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            byte[] line = ("seq=" + i + " msg=hello").getBytes(StandardCharsets.UTF_8);
            LogEntry e = new LogEntry().backing(line);
            e.addSlice("MESSAGE", 0, line.length);
            e.add("SEQ", (long) i);
            e.origin("file:1:2", 100L + i);
            out.add(e);
        }
        return out;
    }

    static long seqOf(LogEntry e) {
        return ((Number) e.get("SEQ")).longValue();
    }

    /** Reads every record the reader offers, acknowledging each; returns the SEQ values in order. */
    static List<Long> drainAndAck(DiskBuffer b) throws IOException {
        List<Long> seen = new ArrayList<>();
        DiskBuffer.ReadRecord r;
        while ((r = b.read()) != null) {
            for (LogEntry e : r.entries()) {
                seen.add(seqOf(e));
            }
            b.ack(r.seq(), r.entries().size(), r.payloadBytes());
        }
        return seen;
    }

    @Test
    void codecRoundTripsEveryValueType() throws Exception {
        byte[] line = "héllo wörld".getBytes(StandardCharsets.UTF_8);
        LogEntry e = new LogEntry().backing(line);
        e.addSlice("MESSAGE", 0, line.length);
        e.add("n", 42L).add("i", 7).add("neg", -5L).add("d", 2.5).add("t", true).add("f", false).add("nul", null);
        e.add("bin", new byte[] {0, 1, (byte) 0xff});
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", List.of(1L, "x", Map.of("k", "v")));
        e.add("obj", m).add("日本", "語").add("MESSAGE", "repeated name");
        e.origin("journal:abc", -1).sizeEstimate(777);
        LogEntry other = new LogEntry().add("x", "y");

        ByteBuilder out = new ByteBuilder();
        RecordCodec codec = new RecordCodec();
        codec.encode(9, "src", List.of(e, other), 0, 2, out);
        RecordCodec.Decoded d = codec.decode(out.toByteArray(), out.length()); // one instance does both
        assertEquals(9, d.seq());
        assertEquals("src", d.sourceId());
        assertEquals(2, d.entries().size());
        LogEntry back = d.entries().get(0);
        assertEquals(e.size(), back.size());
        for (int i = 0; i < e.size(); i++) {
            assertEquals(e.name(i), back.name(i));
            Object want = e.value(i);
            if (want instanceof Integer n) {
                want = n.longValue();
            }
            if (want instanceof byte[] b) {
                assertArrayEquals(b, (byte[]) back.value(i));
            } else {
                assertEquals(want, back.value(i), e.name(i));
            }
        }
        assertEquals("journal:abc", back.stream());
        assertEquals(-1, back.position());
        assertEquals(777, back.sizeEstimate());
        assertNull(d.entries().get(1).stream());
        assertEquals("y", d.entries().get(1).get("x"));

        byte[] cut = java.util.Arrays.copyOf(out.array(), out.length() - 3);
        assertThrows(CorruptRecordException.class, () -> new RecordCodec().decode(cut, cut.length));
        List<LogEntry> salvaged = new ArrayList<>();
        assertEquals(1, new RecordCodec().salvage(cut, cut.length, salvaged), "the first entry survives a cut tail");
    }

    @Test
    void aReheadedRecordDecodesToTheSameEntriesWithPrefixedStreams() throws Exception {
        List<LogEntry> in = entries(0, 5);
        in.get(1).origin("file:3:4", 7); // a second stream in the record
        in.get(2).origin(null, -1); // no stream: stays without one
        RecordCodec codec = new RecordCodec();
        ByteBuilder agent = new ByteBuilder();
        codec.encode(41, "nginx", in, 0, in.size(), agent);
        // the payload sits inside a larger array, as a record of a frame does
        byte[] frame = new byte[agent.length() + 10];
        System.arraycopy(agent.array(), 0, frame, 7, agent.length());

        ByteBuilder agg = new ByteBuilder();
        RecordCodec.writeReheaded(agg, 9, "in", "web-1/nginx/", frame, 7, agent.length());
        assertEquals(5, RecordCodec.countOf(agg.array(), 0));
        assertEquals(9, RecordCodec.seqOf(agg.array(), 0));
        assertEquals("in", codec.sourceOf(agg.toByteArray(), agg.length()));
        RecordCodec.Decoded d = codec.decode(agg.toByteArray(), agg.length());
        assertEquals(9, d.seq());
        assertEquals("in", d.sourceId());
        assertEquals(5, d.entries().size());
        for (int i = 0; i < 5; i++) {
            LogEntry want = in.get(i);
            LogEntry got = d.entries().get(i);
            assertEquals(want.stream() == null ? null : "web-1/nginx/" + want.stream(), got.stream(), "entry " + i);
            assertEquals(want.position(), got.position());
            assertEquals(want.getString("MESSAGE"), got.getString("MESSAGE"));
            assertEquals(want.get("SEQ"), got.get("SEQ"));
        }

        // a second hop puts its prefix in front of the first
        ByteBuilder hop2 = new ByteBuilder();
        RecordCodec.writeReheaded(hop2, 1, "up", "agg-1/in/", agg.array(), 0, agg.length());
        RecordCodec.Decoded d2 = codec.decode(hop2.toByteArray(), hop2.length());
        assertEquals("agg-1/in/web-1/nginx/file:1:2", d2.entries().get(0).stream());
        assertEquals("agg-1/in/web-1/nginx/file:3:4", d2.entries().get(1).stream());
        assertNull(d2.entries().get(2).stream());

        // the prefix is per record: the next record this codec decodes has none
        assertEquals("file:1:2", codec.decode(agent.toByteArray(), agent.length()).entries().get(0).stream());

        // a damaged header is refused, nothing appended
        ByteBuilder none = new ByteBuilder();
        assertThrows(CorruptRecordException.class, () -> RecordCodec.writeReheaded(none, 1, "x", "p/", frame, 7, 10));
        assertEquals(0, none.length());
    }

    /**
     * Entries encoded ahead on a source's thread and stored by copying are the very records the
     * writer would have encoded: payload for payload, byte for byte, also when a batch is cut
     * into several records, and with the value table's shared strings.
     */
    @Test
    void entriesEncodedAheadAreStoredAsTheWriterWouldHaveEncodedThem() throws Exception {
        List<LogEntry> batch = entries(0, 300);
        String host = "web-01"; // the same String object in every entry: the value table
        StringBuilder big = new StringBuilder();
        for (int i = 0; i < 40_000; i++) {
            big.append((char) ('a' + i % 26));
        }
        for (LogEntry e : batch) {
            e.add("_HOSTNAME", host).add("BIG", big.toString()).sizeEstimate(40_100); // 300 of them are several records
        }
        ByteBuilder reused = new ByteBuilder(16);
        DiskBuffer.encodeAhead("other", entries(0, 3), reused); // a buffer used before is emptied first
        List<RecordCodec.Region> ahead = DiskBuffer.encodeAhead("in", batch, reused);
        assertTrue(ahead.size() > 1, "cut like append cuts: " + ahead.size());
        List<byte[]> written = new ArrayList<>();
        List<byte[]> copied = new ArrayList<>();
        try (DiskBuffer a = DiskBuffer.open(dir.resolve("a"), SMALL); DiskBuffer b = DiskBuffer.open(dir.resolve("b"), SMALL)) {
            a.append("in", batch);
            b.append("in", ahead, () -> {
                throw new AssertionError("copied, not encoded again");
            });
            for (DiskBuffer d : List.of(a, b)) {
                d.flush();
                d.sync();
                DiskBuffer.ReadRecord r;
                while ((r = d.read(true)) != null) {
                    (d == a ? written : copied).add(r.encoded());
                    d.ack(r.seq(), r.count(), r.payloadBytes());
                }
            }
        }
        assertEquals(ahead.size(), written.size());
        assertEquals(written.size(), copied.size());
        for (int i = 0; i < written.size(); i++) {
            assertArrayEquals(written.get(i), copied.get(i), "record " + i);
        }
    }

    @Test
    void receivedRecordsAreStoredAsTheyAreAndReadBackPrefixed() throws Exception {
        RecordCodec codec = new RecordCodec();
        ByteBuilder frame = new ByteBuilder(); // three records one after the other, as in a BATCH
        int[] offsets = new int[4];
        for (int r = 0; r < 3; r++) {
            codec.encode(100 + r, "src" + r, entries(r * 10, 10), 0, 10, frame);
            offsets[r + 1] = frame.length();
        }
        byte[] raw = frame.toByteArray();
        List<RecordCodec.Region> regions = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            regions.add(new RecordCodec.Region(raw, offsets[r], offsets[r + 1] - offsets[r], "agent/src" + r + "/"));
            RecordCodec.Checked c = codec.check(raw, offsets[r], offsets[r + 1] - offsets[r]);
            assertEquals(100 + r, c.seq());
            assertEquals("src" + r, c.sourceId());
            assertEquals(10, c.count());
            assertEquals(20, c.fields());
        }
        // decoding a region with its prefix gives what the stored record gives
        List<LogEntry> direct = new ArrayList<>();
        for (RecordCodec.Region r : regions) {
            direct.addAll(codec.decode(r.buf(), r.offset(), r.length(), r.streamPrefix()).entries());
        }
        try (DiskBuffer b = DiskBuffer.open(dir, SMALL)) {
            DiskBuffer.Appended at = b.append("in", regions, () -> {
                throw new AssertionError("the regions are copied, their entries not needed");
            });
            assertEquals(2, at.lastSeq() - at.firstSeq(), "one record per region");
            b.flush();
            b.sync();
            List<LogEntry> back = new ArrayList<>();
            DiskBuffer.ReadRecord rr;
            while ((rr = b.read()) != null) {
                assertEquals("in", rr.sourceId());
                back.addAll(rr.entries());
                b.ack(rr.seq(), rr.entries().size(), rr.payloadBytes());
            }
            assertEquals(30, back.size());
            for (int i = 0; i < 30; i++) {
                assertEquals(i, seqOf(back.get(i)));
                assertEquals("agent/src" + (i / 10) + "/file:1:2", back.get(i).stream());
                assertEquals(100L + i, back.get(i).position());
                assertEquals(back.get(i).toString(), direct.get(i).toString());
                assertEquals(back.get(i).stream(), direct.get(i).stream());
            }
        }
    }

    @Test
    void checkRefusesWhatDecodingRefusesAndCountsWhatDecodingMakes() throws Exception {
        java.util.Random r = new java.util.Random(11);
        RecordCodec codec = new RecordCodec();
        int refused = 0;
        for (int round = 0; round < 3000; round++) {
            List<LogEntry> in = NdjsonTranscoderTest.randomEntries(r, 1 + r.nextInt(8));
            ByteBuilder rec = new ByteBuilder();
            codec.encode(round, "src", in, 0, in.size(), rec);
            byte[] b = rec.toByteArray();
            int len = b.length;
            if (round % 2 == 1) { // damaged: a flipped bit, or cut short
                if (r.nextBoolean()) {
                    b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                } else {
                    len = r.nextInt(b.length);
                }
            }
            RecordCodec.Decoded d = null;
            try {
                d = codec.decode(b, 0, len);
            } catch (CorruptRecordException e) {
                refused++;
            }
            if (d == null) {
                byte[] fb = b;
                int fl = len;
                assertThrows(CorruptRecordException.class, () -> codec.check(fb, 0, fl), "round " + round);
                continue;
            }
            RecordCodec.Checked c = codec.check(b, 0, len);
            assertEquals(d.seq(), c.seq());
            assertEquals(d.sourceId(), c.sourceId());
            assertEquals(d.entries().size(), c.count());
            assertEquals(d.entries().stream().mapToLong(LogEntry::size).sum(), c.fields());
        }
        assertTrue(refused > 500, "damage is caught (a flipped bit inside a string is not damage it can see): " + refused);
    }

    @Test
    void entriesWithDifferentFieldOrdersShareOneRecord() throws Exception {
        List<LogEntry> in = new ArrayList<>();
        String[][] shapes = {{"a", "b", "c"}, {"b", "a", "d"}, {"a", "b", "c"}, {"d"}, {"a", "b", "c", "e", "a"}};
        for (int r = 0; r < 3; r++) {
            for (String[] shape : shapes) {
                LogEntry e = new LogEntry();
                for (int i = 0; i < shape.length; i++) {
                    e.add(shape[i], shape[i] + i + "/" + r);
                }
                in.add(e);
            }
        }
        RecordCodec codec = new RecordCodec();
        for (int round = 0; round < 2; round++) { // the second record starts with fresh tables
            ByteBuilder out = new ByteBuilder();
            codec.encode(round, "src", in, 0, in.size(), out);
            List<LogEntry> back = codec.decode(out.toByteArray(), out.length()).entries();
            assertEquals(in.size(), back.size());
            for (int k = 0; k < in.size(); k++) {
                assertEquals(in.get(k).toString(), back.get(k).toString(), "entry " + k);
            }
        }
    }

    @Test
    void valuesNestedTooDeepAreKeptAsTextNotAFailure() throws Exception {
        Object v = "leaf";
        for (int i = 0; i < 200; i++) {
            v = List.of(v);
        }
        LogEntry e = new LogEntry().add("deep", v);
        ByteBuilder out = new ByteBuilder();
        new RecordCodec().encode(1, "src", List.of(e), 0, 1, out);
        LogEntry back = new RecordCodec().decode(out.toByteArray(), out.length()).entries().get(0);
        Object o = back.get("deep");
        int depth = 0;
        while (o instanceof List<?> l) {
            o = l.get(0);
            depth++;
        }
        assertTrue(depth > 60 && depth < 200, "depth kept as structure: " + depth);
        assertTrue(o instanceof String s && s.contains("leaf"), "the rest is kept as text");
    }

    @Test
    void writesReadsAcknowledgesAndDeletesAcrossSegments() throws Exception {
        int total = 0;
        try (DiskBuffer b = DiskBuffer.open(dir, SMALL)) {
            for (int i = 0; i < 50; i++) {
                b.append("src", entries(total, 20));
                total += 20;
                b.flush();
            }
            b.sync();
            assertTrue(b.segmentCount() > 3, "small segments roll: " + b.segmentCount());
            assertEquals(total, b.unackedEntries());
            List<Long> seen = drainAndAck(b);
            assertEquals(total, seen.size());
            for (int i = 0; i < total; i++) {
                assertEquals(i, seen.get(i));
            }
            assertEquals(0, b.unackedEntries());
            assertTrue(b.fullyAcked());
            assertEquals(1, b.segmentCount(), "acknowledged sealed segments are deleted; the active one stays");
        }
        // reopen: nothing to redeliver, sequence numbers continue
        try (DiskBuffer b = DiskBuffer.open(dir, SMALL)) {
            assertNull(b.read());
            DiskBuffer.Appended a = b.append("src", entries(total, 1));
            assertEquals(51, a.firstSeq());
            b.flush();
            assertNull(b.read(), "written but not yet durable: not readable");
            b.sync();
            assertEquals(List.of((long) total), drainAndAck(b));
        }
    }

    @Test
    void reopenResumesAfterTheLedger() throws Exception {
        try (DiskBuffer b = DiskBuffer.open(dir, SMALL)) {
            for (int i = 0; i < 10; i++) {
                b.append("src", entries(i * 10, 10));
            }
            b.flush();
            b.sync();
            for (int i = 0; i < 4; i++) { // the sink finishes four records
                DiskBuffer.ReadRecord r = b.read();
                b.ack(r.seq(), r.entries().size(), r.payloadBytes());
            }
            b.read(); // read but not acknowledged: must come back
        }
        try (DiskBuffer b = DiskBuffer.open(dir, SMALL)) {
            assertEquals(60, b.unackedEntries());
            List<Long> seen = drainAndAck(b);
            assertEquals(60, seen.size());
            assertEquals(40L, seen.get(0));
            assertEquals(99L, seen.get(59));
        }
    }

    @Test
    void tornTailIsTruncatedAndEverythingBeforeItSurvives() throws Exception {
        try (DiskBuffer b = DiskBuffer.open(dir, new DiskBuffer.Options(64L << 20, 1 << 20))) {
            for (int i = 0; i < 5; i++) {
                b.append("src", entries(i * 10, 10));
            }
            b.flush();
            b.sync();
        }
        Path seg = onlySegment();
        long size = Files.size(seg);
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            f.setLength(size - 7); // a crash in the middle of the last record
        }
        try (DiskBuffer b = DiskBuffer.open(dir, new DiskBuffer.Options(64L << 20, 1 << 20))) {
            DiskBuffer.Recovery r = b.recovery();
            assertTrue(r.tornTailBytes() > 0, r.toString());
            assertEquals(0, r.quarantinedSegments());
            List<Long> seen = drainAndAck(b);
            assertEquals(40, seen.size(), "four whole records survive");
            b.append("src", entries(1000, 1));
            b.flush();
            b.sync();
            assertEquals(List.of(1000L), drainAndAck(b));
        }
        assertTrue(SegmentFile.scan(onlySegment(), 1).clean());
    }

    @Test
    void damageInTheMiddleIsQuarantinedAndTheRestDelivered() throws Exception {
        List<SegmentFile.RecordInfo> records;
        try (DiskBuffer b = DiskBuffer.open(dir, new DiskBuffer.Options(64L << 20, 1 << 20))) {
            for (int i = 0; i < 5; i++) {
                b.append("src", entries(i * 10, 10));
            }
            b.flush();
            b.sync();
        }
        Path seg = onlySegment();
        records = SegmentFile.scan(seg, 1).records();
        assertEquals(5, records.size());
        SegmentFile.RecordInfo victim = records.get(2);
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            long at = victim.offset() + SegmentFile.FRAME_BYTES + victim.length() / 2;
            f.seek(at);
            int old = f.read();
            f.seek(at);
            f.write(old ^ 0x5a);
        }
        SegmentFile.Scan damaged = SegmentFile.scan(seg, 1);
        assertEquals(1, damaged.damage().size());
        assertEquals(1, damaged.missingRecords());

        try (DiskBuffer b = DiskBuffer.open(dir, new DiskBuffer.Options(64L << 20, 1 << 20))) {
            DiskBuffer.Recovery r = b.recovery();
            assertEquals(1, r.quarantinedSegments(), r.toString());
            assertEquals(1, r.missingRecords());
            List<Long> seen = drainAndAck(b);
            assertEquals(40, seen.size());
            assertFalse(seen.contains(20L), "the damaged record's entries are not delivered");
            assertTrue(seen.contains(19L) && seen.contains(30L));
        }
        Path q = dir.resolve("quarantine");
        try (Stream<Path> s = Files.list(q)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(2, names.size(), names.toString());
            assertTrue(names.get(1).endsWith(".json"));
            String json = Files.readString(q.resolve(names.get(1)));
            assertTrue(json.contains("\"missing_records\":1"), json);
        }
        // the quarantined copy still holds the damaged record, which can be salvaged in part
        BufferInspector.Report report = BufferInspector.inspect(dir);
        assertTrue(report.liveClean(), report.toString());
        assertEquals(1, report.quarantined().size());
    }

    @Test
    void sequenceNumbersNeverGoBackwardsWhenEverythingWasDeleted() throws Exception {
        try (DiskBuffer b = DiskBuffer.open(dir, SMALL)) {
            for (int i = 0; i < 30; i++) {
                b.append("src", entries(i * 20, 20));
                b.flush();
            }
            b.sync();
            drainAndAck(b);
            b.roll();
        }
        TreeMap<Long, Path> left = DiskBuffer.listSegments(dir);
        assertTrue(left.isEmpty(), left.toString());
        try (DiskBuffer b = DiskBuffer.open(dir, SMALL)) {
            assertEquals(31, b.append("src", entries(0, 1)).firstSeq());
        }
    }

    @Test
    void aBatchLargerThanARecordIsSplit() throws Exception {
        List<LogEntry> big = new ArrayList<>();
        byte[] payload = new byte[64 * 1024];
        java.util.Arrays.fill(payload, (byte) 'x');
        for (int i = 0; i < 100; i++) {
            LogEntry e = new LogEntry().backing(payload);
            e.addSlice("MESSAGE", 0, payload.length);
            e.add("SEQ", (long) i);
            e.sizeEstimate(payload.length + 100);
            big.add(e);
        }
        try (DiskBuffer b = DiskBuffer.open(dir, new DiskBuffer.Options(1L << 30, 64L << 20))) {
            DiskBuffer.Appended a = b.append("src", big);
            assertTrue(a.lastSeq() > a.firstSeq(), "6.4 MiB is cut into records of about 4 MiB");
            b.flush();
            b.sync();
            List<Long> seen = drainAndAck(b);
            assertEquals(100, seen.size());
        }
    }

    @Test
    void aFailedFsyncDiscardsTheUnsyncedTailAndTheBatchIsWrittenAgain() throws Exception {
        try (DiskBuffer b = DiskBuffer.open(dir, SMALL)) {
            b.append("src", entries(0, 10));
            b.flush();
            b.sync();
            DiskBuffer.Appended lost = b.append("src", entries(10, 10));
            b.flush();
            b.syncFault = () -> {
                throw new IOException("Input/output error (injected)");
            };
            assertThrows(IOException.class, b::sync);
            b.syncFault = null;
            b.discardUnsynced();
            assertEquals(10, b.unackedEntries(), "the unsynced batch no longer counts");
            DiskBuffer.Appended again = b.append("src", entries(10, 10));
            assertTrue(again.firstSeq() > lost.lastSeq(), "sequence numbers are not reused");
            b.flush();
            b.sync();
            List<Long> seen = drainAndAck(b);
            assertEquals(20, seen.size());
            for (int i = 0; i < 20; i++) {
                assertEquals(i, seen.get(i));
            }
        }
        try (DiskBuffer b = DiskBuffer.open(dir, SMALL)) {
            assertEquals(0, b.recovery().tornTailBytes());
            assertNull(b.read(), "nothing comes back twice after a restart");
        }
        for (Path seg : DiskBuffer.listSegments(dir).values()) {
            assertTrue(SegmentFile.scan(seg, SegmentFile.baseOf(seg.getFileName().toString())).clean(), seg.toString());
        }
    }

    private Path onlySegment() throws IOException {
        TreeMap<Long, Path> segs = DiskBuffer.listSegments(dir);
        assertEquals(1, segs.size(), segs.toString());
        return segs.firstEntry().getValue();
    }
}
