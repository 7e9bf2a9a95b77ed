package io.hakobu.core.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.util.List;
import org.junit.jupiter.api.Test;

class ParsersTest {

    @Test
    void createsEachFormat() {
        assertEquals(List.of("raw", "ltsv", "json", "logfmt", "syslog"), Parsers.FORMATS);
        assertInstanceOf(RawParser.class, Parsers.create("raw", false));
        assertInstanceOf(LtsvParser.class, Parsers.create("ltsv", false));
        assertInstanceOf(JsonLineParser.class, Parsers.create("json", true));
        assertInstanceOf(LogfmtParser.class, Parsers.create("logfmt", false));
        assertInstanceOf(SyslogParser.class, Parsers.create("syslog", false));
        assertNotSame(Parsers.create("ltsv", false), Parsers.create("ltsv", false));
    }

    @Test
    void passesKeepMessage() {
        for (String format : List.of("ltsv", "json", "logfmt")) {
            String line = format.equals("json") ? "{\"a\":\"1\"}" : format.equals("ltsv") ? "a:1" : "a=1";
            LogEntry kept = ParseTesting.parse(Parsers.create(format, true), line);
            assertEquals(line, kept.getString(Fields.MESSAGE), format);
            LogEntry dropped = ParseTesting.parse(Parsers.create(format, false), line);
            assertEquals(List.of("a"), ParseTesting.names(dropped), format);
        }
    }

    @Test
    void unknownFormatListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Parsers.create("yaml", false));
        assertTrue(e.getMessage().contains("yaml"), e.getMessage());
        assertTrue(e.getMessage().contains("[raw, ltsv, json, logfmt, syslog]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Parsers.create(null, false));
        assertThrows(IllegalArgumentException.class, () -> Parsers.create("LTSV", false));
    }
}
