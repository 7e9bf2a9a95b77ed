package io.hakobu.core.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class RawEncoderTest {
    private final Encoder encoder = new RawEncoder();

    private String encode(LogEntry e) {
        ByteBuilder out = new ByteBuilder(16);
        encoder.encode(e, out);
        return out.toString();
    }

    @Test
    void writesOnlyTheMessage() {
        LogEntry e = new LogEntry().add(Fields.MESSAGE, "hello world").add(Fields.HOSTNAME, "web-01");
        assertEquals("hello world\n", encode(e));
    }

    @Test
    void escapesLineBreaksSoOneEntryIsOneLine() {
        LogEntry e = new LogEntry().add(Fields.MESSAGE, "line1\nline2\r\n\tat x\\n");
        assertEquals("line1\\nline2\\r\\n\tat x\\n\n", encode(e));
    }

    @Test
    void copiesSliceMessagesWithTheSameEscaping() {
        byte[] line = "pre|a\nb\u00e9|post".getBytes(StandardCharsets.UTF_8);
        LogEntry e = new LogEntry().backing(line).addSlice(Fields.MESSAGE, 4, line.length - 9);
        assertEquals("a\\nb\u00e9\n", encode(e));
    }

    @Test
    void keepsInvalidUtf8AndOtherControlBytes() {
        byte[] line = {'a', (byte) 0xff, 0x01, '\t', 'b'};
        LogEntry e = new LogEntry().backing(line).addSlice(Fields.MESSAGE, 0, line.length);
        ByteBuilder out = new ByteBuilder();
        encoder.encode(e, out);
        assertEquals("61ff0109620a", java.util.HexFormat.of().formatHex(out.toByteArray()));
    }

    @Test
    void entryWithoutMessageIsWrittenAsNdjson() throws Exception {
        LogEntry e = new LogEntry().add("status", 200L).add("path", "/x\ny");
        String out = encode(e);
        assertEquals("{\"status\":200,\"path\":\"/x\\ny\"}\n", out);
        JsonNode n = new ObjectMapper().readTree(out);
        assertEquals("/x\ny", n.get("path").asText());
        LogEntry nullMessage = new LogEntry().add(Fields.MESSAGE, null).add("a", 1L);
        assertEquals("{\"MESSAGE\":null,\"a\":1}\n", encode(nullMessage));
    }

    @Test
    void nonStringMessages() {
        assertEquals("42\n", encode(new LogEntry().add(Fields.MESSAGE, 42L)));
        assertEquals("[\"a\\nb\"]\n", encode(new LogEntry().add(Fields.MESSAGE, List.of("a\nb"))));
        assertEquals("bin\\nary\n", encode(new LogEntry().add(Fields.MESSAGE, "bin\nary".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void firstMessageWinsWhenRepeated() {
        LogEntry e = new LogEntry().add(Fields.MESSAGE, "one").add(Fields.MESSAGE, "two");
        assertEquals("one\n", encode(e));
    }

    @Test
    void unpairedSurrogatesBecomeReplacementCharacters() {
        assertEquals("a\ufffdb\n", encode(new LogEntry().add(Fields.MESSAGE, "a\ud800b")));
    }
}
