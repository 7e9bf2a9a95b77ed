package io.hakobu.core.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.hakobu.core.codec.ByteBuilder;
import io.hakobu.core.codec.NdjsonEncoder;
import io.hakobu.core.event.LogEntry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NdjsonTranscoderTest {
    private static final String[] SHARED = {"web-01", "ホスト \"quoted\"\\", "/var/log/app.log", "ctl\u0001 \u00ff"};
    private static final String[] NAMES = {"MESSAGE", "host", "status", "ua", "日本", "quo\"te", "ctl\u0001", "_HOSTNAME"};

    /** What the file sink wrote before: decode the record, encode each entry. */
    private static String viaEntries(byte[] record, NdjsonTranscoder.EntryFilter filter) throws Exception {
        ByteBuilder out = new ByteBuilder();
        NdjsonEncoder enc = new NdjsonEncoder();
        for (LogEntry e : new RecordCodec().decode(record, record.length).entries()) {
            if (filter.accept(e.stream(), e.position())) {
                enc.encode(e, out);
            }
        }
        return new String(out.toByteArray(), StandardCharsets.UTF_8);
    }

    private static Object randomValue(Random r, int depth) {
        switch (r.nextInt(depth > 2 ? 9 : 11)) {
            case 0: return null;
            case 1: return (long) r.nextInt();
            case 2: return r.nextLong();
            case 3: return r.nextDouble() * 1e6;
            case 4: return r.nextBoolean();
            case 5: return new byte[] {(byte) r.nextInt(), 0, (byte) 0xff};
            case 6: return "s\"\\\n\u00e9\u65e5" + r.nextInt(100);
            case 7: return Double.NaN;
            case 8: return "plain-" + r.nextInt(1000);
            case 9: return Arrays.asList(randomValue(r, depth + 1), randomValue(r, depth + 1));
            default: {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("k" + r.nextInt(3), randomValue(r, depth + 1));
                m.put("z", randomValue(r, depth + 1));
                return m;
            }
        }
    }

    static List<LogEntry> randomEntries(Random r, int n) {
        // slices of a shared line, with plain ASCII, escapes, valid and invalid UTF-8
        byte[] line = ("GET /index.html HTTP/1.1\t\"quoted\"\\back\u0007 héllo 語"
                + " \u00ff").getBytes(StandardCharsets.UTF_8);
        byte[] bad = Arrays.copyOf(line, line.length + 3);
        bad[line.length] = (byte) 0xc3; // truncated sequence, then an invalid byte
        bad[line.length + 1] = (byte) 0x28;
        bad[line.length + 2] = (byte) 0xf5;
        List<LogEntry> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            LogEntry e = new LogEntry().backing(r.nextInt(4) == 0 ? bad : line);
            if (r.nextInt(4) != 0) {
                // what a source attaches to every entry: the same String objects, stored once per record
                e.add("_HOSTNAME", SHARED[r.nextInt(8) == 0 ? 1 : 0]).add("_FILE", SHARED[2 + r.nextInt(2)]);
            }
            int fields = r.nextInt(12);
            for (int f = 0; f < fields; f++) {
                // repeats happen: a name drawn twice
                String name = r.nextInt(20) == 0 ? "n" + r.nextInt(200) : NAMES[r.nextInt(NAMES.length)];
                if (r.nextBoolean()) {
                    int from = r.nextInt(e.backing().length);
                    e.addSlice(name, from, r.nextInt(e.backing().length - from + 1));
                } else {
                    e.add(name, randomValue(r, 0));
                }
            }
            e.origin(r.nextInt(5) == 0 ? null : "file:" + r.nextInt(3), i);
            out.add(e);
        }
        return out;
    }

    @Test
    void writesWhatDecodingAndEncodingWould() throws Exception {
        Random r = new Random(5);
        NdjsonTranscoder t = new NdjsonTranscoder(); // one instance across records: tables reset per record
        RecordCodec codec = new RecordCodec();
        int repeated = 0;
        for (int round = 0; round < 300; round++) {
            List<LogEntry> in = randomEntries(r, 1 + r.nextInt(40));
            ByteBuilder rec = new ByteBuilder();
            codec.encode(round, "src", in, 0, in.size(), rec);
            byte[] record = rec.toByteArray();
            if (round % 3 == 0) { // as an aggregator stores what it received: prefixed streams
                ByteBuilder re = new ByteBuilder();
                RecordCodec.writeReheaded(re, round, "in", "agent-1/nginx/", record, 0, record.length);
                record = re.toByteArray();
            }
            for (LogEntry e : in) {
                java.util.Set<String> names = new java.util.HashSet<>();
                for (int i = 0; i < e.size(); i++) {
                    names.add(e.name(i));
                }
                if (names.size() < e.size()) {
                    repeated++;
                }
            }
            NdjsonTranscoder.EntryFilter all = (stream, position) -> true;
            NdjsonTranscoder.EntryFilter some = (stream, position) -> position % 3 != 1 && (stream == null || !stream.endsWith(":2"));
            for (NdjsonTranscoder.EntryFilter filter : List.of(all, some)) {
                ByteBuilder out = new ByteBuilder();
                out.write('x'); // appends after what is there
                int written = t.write(record, 0, record.length, filter, out);
                String got = new String(out.toByteArray(), 1, out.length() - 1, StandardCharsets.UTF_8);
                assertEquals(viaEntries(record, filter), got, "round " + round);
                assertEquals(got.chars().filter(c -> c == '\n').count(), written);
            }
        }
        assertEquals(true, repeated > 50, "the cases include entries that repeat a name: " + repeated);
    }

    @Test
    void theFilterSeesEachEntrysStreamAndPositionInOrder() throws Exception {
        List<LogEntry> in = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            in.add(new LogEntry().add("MESSAGE", "m" + i).origin(i == 2 ? null : "s" + (i % 2), 10 + i));
        }
        ByteBuilder rec = new ByteBuilder();
        new RecordCodec().encode(1, "src", in, 0, in.size(), rec);
        ByteBuilder re = new ByteBuilder();
        RecordCodec.writeReheaded(re, 1, "in", "a/b/", rec.array(), 0, rec.length());
        List<String> seen = new ArrayList<>();
        ByteBuilder out = new ByteBuilder();
        int n = new NdjsonTranscoder().write(re.array(), 0, re.length(), (s, p) -> seen.add(s + "@" + p) && p != 11, out);
        assertEquals(List.of("a/b/s0@10", "a/b/s1@11", "null@12", "a/b/s1@13"), seen);
        assertEquals(3, n);
        assertEquals("{\"MESSAGE\":\"m0\"}\n{\"MESSAGE\":\"m2\"}\n{\"MESSAGE\":\"m3\"}\n",
                new String(out.toByteArray(), StandardCharsets.UTF_8));
    }

    @Test
    void aDamagedRecordIsRefusedAndNothingIsAppended() throws Exception {
        List<LogEntry> in = randomEntries(new Random(9), 20);
        ByteBuilder rec = new ByteBuilder();
        new RecordCodec().encode(1, "src", in, 0, in.size(), rec);
        byte[] record = rec.toByteArray();
        NdjsonTranscoder t = new NdjsonTranscoder();
        ByteBuilder out = new ByteBuilder();
        out.write('x');
        for (int cut = 1; cut < record.length; cut += 7) {
            int len = record.length - cut;
            assertThrows(CorruptRecordException.class, () -> t.write(record, 0, len, (s, p) -> true, out), "cut " + cut);
            assertEquals(1, out.length(), "cut " + cut);
        }
        byte[] longer = Arrays.copyOf(record, record.length + 1);
        assertThrows(CorruptRecordException.class, () -> t.write(longer, 0, longer.length, (s, p) -> true, out));
        // a random byte flipped somewhere refuses or writes; it never throws anything else
        Random r = new Random(3);
        for (int i = 0; i < 2000; i++) {
            byte[] m = record.clone();
            m[r.nextInt(m.length)] ^= (byte) (1 << r.nextInt(8));
            try {
                t.write(m, 0, m.length, (s, p) -> true, new ByteBuilder());
            } catch (CorruptRecordException expected) {
                // refused
            }
        }
        // and the instance still works after all that
        ByteBuilder ok = new ByteBuilder();
        assertEquals(20, t.write(record, 0, record.length, (s, p) -> true, ok));
        assertEquals(viaEntries(record, (s, p) -> true), new String(ok.toByteArray(), StandardCharsets.UTF_8));
    }
}
