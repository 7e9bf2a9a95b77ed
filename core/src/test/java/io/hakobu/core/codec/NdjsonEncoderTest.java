package io.hakobu.core.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hakobu.core.event.LogEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NdjsonEncoderTest {
    /** Strict reader: fails on duplicate keys, so merged repeats are really merged. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Encoder encoder = new NdjsonEncoder();

    /** Encodes one entry; asserts one line, valid UTF-8; returns it without the newline. */
    private String encode(LogEntry e) {
        ByteBuilder out = new ByteBuilder(16);
        encoder.encode(e, out);
        byte[] bytes = out.toByteArray();
        assertEquals('\n', bytes[bytes.length - 1], "terminated by a newline");
        for (int i = 0; i < bytes.length - 1; i++) {
            assertTrue(bytes[i] != '\n' && bytes[i] != '\r', "no raw line break inside the record");
        }
        assertValidUtf8(bytes);
        return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
    }

    /** Encodes and parses back with Jackson. */
    private JsonNode roundTrip(LogEntry e) throws IOException {
        return JSON.readTree(encode(e));
    }

    static void assertValidUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
        } catch (CharacterCodingException e) {
            throw new AssertionError("output is not valid UTF-8", e);
        }
    }

    /** An entry whose single field {@code f} is a slice of {@code value}, with guard bytes around it. */
    static LogEntry sliceEntry(String name, byte[] value) {
        byte[] backing = new byte[value.length + 4];
        backing[0] = '"';
        backing[1] = (byte) 0xff;
        System.arraycopy(value, 0, backing, 2, value.length);
        backing[backing.length - 2] = '\\';
        backing[backing.length - 1] = (byte) 0xc3;
        return new LogEntry().backing(backing).addSlice(name, 2, value.length);
    }

    @Test
    void writesFieldsInOrderWithTheirTypes() {
        LogEntry e = new LogEntry()
                .add("MESSAGE", "hello")
                .add("PRIORITY", 6L)
                .add("count", 3)
                .add("ratio", 0.25)
                .add("ok", true)
                .add("missing", null);
        assertEquals("{\"MESSAGE\":\"hello\",\"PRIORITY\":6,\"count\":3,\"ratio\":0.25,\"ok\":true,\"missing\":null}",
                encode(e));
    }

    @Test
    void emptyEntryIsAnEmptyObject() {
        assertEquals("{}", encode(new LogEntry()));
    }

    @Test
    void escapesQuotesBackslashesAndControlCharacters() throws IOException {
        String nasty = "a\"b\\c\nd\te\rf\bg\fh\u0000i\u0001j\u001fk\u007fl/m";
        LogEntry e = new LogEntry().add("m", nasty);
        assertEquals("{\"m\":\"a\\\"b\\\\c\\nd\\te\\rf\\bg\\fh\\u0000i\\u0001j\\u001fk\u007fl/m\"}", encode(e));
        assertEquals(nasty, roundTrip(e).get("m").asText());
    }

    @Test
    void escapesFieldNamesToo() throws IOException {
        LogEntry e = new LogEntry().add("we\"ird\nname", "v");
        assertEquals("v", roundTrip(e).get("we\"ird\nname").asText());
    }

    @Test
    void passesUnicodeThroughAsUtf8() throws IOException {
        String text = "ログ é 😀 \u2028 end";
        LogEntry e = new LogEntry().add("s", text);
        assertEquals("{\"s\":\"" + text + "\"}", encode(e));
        LogEntry slice = sliceEntry("s", text.getBytes(StandardCharsets.UTF_8));
        assertEquals("{\"s\":\"" + text + "\"}", encode(slice));
        assertEquals(text, roundTrip(slice).get("s").asText());
    }

    @Test
    void replacesUnpairedSurrogatesInStrings() throws IOException {
        LogEntry e = new LogEntry().add("s", "a\ud800b\udc00c\ud83d");
        assertEquals("a\ufffdb\ufffdc\ufffd", roundTrip(e).get("s").asText());
    }

    @Test
    void escapesSliceValuesAndCopiesThemWithoutDecoding() throws IOException {
        byte[] raw = "GET \"/a\\b\"\tx\u0002".getBytes(StandardCharsets.UTF_8);
        LogEntry e = sliceEntry("req", raw);
        assertEquals("{\"req\":\"GET \\\"/a\\\\b\\\"\\tx\\u0002\"}", encode(e));
        assertTrue(e.isSlice(0), "encoding must not materialize the slice as a String");
    }

    @Test
    void replacesInvalidUtf8InSlices() throws IOException {
        byte[][] cases = {
            {(byte) 0xff},
            {'a', (byte) 0x80, 'b'},
            {(byte) 0xc3},                              // truncated 2-byte sequence at the end
            {(byte) 0xe2, (byte) 0x82, 'x'},            // truncated 3-byte sequence
            {(byte) 0xc0, (byte) 0xaf},                 // overlong '/'
            {(byte) 0xe0, (byte) 0x80, (byte) 0xaf},    // overlong 3-byte
            {(byte) 0xed, (byte) 0xa0, (byte) 0x80},    // UTF-16 surrogate D800
            {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // above U+10FFFF
            {(byte) 0xf0, (byte) 0x9f, (byte) 0x98},    // truncated emoji
            {'"', (byte) 0xf8, '\\'},
        };
        for (byte[] c : cases) {
            LogEntry e = sliceEntry("v", c);
            String expected = new String(c, StandardCharsets.UTF_8); // the slice path replaces exactly as Java decodes
            assertEquals(expected, roundTrip(e).get("v").asText(), () -> HexFormat.of().formatHex(c));
        }
    }

    @Test
    void anyBytesInASliceGiveValidJsonEqualToTheDecodedString() throws IOException {
        Random random = new Random(20240601);
        byte[] alphabet = {'a', '"', '\\', '\n', 0, 0x1f, 0x7f, (byte) 0x80, (byte) 0xbf, (byte) 0xc2, (byte) 0xdf,
            (byte) 0xe0, (byte) 0xed, (byte) 0xef, (byte) 0xf0, (byte) 0xf4, (byte) 0xf5, (byte) 0xff, (byte) 0x90,
            (byte) 0xa0, (byte) 0x9f};
        for (int round = 0; round < 20_000; round++) {
            byte[] value = new byte[random.nextInt(12)];
            for (int i = 0; i < value.length; i++) {
                value[i] = random.nextInt(3) == 0 ? (byte) random.nextInt(256) : alphabet[random.nextInt(alphabet.length)];
            }
            LogEntry e = sliceEntry("v", value);
            String expected = new String(value, StandardCharsets.UTF_8);
            assertEquals(expected, roundTrip(e).get("v").asText(), () -> HexFormat.of().formatHex(value));
            LogEntry materialized = sliceEntry("v", value);
            materialized.value(0); // caches the decoded String: the slice path must give the same bytes
            assertEquals(encode(e), encode(materialized), () -> HexFormat.of().formatHex(value));
        }
    }

    /**
     * The string writer copies by 8-byte words and reads the last 1-7 bytes of a string as one
     * word, past the string's end when the array goes on (those bytes must not count) or ending at
     * it when it does not: every length, at every distance from the array's end, with bytes that
     * need escaping before, inside and after the string, must give what the String gives.
     */
    @Test
    void aSliceAtAnyDistanceFromItsArraysEndGivesTheDecodedString() {
        byte[] after = {'"', '\\', 0, 0x1f, (byte) 0xc3, (byte) 0xff, '"', '\\', 0, 0x0a, '"'};
        byte[] odd = {'"', '\\', '\n', 0x01, (byte) 0xc3, (byte) 0xa9};
        for (int len = 0; len <= 26; len++) {
            for (int tail = 0; tail <= 10; tail++) {
                for (int special = -1; special < len; special++) { // -1: plain throughout
                    for (byte s : special < 0 ? new byte[] {'a'} : odd) {
                        byte[] backing = new byte[3 + len + tail];
                        backing[0] = '"';
                        backing[1] = (byte) 0xe9;
                        backing[2] = '\\';
                        for (int i = 0; i < len; i++) {
                            backing[3 + i] = (byte) ('a' + (i % 26));
                        }
                        if (special >= 0) {
                            backing[3 + special] = s;
                        }
                        System.arraycopy(after, 0, backing, 3 + len, tail);
                        String expected = new String(backing, 3, len, StandardCharsets.UTF_8);
                        LogEntry slice = new LogEntry().backing(backing).addSlice("v", 3, len);
                        String label = "len " + len + ", tail " + tail + ", special " + special + ": " + HexFormat.of().formatHex(backing);
                        assertEquals(encode(new LogEntry().add("v", expected)), encode(slice), label);
                    }
                }
            }
        }
    }

    @Test
    void bytesBecomeBase64Objects() throws IOException {
        byte[] bin = {0, 1, 2, (byte) 0xfe, (byte) 0xff};
        LogEntry e = new LogEntry().add("blob", bin);
        assertEquals("{\"blob\":{\"base64\":\"AAEC/v8=\"}}", encode(e));
        JsonNode node = roundTrip(e).get("blob");
        assertEquals(1, node.size());
        assertArrayEquals(bin, Base64.getDecoder().decode(node.get("base64").asText()));
    }

    @Test
    void writesNestedListsAndMaps() throws IOException {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("k", "v\"");
        inner.put("n", List.of(1L, 2.5, false));
        inner.put("bin", new byte[] {65});
        List<Object> list = new ArrayList<>();
        list.add(inner);
        list.add(null);
        list.add(List.of());
        LogEntry e = new LogEntry().add("obj", inner).add("arr", list).add("empty", Map.of());
        assertEquals("{\"obj\":{\"k\":\"v\\\"\",\"n\":[1,2.5,false],\"bin\":{\"base64\":\"QQ==\"}},"
                + "\"arr\":[{\"k\":\"v\\\"\",\"n\":[1,2.5,false],\"bin\":{\"base64\":\"QQ==\"}},null,[]],\"empty\":{}}",
                encode(e));
        JsonNode n = roundTrip(e);
        assertEquals(2.5, n.get("obj").get("n").get(1).asDouble());
    }

    @Test
    void deeplyNestedOrCyclicValuesAreCut() throws IOException {
        List<Object> cyclic = new ArrayList<>();
        cyclic.add("x");
        cyclic.add(cyclic);
        JsonNode n = roundTrip(new LogEntry().add("c", cyclic));
        int depth = 0;
        JsonNode cur = n.get("c");
        while (cur.isArray()) {
            cur = cur.get(1);
            depth++;
        }
        assertTrue(cur.isNull());
        assertEquals(JsonWriter.MAX_DEPTH, depth);
    }

    @Test
    void nonFiniteDoublesBecomeStrings() throws IOException {
        LogEntry e = new LogEntry().add("a", Double.NaN).add("b", Double.POSITIVE_INFINITY)
                .add("c", Double.NEGATIVE_INFINITY).add("d", 1e300).add("e", -0.0).add("f", 1.5e-7);
        assertEquals("{\"a\":\"NaN\",\"b\":\"Infinity\",\"c\":\"-Infinity\",\"d\":1.0E300,\"e\":-0.0,\"f\":1.5E-7}",
                encode(e));
        JsonNode n = roundTrip(e);
        assertEquals(1e300, n.get("d").asDouble());
        assertEquals(1.5e-7, n.get("f").asDouble());
    }

    @Test
    void extremeLongs() throws IOException {
        LogEntry e = new LogEntry().add("min", Long.MIN_VALUE).add("max", Long.MAX_VALUE).add("zero", 0L);
        JsonNode n = roundTrip(e);
        assertEquals(Long.MIN_VALUE, n.get("min").asLong());
        assertEquals(Long.MAX_VALUE, n.get("max").asLong());
        assertEquals(0L, n.get("zero").asLong());
    }

    @Test
    void repeatedNamesAreMergedIntoAnArrayAtTheFirstPosition() throws IOException {
        LogEntry e = new LogEntry()
                .add("A", 1L)
                .add("B", "b")
                .add("A", "two")
                .add("C", List.of(1L))
                .add("A", null)
                .add("C", List.of(2L));
        assertEquals("{\"A\":[1,\"two\",null],\"B\":\"b\",\"C\":[[1],[2]]}", encode(e));
        roundTrip(e); // strict duplicate detection is on
    }

    @Test
    void repeatedSliceFieldsAreMergedToo() throws IOException {
        byte[] line = "x=1 x=2".getBytes(StandardCharsets.US_ASCII);
        LogEntry e = new LogEntry().backing(line).addSlice("x", 2, 1).add("y", "z").addSlice("x", 6, 1);
        assertEquals("{\"x\":[\"1\",\"2\"],\"y\":\"z\"}", encode(e));
    }

    @Test
    void manyDistinctNamesAreNotMistakenForRepeats() throws IOException {
        LogEntry e = new LogEntry();
        for (int i = 0; i < 200; i++) {
            e.add("field_" + i, (long) i);
        }
        assertFalse(JsonWriter.hasRepeatedNames(e));
        JsonNode n = roundTrip(e);
        assertEquals(200, n.size());
        assertEquals(199L, n.get("field_199").asLong());
    }

    @Test
    void parsedJsonLinesRoundTrip() throws IOException {
        String line = "{\"level\":\"info\",\"msg\":\"caf\u00e9 \\\"quoted\\\" \\u0007\",\"n\":-12,\"f\":3.5,"
                + "\"ok\":false,\"nested\":{\"a\":[1,{\"b\":null}]},\"empty\":\"\"}";
        LogEntry e = new LogEntry().backing(line.getBytes(StandardCharsets.UTF_8));
        Parsers.create("json", false).parse(e.backing(), 0, e.backing().length, e);
        assertEquals(JSON.readTree(line), roundTrip(e));
    }

    @Test
    void ltsvLineRoundTripsThroughTheJsonForm() throws IOException {
        String line = "time:14/Nov/2023:22:13:20 +0000\thost:192.0.2.10\tua:Mozilla \"x\" \\ y\tjp:日本語";
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        LogEntry e = new LogEntry().backing(bytes);
        new LtsvParser(false).parse(bytes, 0, bytes.length, e);
        JsonNode n = roundTrip(e);
        assertEquals("14/Nov/2023:22:13:20 +0000", n.get("time").asText());
        assertEquals("Mozilla \"x\" \\ y", n.get("ua").asText());
        assertEquals("日本語", n.get("jp").asText());
        for (int i = 0; i < e.size(); i++) {
            assertTrue(e.isSlice(i), "values stay slices");
        }
    }
}
