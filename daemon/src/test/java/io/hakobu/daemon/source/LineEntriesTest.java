package io.hakobu.daemon.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.codec.Parsers;
import io.hakobu.core.event.EntryId;
import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link LineEntries}: metadata written into the entry's backing array. */
class LineEntriesTest {
    @Test
    void idAndCursorAreTheSameTextAsBeforeButSlicesOfTheLine() {
        LineEntries le = new LineEntries("web-01", "nginx", Parsers.create("ltsv", false), Map.of("env", "prod"));
        EntryId ids = new EntryId("web-01", "nginx", "file:1:2:abc");
        long[] positions = {0, 9, 10, 123_456_789L, Long.MAX_VALUE};
        String[] prefixes = {"file:1:2:", "file:1:2:", "file:3:4:ünïcode:", "file:1:2:", "x:"};
        for (int k = 0; k < positions.length; k++) {
            long p = positions[k];
            byte[] line = "host:192.0.2.1\tstatus:200\treq:GET / HTTP/1.1".getBytes(StandardCharsets.UTF_8);
            LogEntry e = le.build(line, "file:1:2:abc", ids, prefixes[k], p, "/var/log/a.log", false, 1_000_000L);
            assertTrue(e.isSlice(e.indexOf(Fields.ID)) && e.isSlice(e.indexOf(Fields.CURSOR)), "no Strings built per line");
            assertEquals(ids.of(p), e.getString(Fields.ID), "__ID at " + p);
            assertEquals(prefixes[k] + p, e.getString(Fields.CURSOR), "__CURSOR at " + p);
            assertEquals("192.0.2.1", e.getString("host"));
            assertEquals("GET / HTTP/1.1", e.getString("req"), "the parser saw the line only, not the metadata after it");
            assertEquals("prod", e.getString("env"));
            assertEquals(p, e.position());
        }
    }

    @Test
    void aLineInsideALargerBufferIsCopiedOnceAndOnlyItsRange() {
        LineEntries le = new LineEntries("web-01", "nginx", Parsers.create("ltsv", false), Map.of());
        EntryId ids = new EntryId("web-01", "nginx", "file:1:2:abc");
        byte[] buf = "status:500\thost:a\nstatus:200\thost:b\nstatus:404".getBytes(StandardCharsets.UTF_8);
        int off = buf.length - "status:200\thost:b\nstatus:404".length();
        int len = "status:200\thost:b".length();
        LogEntry e = le.build(buf, off, len, "s", ids, "file:1:2:", 38, null, false, 1_000_000L);
        assertEquals("200", e.getString("status"));
        assertEquals("b", e.getString("host"), "the value ends at the range, not at the buffer's next line");
        assertEquals(ids.of(38), e.getString(Fields.ID));
        assertEquals("file:1:2:38", e.getString(Fields.CURSOR));
        buf[off + 7] = '9'; // the source reuses its read buffer
        assertEquals("200", e.getString("status"), "the entry owns a copy");
        LogEntry whole = le.build(Arrays.copyOfRange(buf, off, off + len), "s", ids, "file:1:2:", 38, null, false, 1_000_000L);
        assertEquals("900", whole.getString("status"));
        assertEquals(e.size(), whole.size());
    }

    @Test
    void decimalDigitsAreWrittenInPlace() {
        byte[] out = new byte[40];
        for (long v : new long[] {0, 7, 10, 99, 100, 1_000_000_007L, Long.MAX_VALUE}) {
            int end = EntryMetadata.writeDecimal(v, out, 3);
            assertEquals(Long.toString(v), new String(out, 3, end - 3, StandardCharsets.US_ASCII));
        }
    }
}
