package io.hakobu.core.codec;

import static io.hakobu.core.codec.ParseTesting.assertFailed;
import static io.hakobu.core.codec.ParseTesting.assertFields;
import static io.hakobu.core.codec.ParseTesting.parse;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class JsonLineParserTest {

    private final JsonLineParser parser = new JsonLineParser(false);

    @Test
    void parsesAnApplicationLogLine() {
        String line = "{\"ts\":\"2023-11-14T22:13:20.123Z\",\"level\":\"INFO\",\"msg\":\"request done\","
                + "\"status\":200,\"took\":4.25,\"ok\":true,\"err\":null}";
        LogEntry e = parse(parser, line);
        assertTrue(e.isSlice(0), "plain top-level strings are slices");
        assertFields(e,
                "ts", "2023-11-14T22:13:20.123Z",
                "level", "INFO",
                "msg", "request done",
                "status", 200L,
                "took", 4.25,
                "ok", Boolean.TRUE,
                "err", null);
        assertFalse(e.has(Fields.MESSAGE));
    }

    @Test
    void nestedObjectsAndArrays() {
        LogEntry e = parse(parser, "{\"user\":{\"id\":42,\"name\":\"alice\",\"roles\":[\"a\",\"b\"],\"x\":{}},"
                + "\"tags\":[1,-2.5,\"s\",false,null,[],{\"k\":[{}]}],\"empty\":[]}");
        Map<String, Object> user = new LinkedHashMap<>();
        user.put("id", 42L);
        user.put("name", "alice");
        user.put("roles", List.of("a", "b"));
        user.put("x", Map.of());
        assertEquals(user, e.get("user"));
        assertInstanceOf(LinkedHashMap.class, e.get("user"));
        assertEquals(List.of("id", "name", "roles", "x"), new ArrayList<>(((Map<?, ?>) e.get("user")).keySet()));

        List<Object> tags = Arrays.asList(1L, -2.5, "s", false, null, List.of(), Map.of("k", List.of(Map.of())));
        assertEquals(tags, e.get("tags"));
        assertInstanceOf(ArrayList.class, e.get("tags"));
        assertEquals(List.of(), e.get("empty"));
    }

    @Test
    void numbers() {
        LogEntry e = parse(parser, "{\"a\":0,\"b\":-0,\"c\":123456789012345678,\"d\":9223372036854775807,"
                + "\"e\":-9223372036854775808,\"f\":9223372036854775808,\"g\":1e3,\"h\":-1.5E-2,\"i\":0.1,"
                + "\"j\":1e400,\"k\":12345678901234567890123}");
        assertFields(e,
                "a", 0L, "b", 0L, "c", 123456789012345678L, "d", Long.MAX_VALUE, "e", Long.MIN_VALUE,
                "f", "9223372036854775808", // beyond a long: kept as text, no digit lost
                "g", 1000.0, "h", -0.015, "i", 0.1,
                "j", "1e400", // would be infinite
                "k", "12345678901234567890123");
    }

    /** Every decimal must give exactly the double {@link Double#parseDouble} gives. */
    @Test
    void decimalsMatchParseDouble() {
        SplittableRandom random = new SplittableRandom(3);
        List<String> fixed = List.of("0.0", "-0.0", "0.1", "0.2", "0.3", "4.25", "0.004", "1e22", "1e23", "1e-22",
                "1e-23", "123456789012345.6", "1234567890123456.7", "9007199254740993.0", "0.000001", "5e-324", "1.7976931348623157e308",
                "1E+2", "1e-0", "-1.5E-0002", "2.2250738585072014E-308", "999999999999999e22", "0.1e-21");
        for (String n : fixed) {
            assertEquals(Double.valueOf(Double.parseDouble(n)), parse(parser, "{\"n\":" + n + "}").get("n"), n);
        }
        for (int i = 0; i < 20_000; i++) {
            StringBuilder n = new StringBuilder();
            if (random.nextBoolean()) {
                n.append('-');
            }
            int integerDigits = random.nextInt(1, 12);
            n.append(random.nextInt(1, 10));
            for (int d = 1; d < integerDigits; d++) {
                n.append(random.nextInt(10));
            }
            if (random.nextInt(4) == 0) {
                n.setLength(n.length() - integerDigits);
                n.append('0');
            }
            n.append('.');
            for (int d = random.nextInt(1, 12); d > 0; d--) {
                n.append(random.nextInt(10));
            }
            if (random.nextInt(3) == 0) {
                n.append(random.nextBoolean() ? 'e' : 'E').append(random.nextBoolean() ? "-" : "").append(random.nextInt(30));
            }
            String text = n.toString();
            assertEquals(Double.valueOf(Double.parseDouble(text)), parse(parser, "{\"n\":" + text + "}").get("n"), text);
        }
    }

    @Test
    void invalidNumbersFail() {
        for (String n : List.of("01", "-", "1.", ".5", "+1", "1e", "1e+", "--1", "0x10", "1.2.3", "NaN", "Infinity")) {
            String line = "{\"n\":" + n + "}";
            assertFailed(parse(parser, line), line, "json: ");
        }
    }

    @Test
    void escapes() {
        LogEntry e = parse(parser, "{\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u20ac\\ud83d\\ude00\","
                + "\"k\\u0065y\":1,\"lone\":\"\\ud800x\",\"raw\":\"h\u00e9llo \u65e5\u672c\"}");
        assertEquals("a\"b\\c/d\b\f\n\r\t\u00e9\u20ac\ud83d\ude00", e.get("s"));
        assertFalse(e.isSlice(0), "an escaped string is decoded");
        assertEquals(1L, e.get("key"));
        assertEquals("\ufffdx", e.get("lone"));
        assertEquals("h\u00e9llo \u65e5\u672c", e.get("raw"));
    }

    @Test
    void badEscapesFail() {
        for (String s : List.of("\\x41", "\\u12", "\\u12g4", "\\", "\\'")) {
            String line = "{\"s\":\"" + s + "\"}";
            assertFailed(parse(parser, line), line, "json: ");
        }
        assertEquals("json: invalid escape at byte 6", assertFailed(parse(parser, "{\"s\":\"\\q\"}"), "{\"s\":\"\\q\"}"));
    }

    @Test
    void whitespaceAndCrlf() {
        assertFields(parse(parser, " \t{ \"a\" : 1 , \"b\" :[ 1 , 2 ] }  \r"), "a", 1L, "b", List.of(1L, 2L));
    }

    @Test
    void keepMessage() {
        String line = "{\"a\":\"x\"}";
        assertFields(parse(new JsonLineParser(true), line + "\r"), Fields.MESSAGE, line, "a", "x");
    }

    @Test
    void emptyLineAndEmptyObjectAreKeptAsMessage() {
        assertFields(parse(parser, ""), Fields.MESSAGE, "");
        assertFields(parse(parser, "{}"), Fields.MESSAGE, "{}");
        assertFields(parse(parser, " { } "), Fields.MESSAGE, " { } ");
    }

    @Test
    void duplicateMembersLastValueWinsAtFirstPosition() {
        assertFields(parse(parser, "{\"a\":1,\"b\":2,\"a\":\"three\"}"), "a", "three", "b", 2L);
        assertEquals(Map.of("x", 2L), parse(parser, "{\"o\":{\"x\":1,\"x\":2}}").get("o"));
    }

    @Test
    void namesAreInterned() {
        LogEntry a = parse(parser, "{\"level\":\"INFO\",\"o\":{\"inner\":1}}");
        LogEntry b = parse(parser, "{\"level\":\"WARN\",\"o\":{\"inner\":2}}");
        assertSame(a.name(0), b.name(0));
        Object innerA = ((Map<?, ?>) a.get("o")).keySet().iterator().next();
        Object innerB = ((Map<?, ?>) b.get("o")).keySet().iterator().next();
        assertSame(innerA, innerB);
    }

    @Test
    void topLevelMustBeAnObject() {
        for (String line : List.of("[1,2]", "\"str\"", "42", "true", "null", "hello world", "  [{\"a\":1}]")) {
            assertFailed(parse(parser, line), line, "json: top level is not an object");
        }
        assertEquals("json: top level is not an object, found '[' at byte 0", assertFailed(parse(parser, "[1]"), "[1]"));
    }

    @Test
    void trailingDataFails() {
        for (String line : List.of("{\"a\":1} x", "{\"a\":1}{\"b\":2}", "{\"a\":1},", "{} {}")) {
            assertFailed(parse(parser, line), line, "json: trailing data after the object at byte ");
        }
        assertEquals("json: trailing data after the object at byte 8", assertFailed(parse(parser, "{\"a\":1} x"), "{\"a\":1} x"));
    }

    @Test
    void truncatedInputFailsWithItsOffset() {
        String line = "{\"msg\":\"cut here";
        assertEquals("json: unexpected end of input at byte 16", assertFailed(parse(parser, line), line));
        for (String cut : List.of("{", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,", "{\"a\":[1,", "{\"a\":tru", "{\"a\":{\"b\":",
                "   ")) {
            assertFailed(parse(parser, cut), cut, "json: unexpected end of input at byte " + cut.length());
        }
    }

    @Test
    void garbageFails() {
        for (String line : List.of("{a:1}", "{'a':1}", "{\"a\" 1}", "{\"a\":1 \"b\":2}", "{\"a\":1,}", "{,}",
                "{\"a\":[1,]}", "{\"a\":[1 2]}", "{\"a\":tRue}", "{\"a\":nul}", "{\"a\":\"x\ty\"}", "{\"a\":1]",
                "{\"a\":[1}")) {
            assertFailed(parse(parser, line), line, "json: ");
        }
        assertEquals("json: unexpected 'x' (expected ',' or '}') at byte 7",
                assertFailed(parse(parser, "{\"a\":1 x}"), "{\"a\":1 x}"));
        assertEquals("json: control character 0x09 in a string at byte 7",
                assertFailed(parse(parser, "{\"a\":\"x\ty\"}"), "{\"a\":\"x\ty\"}"));
    }

    @Test
    void deepNestingFailsInsteadOfOverflowingTheStack() {
        int depth = 100_000;
        String line = "{\"a\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
        assertFailed(parse(parser, line), line, "json: nesting deeper than " + JsonLineParser.MAX_DEPTH);
        int max = JsonLineParser.MAX_DEPTH - 1; // arrays inside the top-level object
        String ok = "{\"a\":" + "[".repeat(max) + "]".repeat(max) + "}";
        assertTrue(parse(parser, ok).has("a"));
        String over = "{\"a\":" + "[".repeat(max + 1) + "]".repeat(max + 1) + "}";
        assertFailed(parse(parser, over), over, "json: nesting deeper than");
        assertTrue(JsonLineParser.MAX_DEPTH < JsonWriter.MAX_DEPTH, "the encoder must be able to write what parses");
    }

    @Test
    void invalidUtf8DoesNotThrow() {
        byte[] line = "{\"a\":\"?\",\"b\":\"\\n?\"}".getBytes(StandardCharsets.US_ASCII);
        line[6] = (byte) 0xff;
        line[16] = (byte) 0xc3;
        LogEntry e = assertDoesNotThrow(() -> parse(parser, line));
        assertEquals("\ufffd", e.get("a"));
        assertEquals("\n\ufffd", e.get("b"));
        byte[] outside = {'{', (byte) 0xe9, '}'};
        assertFailed(parse(parser, outside), new String(outside, StandardCharsets.UTF_8), "json: unexpected 0xe9");
    }

    @Test
    void veryLongLine() {
        StringBuilder sb = new StringBuilder("{\"big\":\"").append("y".repeat(1 << 20)).append('"');
        for (int i = 0; i < 1000; i++) {
            sb.append(",\"k").append(i).append("\":").append(i);
        }
        sb.append(",\"esc\":\"").append("\\u00e9".repeat(10_000)).append("\"}");
        LogEntry e = parse(parser, sb.toString());
        assertEquals(1002, e.size());
        assertEquals(1 << 20, e.getString("big").length());
        assertEquals(999L, e.get("k999"));
        assertEquals("\u00e9".repeat(10_000), e.get("esc"));
    }

    @Test
    void stringScanAtEveryAlignment() {
        // the scan reads 8 bytes at a time: put each special byte at every offset
        for (int prefix = 0; prefix < 20; prefix++) {
            String pad = "p".repeat(prefix);
            assertFields(parse(parser, "{\"" + pad + "\":\"" + pad + "\\\"" + pad + "\"}"), pad, pad + "\"" + pad);
            assertFields(parse(parser, "{\"s\":\"" + pad + "\u00e9\u0080\"}"), "s", pad + "\u00e9\u0080");
            String control = "{\"s\":\"" + pad + "\u0001\"}";
            assertEquals("json: control character 0x01 in a string at byte " + (6 + prefix),
                    ParseTesting.assertFailed(parse(parser, control), control));
            String open = "{\"s\":\"" + pad;
            assertFailed(parse(parser, open), open, "json: unexpected end of input");
        }
    }

    @Test
    void memberNamesChangingFromLineToLine() {
        // the parser remembers each top-level position's name; every way of not matching must work
        assertFields(parse(parser, "{\"host\":1,\"status\":2}"), "host", 1L, "status", 2L);
        assertFields(parse(parser, "{\"hostname\":1,\"stat\":2}"), "hostname", 1L, "stat", 2L);
        assertFields(parse(parser, "{\"hos\":1,\"status\":2,\"x\":3}"), "hos", 1L, "status", 2L, "x", 3L);
        assertFields(parse(parser, "{\"status\":1,\"host\":2}"), "status", 1L, "host", 2L);
        assertFields(parse(parser, "{\"st\\u0061tus\":1,\"\":2}"), "status", 1L, "", 2L);
    }

    /** Random objects written by Jackson must parse to what was written. */
    @Test
    void randomObjectsMatchJackson() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        SplittableRandom random = new SplittableRandom(11);
        for (int round = 0; round < 3000; round++) {
            Map<String, Object> model = new LinkedHashMap<>();
            int members = random.nextInt(10);
            for (int i = 0; i < members; i++) {
                model.put(randomString(random, 6), randomValue(random, 0));
            }
            String line = mapper.writeValueAsString(model);
            LogEntry e = parse(parser, line);
            if (model.isEmpty()) {
                assertFields(e, Fields.MESSAGE, "{}");
                continue;
            }
            Map<String, Object> actual = new LinkedHashMap<>();
            for (int i = 0; i < e.size(); i++) {
                actual.put(e.name(i), e.value(i));
            }
            assertEquals(model, actual, line);
            assertEquals(new ArrayList<>(model.keySet()), ParseTesting.names(e), line);
        }
    }

    private static final String ALPHABET = "ab \"\\/\t\n\u0001\u001f\u007f\u00e9\u65e5\ud83d\ude00:{}[],";

    private static String randomString(SplittableRandom random, int maxLength) {
        int n = random.nextInt(random.nextInt(8) == 0 ? 40 : maxLength + 1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int k = random.nextInt(ALPHABET.length());
            char c = ALPHABET.charAt(k);
            if (Character.isHighSurrogate(c)) {
                sb.append(c).append(ALPHABET.charAt(k + 1));
            } else if (!Character.isLowSurrogate(c)) {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static Object randomValue(SplittableRandom random, int depth) {
        switch (random.nextInt(depth < 3 ? 9 : 7)) {
            case 0: return randomString(random, 20);
            case 1: return random.nextLong();
            case 2: return (long) random.nextInt(-1000, 1000);
            case 3: return random.nextDouble() * Math.pow(10, random.nextInt(-20, 20));
            case 4: return random.nextBoolean();
            case 5: return null;
            case 6: return randomString(random, 3);
            case 7:
                Map<String, Object> map = new LinkedHashMap<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    map.put(randomString(random, 4), randomValue(random, depth + 1));
                }
                return map;
            default:
                List<Object> list = new ArrayList<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    list.add(randomValue(random, depth + 1));
                }
                return list;
        }
    }

    @Test
    void failureLeavesNoStateForTheNextLine() {
        parse(parser, "{\"a\":1,\"b\":");
        LogEntry e = parse(parser, "{\"c\":3}");
        assertFields(e, "c", 3L);
        assertNull(e.get("a"));
    }
}
