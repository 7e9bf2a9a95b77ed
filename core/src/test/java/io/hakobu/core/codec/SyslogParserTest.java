package io.hakobu.core.codec;

import static io.hakobu.core.codec.ParseTesting.assertFailed;
import static io.hakobu.core.codec.ParseTesting.assertFields;
import static io.hakobu.core.codec.ParseTesting.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link SyslogParser}: the PROTOCOLS.md vectors (S1 and the minimal message), RFC 3164 and its
 * real-world variants, timestamps (RFC 3339, BSD dates with year inference), and malformed input
 * kept with {@code _PARSE_ERROR}, including a seeded random-mutation run (never throws, never drops).
 */
class SyslogParserTest {
    private static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
    /** "Now" for BSD dates: 2024-11-06 12:00 in Tokyo. */
    private static final Clock NOW = Clock.fixed(Instant.parse("2024-11-06T03:00:00Z"), ZoneOffset.UTC);

    private final SyslogParser parser = new SyslogParser(false, TOKYO, NOW);

    private static long micros(String instant) {
        Instant i = Instant.parse(instant);
        return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
    }

    private static long tokyo(int y, int mo, int d, int h, int mi, int s) {
        return LocalDateTime.of(y, mo, d, h, mi, s).atZone(TOKYO).toEpochSecond() * 1_000_000L;
    }

    private static byte[] bytes(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object p : parts) {
            byte[] b = p instanceof byte[] a ? a : p.toString().getBytes(StandardCharsets.UTF_8);
            out.write(b, 0, b.length);
        }
        return out.toByteArray();
    }

    private static final byte[] BOM = {(byte) 0xef, (byte) 0xbb, (byte) 0xbf};

    // ---- RFC 5424: the PROTOCOLS.md vectors ------------------------------------------------------

    @Test
    void rfc5424VectorS1() {
        byte[] s1 = bytes("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 1234 ID47 ",
                "[exampleSDID@32473 iut=\"3\" path=\"C:\\\\tmp\" note=\"a \\\"q\\\" \\]\"] ", BOM, "ログ ok");
        assertEquals(146, s1.length);
        LogEntry e = parse(parser, s1);
        assertTrue(e.isSlice(e.indexOf(Fields.MESSAGE)), "MESSAGE is a slice of the line");
        assertTrue(e.isSlice(e.indexOf("SD_exampleSDID@32473_iut")), "unescaped values stay slices");
        assertFields(e,
                Fields.PRIORITY, "5",
                Fields.SYSLOG_FACILITY, "20",
                SyslogParser.SYSLOG_TIMESTAMP, "2003-10-11T22:14:15.003Z",
                Fields.HOSTNAME, "mymachine.example.com",
                Fields.SYSLOG_IDENTIFIER, "evntslog",
                Fields.SYSLOG_PID, "1234",
                SyslogParser.SYSLOG_MSGID, "ID47",
                "SD_exampleSDID@32473_iut", "3",
                "SD_exampleSDID@32473_path", "C:\\tmp",
                "SD_exampleSDID@32473_note", "a \"q\" ]",
                Fields.MESSAGE, "ログ ok");
        assertEquals(micros("2003-10-11T22:14:15.003Z"), parser.timestampMicros());
    }

    @Test
    void rfc5424Minimal() {
        byte[] m = bytes("<13>1 - - - - - - hi");
        assertEquals(20, m.length);
        assertFields(parse(parser, m), Fields.PRIORITY, "5", Fields.SYSLOG_FACILITY, "1", Fields.MESSAGE, "hi");
        assertEquals(SyslogParser.NO_TIMESTAMP, parser.timestampMicros());
    }

    @Test
    void rfc5424WithoutMsgSeveralElementsRepeatedParamAndOffset() {
        LogEntry e = parse(parser, "<34>1 2024-11-05T09:07:03.123456+09:00 host app - - [a x=\"1\" x=\"2\"][timeQuality][b@1 y=\"\"]");
        assertFields(e,
                Fields.PRIORITY, "2",
                Fields.SYSLOG_FACILITY, "4",
                SyslogParser.SYSLOG_TIMESTAMP, "2024-11-05T09:07:03.123456+09:00",
                Fields.HOSTNAME, "host",
                Fields.SYSLOG_IDENTIFIER, "app",
                "SD_a_x", "1",
                "SD_a_x", "2",
                "SD_timeQuality", "",
                "SD_b@1_y", "",
                Fields.MESSAGE, "");
        assertEquals(micros("2024-11-05T00:07:03.123456Z"), parser.timestampMicros());
    }

    @Test
    void rfc5424FromLoggerAndTrailingNewline() {
        // what `logger --rfc5424` sends (with its timeQuality element)
        LogEntry e = parse(parser, "<13>1 2024-11-05T09:07:03.123456+00:00 web-01 alice 4242 - [timeQuality tzKnown=\"1\" isSynced=\"0\"] hello world\n");
        assertEquals("alice", e.getString(Fields.SYSLOG_IDENTIFIER));
        assertEquals("4242", e.getString(Fields.SYSLOG_PID));
        assertEquals("1", e.getString("SD_timeQuality_tzKnown"));
        assertEquals("hello world", e.getString(Fields.MESSAGE));
        assertEquals("web-01", e.getString(Fields.HOSTNAME));
    }

    @Test
    void keepRawAddsTheWholeMessage() {
        LogEntry e = parse(new SyslogParser(true, TOKYO, NOW), "<13>1 - - - - - - hi\r\n");
        assertEquals("<13>1 - - - - - - hi", e.getString(SyslogParser.SYSLOG_RAW));
        assertEquals("hi", e.getString(Fields.MESSAGE));
    }

    // ---- RFC 3164 and real-world variants -----------------------------------------------------

    @Test
    void rfc3164Nominal() {
        LogEntry e = parse(parser, "<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8");
        assertFields(e,
                Fields.PRIORITY, "2",
                Fields.SYSLOG_FACILITY, "4",
                SyslogParser.SYSLOG_TIMESTAMP, "Oct 11 22:14:15",
                Fields.HOSTNAME, "mymachine",
                Fields.SYSLOG_IDENTIFIER, "su",
                Fields.SYSLOG_PID, "230",
                Fields.MESSAGE, "'su root' failed for lonvick on /dev/pts/8");
        assertEquals(tokyo(2024, 10, 11, 22, 14, 15), parser.timestampMicros());
    }

    @Test
    void rfc3164LocalWithoutHostnameSpacePaddedDay() {
        LogEntry e = parse(parser, "<30>Nov  5 09:07:03 sshd[812]: Accepted publickey for alice");
        assertFields(e,
                Fields.PRIORITY, "6",
                Fields.SYSLOG_FACILITY, "3",
                SyslogParser.SYSLOG_TIMESTAMP, "Nov  5 09:07:03",
                Fields.SYSLOG_IDENTIFIER, "sshd",
                Fields.SYSLOG_PID, "812",
                Fields.MESSAGE, "Accepted publickey for alice");
        assertEquals(tokyo(2024, 11, 5, 9, 7, 3), parser.timestampMicros());
    }

    @Test
    void rfc3164TagVariants() {
        LogEntry cron = parse(parser, "<78>Nov 05 09:07:03.123 host CRON: (root) CMD (run-parts)");
        assertEquals("CRON", cron.getString(Fields.SYSLOG_IDENTIFIER));
        assertEquals(null, cron.get(Fields.SYSLOG_PID));
        assertEquals("(root) CMD (run-parts)", cron.getString(Fields.MESSAGE));
        assertEquals(tokyo(2024, 11, 5, 9, 7, 3) + 123_000, parser.timestampMicros());

        LogEntry postfix = parse(parser, "<22>Nov 5 09:07:03 mx1 postfix/smtpd[1234]: connect from x");
        assertEquals("mx1", postfix.getString(Fields.HOSTNAME));
        assertEquals("postfix/smtpd", postfix.getString(Fields.SYSLOG_IDENTIFIER));
        assertEquals("1234", postfix.getString(Fields.SYSLOG_PID));

        LogEntry noColon = parse(parser, "<13>Nov  5 09:07:03 host app[77] message without colon");
        assertEquals("app", noColon.getString(Fields.SYSLOG_IDENTIFIER));
        assertEquals("77", noColon.getString(Fields.SYSLOG_PID));
        assertEquals("message without colon", noColon.getString(Fields.MESSAGE));

        LogEntry noTag = parse(parser, "<13>Nov  5 09:07:03 host just some words");
        assertFields(noTag, Fields.PRIORITY, "5", Fields.SYSLOG_FACILITY, "1",
                SyslogParser.SYSLOG_TIMESTAMP, "Nov  5 09:07:03", Fields.HOSTNAME, "host", Fields.MESSAGE, "just some words");
    }

    @Test
    void rfc3164WithRfc3339TimestampAsRsyslogForwards() {
        LogEntry e = parse(parser, "<30>2024-11-05T09:07:03.123456+09:00 host app[1]: msg");
        assertEquals("2024-11-05T09:07:03.123456+09:00", e.getString(SyslogParser.SYSLOG_TIMESTAMP));
        assertEquals("host", e.getString(Fields.HOSTNAME));
        assertEquals("app", e.getString(Fields.SYSLOG_IDENTIFIER));
        assertEquals("msg", e.getString(Fields.MESSAGE));
        assertEquals(micros("2024-11-05T00:07:03.123456Z"), parser.timestampMicros());
    }

    @Test
    void rsyslogFileFormatsWithoutPri() {
        // RSYSLOG_TraditionalFileFormat and RSYSLOG_FileFormat: what /var/log/syslog holds
        LogEntry trad = parse(parser, "Nov  5 09:07:03 web-01 kernel: [ 1.23] eth0 up");
        assertFields(trad, SyslogParser.SYSLOG_TIMESTAMP, "Nov  5 09:07:03", Fields.HOSTNAME, "web-01",
                Fields.SYSLOG_IDENTIFIER, "kernel", Fields.MESSAGE, "[ 1.23] eth0 up");
        LogEntry precise = parse(parser, "2024-11-05T09:07:03.123456+09:00 web-01 systemd[1]: Started x.");
        assertEquals("systemd", precise.getString(Fields.SYSLOG_IDENTIFIER));
        assertEquals("1", precise.getString(Fields.SYSLOG_PID));
        assertEquals(micros("2024-11-05T00:07:03.123456Z"), parser.timestampMicros());
    }

    @Test
    void yearBeforeTimeAndYearInference() {
        parse(parser, "<13>Nov  5 2021 09:07:03 host app: x");
        assertEquals(tokyo(2021, 11, 5, 9, 7, 3), parser.timestampMicros());
        // "now" is 2024-11-06: Dec 31 would be in the future, so it is last year's
        parse(parser, "<13>Dec 31 23:59:59 host app: x");
        assertEquals(tokyo(2023, 12, 31, 23, 59, 59), parser.timestampMicros());
        // up to a day ahead (clock skew) stays in this year
        parse(parser, "<13>Nov  7 01:00:00 host app: x");
        assertEquals(tokyo(2024, 11, 7, 1, 0, 0), parser.timestampMicros());
    }

    @Test
    void withoutTimestampOrWithoutAnyHeader() {
        LogEntry tagOnly = parse(parser, "<13>myapp: hello");
        assertFields(tagOnly, Fields.PRIORITY, "5", Fields.SYSLOG_FACILITY, "1", Fields.SYSLOG_IDENTIFIER, "myapp",
                Fields.MESSAGE, "hello");
        assertEquals(SyslogParser.NO_TIMESTAMP, parser.timestampMicros());
        assertFields(parse(parser, "plain words: not syslog"), Fields.MESSAGE, "plain words: not syslog");
        assertFields(parse(parser, "<0>"), Fields.PRIORITY, "0", Fields.SYSLOG_FACILITY, "0", Fields.MESSAGE, "");
        assertFields(parse(parser, ""), Fields.MESSAGE, "");
        LogEntry badDate = parse(parser, "<13>Feb 30 10:00:00 host app: x");
        assertEquals(SyslogParser.NO_TIMESTAMP, parser.timestampMicros());
        assertEquals("Feb 30 10:00:00 host app: x", badDate.getString(Fields.MESSAGE)); // "Feb" is no tag
    }

    @Test
    void eightBitBytesInRfc3164AreKept() {
        byte[] latin1 = bytes("<13>Nov  5 09:07:03 host app: caf", new byte[] {(byte) 0xe9});
        LogEntry e = parse(parser, latin1);
        assertEquals(null, e.get(Fields.PARSE_ERROR));
        assertEquals("caf\ufffd", e.getString(Fields.MESSAGE));
    }

    // ---- malformed input: kept with _PARSE_ERROR ----------------------------------------------

    @Test
    void badPri() {
        assertFailed(parse(parser, "<192>1 - - - - - - x"), "<192>1 - - - - - - x", "syslog: invalid PRI");
        assertFailed(parse(parser, "<>x"), "<>x", "syslog: invalid PRI");
        assertFailed(parse(parser, "<1234>x"), "<1234>x", "syslog: invalid PRI");
        assertFailed(parse(parser, "<13"), "<13", "syslog: invalid PRI");
        assertFailed(parse(parser, "<a>x\r\n"), "<a>x", "syslog: invalid PRI");
    }

    @Test
    void truncatedOrInvalidStructuredData() {
        String[] bad = {
            "<13>1 - - - - - [a x=\"1\"",
            "<13>1 - - - - - [a x=\"1",
            "<13>1 - - - - - [a x=",
            "<13>1 - - - - - [a",
            "<13>1 - - - - - [",
        };
        for (String line : bad) {
            assertFailed(parse(parser, line), line, "syslog: structured data is truncated");
        }
        assertFailed(parse(parser, "<13>1 - - - - - [a x=1] m"), "<13>1 - - - - - [a x=1] m", "syslog: invalid structured data");
        assertFailed(parse(parser, "<13>1 - - - - - [] m"), "<13>1 - - - - - [] m", "syslog: invalid structured data");
        assertFailed(parse(parser, "<13>1 - - - - - [a]m"), "<13>1 - - - - - [a]m", "syslog: expected ' '");
        assertFailed(parse(parser, "<13>1 - - - - x"), "<13>1 - - - - x", "syslog: RFC 5424 header is truncated");
        assertFailed(parse(parser, "<13>1 - - - - -"), "<13>1 - - - - -", "syslog: RFC 5424 header is truncated");
        assertFailed(parse(parser, "<13>1 - h a p m x"), "<13>1 - h a p m x", "syslog: invalid RFC 5424 STRUCTURED-DATA");
        assertFailed(parse(parser, "<13>1 2024-13-01T00:00:00Z h a p m - x"), "<13>1 2024-13-01T00:00:00Z h a p m - x",
                "syslog: invalid RFC 5424 TIMESTAMP");
    }

    @Test
    void invalidUtf8WhereRfc5424RequiresUtf8() {
        byte[] msg = bytes("<13>1 - h a - - - ", BOM, "bad ", new byte[] {(byte) 0xc3, (byte) 0x28});
        LogEntry e = parse(parser, msg);
        assertEquals(Arrays.asList(Fields.MESSAGE, Fields.PARSE_ERROR), ParseTesting.names(e));
        assertTrue(e.getString(Fields.PARSE_ERROR).startsWith("syslog: MSG marked UTF-8 (BOM) is not valid UTF-8"));
        byte[] value = bytes("<13>1 - h a - - [a x=\"", new byte[] {(byte) 0xff}, "\"] m");
        assertTrue(parse(parser, value).getString(Fields.PARSE_ERROR).startsWith("syslog: structured data PARAM-VALUE is not valid UTF-8"));
        byte[] host = bytes("<13>1 - h", new byte[] {(byte) 0xe9}, " a - - - m");
        assertTrue(parse(parser, host).getString(Fields.PARSE_ERROR).startsWith("syslog: RFC 5424 HOSTNAME has an invalid byte"));
        // without a BOM the MSG may be any bytes (MSG-ANY)
        byte[] any = bytes("<13>1 - h a - - - ", new byte[] {(byte) 0xff});
        assertEquals(null, parse(parser, any).get(Fields.PARSE_ERROR));
    }

    @Test
    void rfc3339Forms() {
        byte[] t = "2003-10-11T22:14:15.003Z".getBytes(StandardCharsets.US_ASCII);
        assertEquals(micros("2003-10-11T22:14:15.003Z"), SyslogParser.rfc3339(t, 0, t.length));
        byte[] t2 = "2003-08-24T05:14:15.000003-07:00".getBytes(StandardCharsets.US_ASCII);
        assertEquals(micros("2003-08-24T12:14:15.000003Z"), SyslogParser.rfc3339(t2, 0, t2.length));
        byte[] t3 = "2024-02-29t00:00:00.123456789z".getBytes(StandardCharsets.US_ASCII);
        assertEquals(micros("2024-02-29T00:00:00.123456Z"), SyslogParser.rfc3339(t3, 0, t3.length));
        for (String bad : new String[] {"2023-02-29T00:00:00Z", "2003-10-11T22:14:15", "2003-10-11 22:14:15Z",
            "2003-10-11T24:00:00Z", "2003-10-11T22:14:15.Z", "2003-10-11T22:14:15+0700"}) {
            byte[] b = bad.getBytes(StandardCharsets.US_ASCII);
            assertEquals(SyslogParser.NO_TIMESTAMP, SyslogParser.rfc3339(b, 0, b.length), bad);
        }
    }

    /** The parser contract under random input: never throw, never drop, failures keep only MESSAGE + reason. */
    @Test
    void neverThrowsAndNeverDrops() {
        String[] samples = {
            "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 1234 ID47 [exampleSDID@32473 iut=\"3\" path=\"C:\\\\tmp\"] msg",
            "<30>Nov  5 09:07:03 sshd[812]: Accepted publickey",
            "<30>2024-11-05T09:07:03.123456+09:00 host app[1]: msg",
            "Nov  5 2024 09:07:03.5 host CRON: x",
        };
        byte[] special = "<>[]=\" \\-:0123456789T.Z+\r\n\0".getBytes(StandardCharsets.US_ASCII);
        SplittableRandom random = new SplittableRandom(5424);
        SyslogParser p = new SyslogParser(random.nextBoolean(), TOKYO, NOW);
        for (int round = 0; round < 20_000; round++) {
            byte[] line = samples[random.nextInt(samples.length)].getBytes(StandardCharsets.UTF_8);
            if (random.nextInt(10) == 0) {
                line = new byte[random.nextInt(64)];
                for (int i = 0; i < line.length; i++) {
                    line[i] = (byte) random.nextInt(256);
                }
            }
            for (int edits = random.nextInt(4); edits > 0 && line.length > 0; edits--) {
                int at = random.nextInt(line.length);
                switch (random.nextInt(3)) {
                    case 0 -> line[at] = special[random.nextInt(special.length)];
                    case 1 -> line[at] = (byte) random.nextInt(256);
                    default -> line = Arrays.copyOf(line, at);
                }
            }
            byte[] buf = new byte[line.length + 8];
            System.arraycopy(line, 0, buf, 4, line.length);
            LogEntry entry = new LogEntry().backing(buf);
            try {
                p.parse(buf, 4, line.length, entry);
            } catch (RuntimeException e) {
                fail("threw on " + Arrays.toString(line), e);
            }
            assertTrue(entry.has(Fields.MESSAGE), () -> "no MESSAGE for " + Arrays.toString(entry.backing()));
            if (entry.has(Fields.PARSE_ERROR)) {
                assertEquals(2, entry.size());
            }
            for (int i = 0; i < entry.size(); i++) {
                entry.value(i);
            }
        }
    }
}
