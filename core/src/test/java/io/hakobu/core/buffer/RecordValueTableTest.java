package io.hakobu.core.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.codec.ByteBuilder;
import io.hakobu.core.event.LogEntry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The record's value table ({@code 0x09}): strings a source attaches to every entry are stored once per record. */
class RecordValueTableTest {
    private static final String HOST = "web-01.example.jp";
    private static final String FILE = "/var/log/nginx/access.log";

    private static int occurrences(byte[] hay, int len, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.UTF_8);
        int count = 0;
        outer:
        for (int i = 0; i + n.length <= len; i++) {
            for (int j = 0; j < n.length; j++) {
                if (hay[i + j] != n[j]) {
                    continue outer;
                }
            }
            count++;
        }
        return count;
    }

    private static List<LogEntry> entries(int n, String host, String file) {
        byte[] line = "GET / 200".getBytes(StandardCharsets.UTF_8);
        List<LogEntry> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            LogEntry e = new LogEntry().backing(line);
            e.addSlice("MESSAGE", 0, line.length);
            e.add("_HOSTNAME", host).add("_FILE", file).add("__REALTIME_TIMESTAMP", 1_000L + i);
            e.origin("file:1:2", i);
            out.add(e);
        }
        return out;
    }

    @Test
    void theSameStringObjectInEveryEntryIsStoredOnceAndDecodesEqual() throws Exception {
        List<LogEntry> in = entries(100, HOST, FILE);
        ByteBuilder out = new ByteBuilder();
        RecordCodec codec = new RecordCodec();
        codec.encode(5, "nginx", in, 0, in.size(), out);
        // written in full by the first entry, then entered into the table by the second
        assertEquals(2, occurrences(out.array(), out.length(), HOST));
        assertEquals(2, occurrences(out.array(), out.length(), FILE));

        RecordCodec.Decoded d = codec.decode(out.toByteArray(), out.length());
        assertEquals(100, d.entries().size());
        for (int i = 0; i < 100; i++) {
            LogEntry e = d.entries().get(i);
            assertTrue(e.isSlice(1) && e.isSlice(2), "a table value decodes as a slice of the payload");
            assertEquals(HOST, e.get("_HOSTNAME"));
            assertEquals(FILE, e.get("_FILE"));
            assertEquals(1_000L + i, e.get("__REALTIME_TIMESTAMP"));
            assertEquals("GET / 200", e.get("MESSAGE"));
        }
        RecordCodec.Checked c = codec.check(out.array(), 0, out.length());
        assertEquals(100, c.count());
        assertEquals(400, c.fields());

        // equal strings that are not the same object are written in full (the encoder compares identity)
        List<LogEntry> copies = entries(100, HOST, FILE);
        for (LogEntry e : copies) {
            e.set("_HOSTNAME", new String(HOST.toCharArray()));
        }
        ByteBuilder out2 = new ByteBuilder();
        codec.encode(6, "nginx", copies, 0, copies.size(), out2);
        assertEquals(100, occurrences(out2.array(), out2.length(), HOST));
        assertEquals(2, occurrences(out2.array(), out2.length(), FILE));
        assertEquals(HOST, codec.decode(out2.toByteArray(), out2.length()).entries().get(99).get("_HOSTNAME"));
    }

    @Test
    void valuesThatChangeAndComeBackDecodeInOrder() throws Exception {
        String a = "alpha";
        String b = "béta \"quoted\"";
        String[] seq = {a, a, b, b, a, a, a, b, null, b, b};
        List<LogEntry> in = new ArrayList<>();
        for (int i = 0; i < seq.length; i++) {
            LogEntry e = new LogEntry();
            if (i == 5) {
                e.add("other", "x"); // the value moves one place along
            }
            e.add("v", seq[i]).origin("s", i);
            in.add(e);
        }
        ByteBuilder out = new ByteBuilder();
        RecordCodec codec = new RecordCodec();
        codec.encode(1, "src", in, 0, in.size(), out);
        List<LogEntry> back = codec.decode(out.toByteArray(), out.length()).entries();
        for (int i = 0; i < seq.length; i++) {
            assertEquals(seq[i], back.get(i).get("v"), "entry " + i);
        }
        // a reheaded copy (as an aggregator stores it) keeps its references
        ByteBuilder re = new ByteBuilder();
        RecordCodec.writeReheaded(re, 2, "in", "agent/src/", out.array(), 0, out.length());
        List<LogEntry> again = codec.decode(re.toByteArray(), re.length()).entries();
        for (int i = 0; i < seq.length; i++) {
            assertEquals(seq[i], again.get(i).get("v"), "entry " + i);
        }
    }

    /** seq 1, one entry without stream at position 0, size estimate 0, then {@code fields}. */
    private static byte[] record(int nfields, int... fields) {
        ByteBuilder b = new ByteBuilder();
        RecordCodec.writeLongBe(b, 1);
        RecordCodec.writeIntBe(b, 1);
        b.write(1).write('s'); // source "s"
        b.write(0).write(0).write(0).write(nfields); // stream none, position 0, estimate 0
        for (int x : fields) {
            b.write(x);
        }
        return b.toByteArray();
    }

    private static String refusal(byte[] r) {
        RecordCodec codec = new RecordCodec();
        String decode = assertThrows(CorruptRecordException.class, () -> codec.decode(r, r.length)).getMessage();
        assertThrows(CorruptRecordException.class, () -> codec.check(r, 0, r.length), "check refuses what decoding refuses");
        assertThrows(CorruptRecordException.class, () -> new NdjsonTranscoder().write(r, 0, r.length, (s, p) -> true, new ByteBuilder()));
        return decode;
    }

    @Test
    void referencesAreCheckedLikeTheOtherTables() throws Exception {
        // A = (new table value) "x", B = (value 1) "x"
        byte[] good = record(2, 0x01, 1, 'A', 0x09, 0x01, 1, 'x', 0x02, 1, 'B', 0x09, 0x01);
        RecordCodec codec = new RecordCodec();
        LogEntry e = codec.decode(good, good.length).entries().get(0);
        assertEquals("x", e.get("A"));
        assertEquals("x", e.get("B"));
        assertEquals(2, codec.check(good, 0, good.length).fields());
        ByteBuilder json = new ByteBuilder();
        new NdjsonTranscoder().write(good, 0, good.length, (s, p) -> true, json);
        assertEquals("{\"A\":\"x\",\"B\":\"x\"}\n", new String(json.toByteArray(), StandardCharsets.UTF_8));

        assertTrue(refusal(record(1, 0x01, 1, 'A', 0x09, 0x00)).contains("value reference 0 out of range"));
        assertTrue(refusal(record(1, 0x01, 1, 'A', 0x09, 0x02, 1, 'x')).contains("value reference 2 out of range"));
        assertTrue(refusal(record(2, 0x01, 1, 'A', 0x09, 0x01, 1, 'x', 0x02, 1, 'B', 0x09, 0x03))
                .contains("value reference 3 out of range"));
        assertTrue(refusal(record(1, 0x01, 1, 'A', 0x09, 0x01, 5, 'x')).contains("runs past the record end"));
        // only a field's value may come from the table, not an element of a list
        assertTrue(refusal(record(1, 0x01, 1, 'A', 0x07, 1, 0x09, 0x01, 1, 'x')).contains("unknown value tag 9"));
    }
}
