package io.hakobu.core.codec;

import static io.hakobu.core.codec.ParseTesting.assertFields;
import static io.hakobu.core.codec.ParseTesting.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import org.junit.jupiter.api.Test;

class RawParserTest {

    private final RawParser parser = new RawParser();

    @Test
    void wholeLineIsTheMessageSlice() {
        LogEntry e = parse(parser, "Nov 14 22:13:20 host app[1]: hello\tworld");
        assertTrue(e.isSlice(0));
        assertFields(e, Fields.MESSAGE, "Nov 14 22:13:20 host app[1]: hello\tworld");
    }

    @Test
    void stripsOneTrailingCarriageReturn() {
        assertFields(parse(parser, "hello\r"), Fields.MESSAGE, "hello");
        assertFields(parse(parser, "hello\r\r"), Fields.MESSAGE, "hello\r");
        assertFields(parse(parser, "\r"), Fields.MESSAGE, "");
    }

    @Test
    void emptyLine() {
        assertFields(parse(parser, ""), Fields.MESSAGE, "");
    }

    @Test
    void invalidUtf8IsKeptAsBytes() {
        byte[] line = {'a', (byte) 0xff, 'b'};
        LogEntry e = parse(parser, line);
        assertEquals(3, e.sliceLength(0));
        assertEquals("a\ufffdb", e.getString(Fields.MESSAGE));
    }
}
