package io.hakobu.core.codec;

import static io.hakobu.core.codec.ParseTesting.assertFailed;
import static io.hakobu.core.codec.ParseTesting.assertFields;
import static io.hakobu.core.codec.ParseTesting.names;
import static io.hakobu.core.codec.ParseTesting.parse;
import static io.hakobu.core.codec.ParseTesting.utf8;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

class LtsvParserTest {

    /** Test vector L1 of PROTOCOLS.md §2: an nginx access line, 15 fields, 215 bytes. */
    static final String L1 = String.join("\t",
            "time:14/Nov/2023:22:13:20 +0000", "host:192.0.2.10", "forwardedfor:-", "req:GET /a?b=c HTTP/1.1",
            "method:GET", "uri:/a?b=c", "status:200", "size:512", "referer:-", "ua:curl/8.4.0", "reqtime:0.004",
            "cache:-", "runtime:-", "apptime:0.003", "vhost:example.jp");

    private final LtsvParser parser = new LtsvParser(false);

    @Test
    void parsesTestVectorL1() {
        assertEquals(215, utf8(L1).length);
        LogEntry e = parse(parser, L1);
        assertFields(e,
                "time", "14/Nov/2023:22:13:20 +0000",
                "host", "192.0.2.10",
                "forwardedfor", "-",
                "req", "GET /a?b=c HTTP/1.1",
                "method", "GET",
                "uri", "/a?b=c",
                "status", "200",
                "size", "512",
                "referer", "-",
                "ua", "curl/8.4.0",
                "reqtime", "0.004",
                "cache", "-",
                "runtime", "-",
                "apptime", "0.003",
                "vhost", "example.jp");
        assertFalse(e.has(Fields.MESSAGE));
        assertFalse(e.has(Fields.PARSE_ERROR));
    }

    @Test
    void valuesAreSlicesOfTheLine() {
        LogEntry e = parse(parser, L1);
        for (int i = 0; i < e.size(); i++) {
            assertTrue(e.isSlice(i), e.name(i));
        }
        int status = e.indexOf("status");
        assertEquals("200", new String(e.backing(), e.sliceOffset(status), e.sliceLength(status)));
    }

    @Test
    void repeatedLabelsAreInternedAcrossLines() {
        LogEntry a = parse(parser, L1);
        LogEntry b = parse(parser, L1.replace("status:200", "status:404"));
        for (int i = 0; i < a.size(); i++) {
            assertSame(a.name(i), b.name(i));
        }
        assertEquals("404", b.getString("status"));
    }

    @Test
    void keepMessageAddsTheWholeLineFirst() {
        LogEntry e = parse(new LtsvParser(true), L1 + "\r");
        assertEquals(16, e.size());
        assertEquals(Fields.MESSAGE, e.name(0));
        assertEquals(L1, e.getString(Fields.MESSAGE));
        assertEquals("example.jp", e.getString("vhost"));
    }

    @Test
    void stripsTrailingCarriageReturn() {
        LogEntry e = parse(parser, "a:1\tb:2\r");
        assertFields(e, "a", "1", "b", "2");
        // only one: a CR inside a value is kept
        assertFields(parse(parser, "a:1\r\r"), "a", "1\r");
    }

    @Test
    void emptyValuesAreEmptyStrings() {
        assertFields(parse(parser, "referer:\tua:\tx:-"), "referer", "", "ua", "", "x", "-");
        assertFields(parse(parser, "a:"), "a", "");
    }

    @Test
    void valueMayContainColons() {
        assertFields(parse(parser, "url:http://example.jp:8080/x"), "url", "http://example.jp:8080/x");
        assertFields(parse(parser, "a::"), "a", ":");
    }

    @Test
    void duplicateLabelsLastValueWinsAtFirstPosition() {
        assertFields(parse(parser, "a:1\tb:2\ta:3"), "a", "3", "b", "2");
        assertFields(parse(parser, "a:1\ta:2\ta:3\tb:4"), "a", "3", "b", "4");
    }

    @Test
    void aRepeatedLabelThatTheCacheExpectsIsStillMerged() {
        LtsvParser p = new LtsvParser(false);
        assertFields(parse(p, "a:1\tb:2"), "a", "1", "b", "2");
        for (int i = 0; i < 3; i++) { // from the second time on, field 2's remembered label is "a"
            assertFields(parse(p, "a:1\ta:2\tc:3"), "a", "2", "c", "3");
        }
        assertFields(parse(p, "a:1\tb:2"), "a", "1", "b", "2");
    }

    @Test
    void fieldsAlreadyInTheEntryStayAndAreNotMergedWith() {
        byte[] line = "a:1\tb:2".getBytes(StandardCharsets.UTF_8);
        LogEntry e = new LogEntry().backing(line).add("a", "before");
        new LtsvParser(false).parse(line, 0, line.length, e);
        assertEquals(3, e.size());
        assertEquals("before", e.value(0));
        assertEquals("1", e.value(1));
        byte[] bad = "a:1\tb c:2".getBytes(StandardCharsets.UTF_8);
        LogEntry f = new LogEntry().backing(bad).add("x", "before");
        new LtsvParser(true).parse(bad, 0, bad.length, f);
        assertEquals(List.of("x", Fields.MESSAGE, Fields.PARSE_ERROR), List.of(f.name(0), f.name(1), f.name(2)),
                "a failing line is cut back to what the entry held, then MESSAGE and the error");
        assertEquals(3, f.size());
    }

    @Test
    void emptyLineIsAnEmptyRecordKeptAsMessage() {
        assertFields(parse(parser, ""), Fields.MESSAGE, "");
        assertFields(parse(parser, "\r"), Fields.MESSAGE, "");
        assertFields(parse(new LtsvParser(true), ""), Fields.MESSAGE, "");
        assertFields(parse(parser, "\t\t"), Fields.MESSAGE, "\t\t");
    }

    @Test
    void emptyFieldsAreSkipped() {
        assertFields(parse(parser, "a:1\t\tb:2\t"), "a", "1", "b", "2");
        assertFields(parse(parser, "\ta:1"), "a", "1");
    }

    @Test
    void fieldWithoutColonFailsTheLine() {
        String line = "a:1\tb:2\tjunk\td:4";
        assertFailed(parse(parser, line), line, "ltsv: field 3 has no ':'");
        assertFailed(parse(parser, "just some text"), "just some text", "ltsv: field 1 has no ':'");
    }

    @Test
    void invalidLabelsFailTheLine() {
        for (String line : List.of("a b:1", "a:1\tb/c:2", "ä:1", "a:1\t\"q\":2", "a=b:c", ":1", "a:1\t:2")) {
            String reason = assertFailed(parse(parser, line), line);
            assertTrue(reason.startsWith("ltsv: field "), reason);
            assertTrue(reason.contains("label"), reason);
        }
        assertEquals("ltsv: field 2 has an empty label", assertFailed(parse(parser, "a:1\t:2"), "a:1\t:2"));
    }

    @Test
    void allLabelBytesAreAccepted() {
        String label = "09AZaz_.-";
        assertFields(parse(parser, label + ":v"), label, "v");
    }

    @Test
    void failureAddsNoPartialFieldsEvenWithKeepMessage() {
        String line = "a:1\tb:2\tbad label:3";
        assertFailed(parse(new LtsvParser(true), line), line, "ltsv: field 3 has an invalid label");
        // and the parser is clean for the next line
        LtsvParser p = new LtsvParser(false);
        parse(p, line);
        assertFields(parse(p, "c:3"), "c", "3");
    }

    @Test
    void invalidUtf8InValuesIsKept() {
        byte[] line = {'a', ':', (byte) 0xff, (byte) 0xc3, '\t', 'b', ':', (byte) 0x80, 0};
        LogEntry e = assertDoesNotThrow(() -> parse(parser, line));
        assertEquals(List.of("a", "b"), names(e));
        assertEquals(2, e.sliceLength(0));
        assertEquals("\ufffd\ufffd", e.getString("a"));
        assertEquals("\ufffd\u0000", e.getString("b"));
    }

    @Test
    void invalidUtf8InLabelFailsWithoutThrowing() {
        byte[] line = {'a', ':', '1', '\t', (byte) 0xff, ':', '2'};
        String reason = assertFailed(parse(parser, line), new String(line, StandardCharsets.UTF_8));
        assertEquals("ltsv: field 2 has an invalid label (byte 0xff)", reason);
    }

    @Test
    void veryLongLines() {
        String big = "x".repeat(1 << 20);
        StringBuilder sb = new StringBuilder("big:").append(big);
        for (int i = 0; i < 1000; i++) {
            sb.append("\tf").append(i).append(':').append(i);
        }
        sb.append('\t').append("l".repeat(100)).append(":long label");
        LogEntry e = parse(parser, sb.toString());
        assertEquals(1002, e.size());
        assertEquals(big, e.getString("big"));
        assertEquals("999", e.getString("f999"));
        assertEquals("long label", e.getString("l".repeat(100)));

        String bad = sb.append("\tno colon").toString();
        assertFailed(parse(parser, bad), bad, "ltsv: field 1003 has no ':'");
    }

    @Test
    void labelsChangingFromLineToLine() {
        // the parser remembers each field's label; every way of not matching must still parse right
        assertFields(parse(parser, "host:a\tstatus:200"), "host", "a", "status", "200");
        assertFields(parse(parser, "hostname:b\tstatus:201"), "hostname", "b", "status", "201");
        assertFields(parse(parser, "hos:c\tstat:202"), "hos", "c", "stat", "202");
        assertFields(parse(parser, "status:203\thost:d"), "status", "203", "host", "d");
        assertFailed(parse(parser, "status\thost:e"), "status\thost:e", "ltsv: field 1 has no ':'");
        assertFailed(parse(parser, "status"), "status", "ltsv: field 1 has no ':'");
        assertFields(parse(parser, "status:"), "status", "");
        assertFields(parse(parser, "a:1\tstatus:204\thost:f"), "a", "1", "status", "204", "host", "f");
        assertFields(parse(parser, "host:g"), "host", "g");
    }

    /** Random lines against a simple model: split on TAB, then at the first ':', last wins. */
    @Test
    void randomLinesMatchTheModel() {
        SplittableRandom random = new SplittableRandom(7);
        String labelBytes = "abcXYZ019_.-";
        String valueBytes = "abc:: -/\u00e9\u65e5\"\\=\r";
        for (int round = 0; round < 5000; round++) {
            int fields = random.nextInt(12);
            Map<String, String> model = new LinkedHashMap<>();
            StringBuilder line = new StringBuilder();
            for (int f = 0; f < fields; f++) {
                StringBuilder label = new StringBuilder();
                int labelLength = 1 + random.nextInt(random.nextBoolean() ? 3 : 20);
                for (int i = 0; i < labelLength; i++) {
                    label.append(labelBytes.charAt(random.nextInt(labelBytes.length())));
                }
                StringBuilder value = new StringBuilder();
                int valueLength = random.nextInt(random.nextBoolean() ? 10 : 40);
                for (int i = 0; i < valueLength; i++) {
                    value.append(valueBytes.charAt(random.nextInt(valueBytes.length())));
                }
                if (f > 0) {
                    line.append('\t');
                }
                line.append(label).append(':').append(value);
                model.put(label.toString(), value.toString());
            }
            String text = line.toString();
            if (text.endsWith("\r")) {
                text += "\r"; // one CR is stripped: keep the value's own
            }
            LogEntry e = parse(parser, text);
            if (fields == 0) {
                assertFields(e, Fields.MESSAGE, "");
                continue;
            }
            Map<String, Object> actual = new LinkedHashMap<>();
            for (int i = 0; i < e.size(); i++) {
                actual.put(e.name(i), e.value(i));
            }
            assertEquals(model, actual, text);
            assertEquals(new ArrayList<>(model.keySet()), names(e), text);
        }
    }

    @Test
    void hugeFieldCountsThenNormalLines() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            sb.append(i == 0 ? "" : "\t").append("k").append(i % 3000).append(':').append(i);
        }
        LogEntry huge = parse(parser, sb.toString());
        assertEquals(3000, huge.size());
        assertEquals("4999", huge.getString("k1999"), "last wins");
        assertEquals("2000", huge.getString("k2000"));
        for (int i = 0; i < 3; i++) {
            assertFields(parse(parser, "k0:a\tk1:b\tk0:c"), "k0", "c", "k1", "b");
        }
    }

    @Test
    void tabSearchAtEveryAlignment() {
        for (int length = 0; length < 40; length++) {
            for (int tab = -1; tab < length; tab++) {
                byte[] b = new byte[length + 3];
                Arrays.fill(b, (byte) 'x');
                if (tab >= 0) {
                    b[1 + tab] = '\t';
                    b[length + 2] = '\t'; // beyond the end: never found
                }
                int expected = tab >= 0 ? 1 + tab : 1 + length;
                assertEquals(expected, LtsvParser.indexOfTab(b, 1, 1 + length), length + "/" + tab);
            }
        }
        byte[] high = {(byte) 0x89, (byte) 0x89, (byte) 0xff, 0x08, 0x0a, 0x19, (byte) 0x8a, 0x01, 0x09};
        assertEquals(8, LtsvParser.indexOfTab(high, 0, high.length));
    }

    @Test
    void manyDistinctLabelsDoNotBreakTheNameCache() {
        for (int i = 0; i < 2000; i++) {
            assertFields(parse(parser, "label" + i + ":" + i), "label" + i, Integer.toString(i));
        }
    }
}
