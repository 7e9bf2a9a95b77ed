package io.hakobu.core.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hakobu.core.event.LogEntry;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LtsvEncoderTest {
    private final Encoder encoder = new LtsvEncoder();

    private String encode(LogEntry e) {
        ByteBuilder out = new ByteBuilder(16);
        encoder.encode(e, out);
        return out.toString();
    }

    @Test
    void writesLabelsAndValuesTabSeparated() {
        LogEntry e = new LogEntry().add("host", "192.0.2.10").add("status", 200L).add("time", "22:13:20");
        assertEquals("host:192.0.2.10\tstatus:200\ttime:22:13:20\n", encode(e));
    }

    @Test
    void replacesTabsNewlinesCarriageReturnsAndNulInValues() {
        LogEntry e = new LogEntry().add("m", "a\tb\nc\rd\u0000e\u0001f");
        assertEquals("m:a b c d e\u0001f\n", encode(e));
        byte[] raw = "x\ty\r\nz".getBytes(StandardCharsets.US_ASCII);
        LogEntry slice = new LogEntry().backing(raw).addSlice("s", 0, raw.length);
        assertEquals("s:x y  z\n", encode(slice));
    }

    @Test
    void sanitizesLabels() {
        LogEntry e = new LogEntry().add("a:b", "1").add("sp ace\t", "2").add("", "3").add("ラベル", "4").add("ok_.-9", "5");
        assertEquals("a_b:1\tsp_ace_:2\t_:3\t___:4\tok_.-9:5\n", encode(e));
    }

    @Test
    void nonStringValuesAreTheirJsonText() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("k", "tab\there");
        map.put("l", List.of(1L, true));
        LogEntry e = new LogEntry()
                .add("d", 0.5)
                .add("nan", Double.NaN)
                .add("inf", Double.NEGATIVE_INFINITY)
                .add("b", false)
                .add("n", null)
                .add("map", map)
                .add("bin", new byte[] {1, 2, 3});
        assertEquals("d:0.5\tnan:NaN\tinf:-Infinity\tb:false\tn:null\tmap:{\"k\":\"tab\\there\",\"l\":[1,true]}\tbin:AQID\n",
                encode(e));
    }

    @Test
    void keepsUnicodeAndInvalidUtf8BytesOfSlices() {
        byte[] raw = {'v', (byte) 0xff, (byte) 0xe3, (byte) 0x81, (byte) 0x82};
        LogEntry e = new LogEntry().backing(raw).addSlice("s", 0, raw.length).add("u", "日本 😀");
        ByteBuilder out = new ByteBuilder();
        encoder.encode(e, out);
        byte[] expected = concat("s:".getBytes(StandardCharsets.US_ASCII), raw,
                "\tu:日本 😀\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(new String(expected, StandardCharsets.ISO_8859_1), new String(out.toByteArray(), StandardCharsets.ISO_8859_1));
    }

    @Test
    void repeatedNamesAreWrittenPerOccurrence() {
        LogEntry e = new LogEntry().add("a", "1").add("a", "2");
        assertEquals("a:1\ta:2\n", encode(e));
    }

    @Test
    void emptyEntryIsAnEmptyLine() {
        assertEquals("\n", encode(new LogEntry()));
    }

    @Test
    void outputParsesBackWithTheLtsvParser() {
        String line = "time:14/Nov/2023:22:13:20 +0000\thost:192.0.2.10\treq:GET /a?b=c HTTP/1.1\treferer:-\tempty:";
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        LogEntry parsed = new LogEntry().backing(bytes);
        new LtsvParser(false).parse(bytes, 0, bytes.length, parsed);
        assertEquals(line + "\n", encode(parsed));
    }

    private static byte[] concat(byte[]... parts) {
        ByteBuilder b = new ByteBuilder();
        for (byte[] p : parts) {
            b.write(p);
        }
        return b.toByteArray();
    }
}
