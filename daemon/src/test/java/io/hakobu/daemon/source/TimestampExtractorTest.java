package io.hakobu.daemon.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.codec.Parsers;
import io.hakobu.core.event.EntryId;
import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TimestampExtractorTest {
    private static final long T = 1_700_000_000_000_000L; // 2023-11-14T22:13:20Z, the PROTOCOLS.md vector time

    @Test
    void parsesTheCommonFormats() {
        assertEquals(T, TimestampExtractor.create(new TimestampExtractor.Config("time", "dd/MMM/yyyy:HH:mm:ss Z"))
                .micros("14/Nov/2023:22:13:20 +0000"));
        assertEquals(T, TimestampExtractor.create(new TimestampExtractor.Config("time", "dd/MMM/yyyy:HH:mm:ss Z"))
                .micros("15/Nov/2023:07:13:20 +0900"));
        assertEquals(T + 123_456, TimestampExtractor.create(new TimestampExtractor.Config("ts", "rfc3339"))
                .micros("2023-11-14T22:13:20.123456Z"));
        assertEquals(T + 500_000, TimestampExtractor.create(new TimestampExtractor.Config("ts", "unix")).micros("1700000000.5"));
        assertEquals(T, TimestampExtractor.create(new TimestampExtractor.Config("ts", "unix_ms")).micros("1700000000000"));
        assertEquals(T, TimestampExtractor.create(new TimestampExtractor.Config("ts", "unix_us")).micros("1700000000000000"));
        assertEquals(T, TimestampExtractor.create(new TimestampExtractor.Config("ts", "yyyy-MM-dd HH:mm:ss"))
                .micros("2023-11-14 22:13:20"), "no zone: UTC");
    }

    @Test
    void badValuesAndPatternsAreClearErrors() {
        TimestampExtractor x = TimestampExtractor.create(new TimestampExtractor.Config("ts", "rfc3339"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.micros("yesterday"));
        assertTrue(e.getMessage().contains("'yesterday' is not a rfc3339 timestamp"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> TimestampExtractor.create(new TimestampExtractor.Config("ts", "yyyy-MM-dd {{")));
    }

    @Test
    void entriesGetTheEventTimeOrKeepTheReadTimeWithAnError() {
        LineEntries entries = new LineEntries("h", "s", Parsers.create("ltsv", false), Map.of(),
                new TimestampExtractor.Config("time", "dd/MMM/yyyy:HH:mm:ss Z"));
        EntryId ids = new EntryId("h", "s", "x");
        byte[] good = "time:14/Nov/2023:22:13:20 +0000\tstatus:200".getBytes(StandardCharsets.UTF_8);
        LogEntry e = entries.build(good, "x", ids, "x:", 10, null, false, 42);
        assertEquals(T, e.get(Fields.REALTIME_TIMESTAMP));
        byte[] bad = "time:soon\tstatus:200".getBytes(StandardCharsets.UTF_8);
        LogEntry b = entries.build(bad, "x", ids, "x:", 20, null, false, 42);
        assertEquals(42L, b.get(Fields.REALTIME_TIMESTAMP));
        assertTrue(b.getString(TimestampExtractor.ERROR_FIELD).contains("'soon'"));
        LogEntry missing = entries.build("status:200".getBytes(StandardCharsets.UTF_8), "x", ids, "x:", 30, null, false, 42);
        assertEquals("field 'time' is missing", missing.getString(TimestampExtractor.ERROR_FIELD));
    }
}
