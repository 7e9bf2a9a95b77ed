package io.hakobu.core.codec;

import static io.hakobu.core.codec.ParseTesting.assertFailed;
import static io.hakobu.core.codec.ParseTesting.assertFields;
import static io.hakobu.core.codec.ParseTesting.parse;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogfmtParserTest {

    private final LogfmtParser parser = new LogfmtParser(false);

    @Test
    void parsesPairsQuotedValuesAndFlags() {
        LogEntry e = parse(parser, "time=2023-11-14T22:13:20Z level=info msg=\"request \\\"done\\\"\" debug path=/a?b=c");
        assertTrue(e.isSlice(0));
        assertFalse(e.isSlice(2), "an escaped value is decoded");
        assertFields(e,
                "time", "2023-11-14T22:13:20Z",
                "level", "info",
                "msg", "request \"done\"",
                "debug", Boolean.TRUE,
                "path", "/a?b=c");
    }

    @Test
    void quotedValueWithoutEscapesIsASlice() {
        LogEntry e = parse(parser, "msg=\"hello world\" n=1");
        assertTrue(e.isSlice(0));
        assertFields(e, "msg", "hello world", "n", "1");
    }

    @Test
    void emptyValues() {
        assertFields(parse(parser, "a= b=\"\" c"), "a", "", "b", "", "c", true);
    }

    @Test
    void escapesInQuotedValues() {
        assertFields(parse(parser, "m=\"tab\\there\\nnl \\\\ \\u00e9 \\q \\u12\""), "m", "tab\there\nnl \\ \u00e9 \\q \\u12");
    }

    @Test
    void whitespaceAndCrlf() {
        assertFields(parse(parser, "  a=1 \t b=2   \r"), "a", "1", "b", "2");
    }

    @Test
    void unquotedValuesMayContainEqualsAndQuotes() {
        assertFields(parse(parser, "q=a=b x=say\"hi"), "q", "a=b", "x", "say\"hi");
    }

    @Test
    void duplicateKeysLastValueWinsAtFirstPosition() {
        assertFields(parse(parser, "a=1 b=2 a=3 b"), "a", "3", "b", true);
    }

    @Test
    void keepMessage() {
        assertFields(parse(new LogfmtParser(true), "a=1"), Fields.MESSAGE, "a=1", "a", "1");
    }

    @Test
    void emptyLineIsKeptAsMessage() {
        assertFields(parse(parser, ""), Fields.MESSAGE, "");
        assertFields(parse(parser, "   "), Fields.MESSAGE, "   ");
    }

    @Test
    void unterminatedQuoteFails() {
        String line = "a=1 msg=\"no end";
        assertEquals("logfmt: unterminated quoted value at byte 8", assertFailed(parse(parser, line), line));
        for (String bad : List.of("m=\"", "m=\"abc\\\"", "m=\"x\\")) {
            assertFailed(parse(parser, bad), bad, "logfmt: unterminated quoted value");
        }
    }

    @Test
    void invalidKeysFail() {
        assertEquals("logfmt: '=' without a key at byte 4", assertFailed(parse(parser, "a=1 =2"), "a=1 =2"));
        assertFailed(parse(parser, "=x"), "=x", "logfmt: '=' without a key");
        assertEquals("logfmt: '\"' in a key at byte 1", assertFailed(parse(parser, "k\"ey=1"), "k\"ey=1"));
        assertFailed(parse(parser, "\"quoted\"=1"), "\"quoted\"=1", "logfmt: '\"' in a key");
    }

    @Test
    void garbageAfterQuotedValueFails() {
        assertEquals("logfmt: 'b' after a quoted value at byte 5",
                assertFailed(parse(parser, "a=\"x\"b=1"), "a=\"x\"b=1"));
    }

    @Test
    void keysChangingFromLineToLine() {
        // the parser remembers each pair's key; every way of not matching must still parse right
        assertFields(parse(parser, "level=info msg=a"), "level", "info", "msg", "a");
        assertFields(parse(parser, "levels=2 msg"), "levels", "2", "msg", true);
        assertFields(parse(parser, "lev=1 msg=\"b\""), "lev", "1", "msg", "b");
        assertFields(parse(parser, "lev msg"), "lev", true, "msg", true);
        assertFailed(parse(parser, "lev\"x=1"), "lev\"x=1", "logfmt: '\"' in a key at byte 3");
        assertFields(parse(parser, "msg=c level=d"), "msg", "c", "level", "d");
    }

    @Test
    void failureLeavesNoStateForTheNextLine() {
        parse(parser, "a=1 b=\"open");
        assertFields(parse(parser, "c=3"), "c", "3");
    }

    @Test
    void invalidUtf8DoesNotThrow() {
        byte[] line = {'k', (byte) 0xff, '=', (byte) 0xc3, ' ', 'm', '=', '"', (byte) 0x80, '\\', 'n', '"'};
        LogEntry e = assertDoesNotThrow(() -> parse(parser, line));
        assertEquals(2, e.size());
        assertEquals("\ufffd", e.get("k\ufffd"));
        assertEquals("\ufffd\n", e.get("m"));
    }

    @Test
    void veryLongLine() {
        StringBuilder sb = new StringBuilder("big=\"").append("z ".repeat(500_000)).append('"');
        for (int i = 0; i < 1000; i++) {
            sb.append(" k").append(i).append('=').append(i);
        }
        LogEntry e = parse(parser, sb.toString());
        assertEquals(1001, e.size());
        assertEquals("z ".repeat(500_000), e.get("big"));
        assertEquals("999", e.get("k999"));
    }
}
