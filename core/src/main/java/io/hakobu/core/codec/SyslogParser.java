package io.hakobu.core.codec;

import io.hakobu.core.event.FieldNames;
import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.Arrays;

/**
 * The {@code syslog} format: one syslog message, RFC 5424 or RFC 3164 (BSD) with its common
 * real-world variants, detected per message.
 *
 * <p>Detection: after an optional {@code <PRI>}, a version digit and a space followed by a
 * timestamp or {@code -} make an RFC 5424 message (from then on it must follow RFC 5424); anything
 * else is read as RFC 3164. Fields (journald names where journald has them):
 * <ul>
 *   <li>{@code PRIORITY} (severity, {@code "0"}–{@code "7"}) and {@code SYSLOG_FACILITY}
 *       ({@code "0"}–{@code "23"}), as text like journald's; absent when the message has no PRI
 *       (files written by rsyslog usually have none);</li>
 *   <li>{@code SYSLOG_TIMESTAMP}: the timestamp as written; the time it denotes is
 *       {@link #timestampMicros()} (sources make it {@code __REALTIME_TIMESTAMP});</li>
 *   <li>{@code _HOSTNAME}: the message's HOSTNAME (relayed syslog), when it has one;</li>
 *   <li>{@code SYSLOG_IDENTIFIER} (TAG or APP-NAME), {@code SYSLOG_PID} (the {@code [pid]} or
 *       PROCID), {@code SYSLOG_MSGID} (RFC 5424 MSGID);</li>
 *   <li>RFC 5424 structured data: one field per parameter, named
 *       {@code SD_<SD-ID>_<PARAM-NAME>} with both names as written (e.g.
 *       {@code SD_exampleSDID@32473_iut}), the value unescaped ({@code \" \\ \]}). A parameter
 *       repeated within an element is kept each time (RFC 5424 allows it); an element without
 *       parameters becomes {@code SD_<SD-ID>} = {@code ""};</li>
 *   <li>{@code MESSAGE}: the text (RFC 5424: without its UTF-8 BOM), {@code ""} when there is none;</li>
 *   <li>with {@code keepRaw} ({@code keep_message: true}), {@code SYSLOG_RAW}: the whole message
 *       as received, like journald's field.</li>
 * </ul>
 * A field given as {@code -} (RFC 5424 NILVALUE) is left out.
 *
 * <p>RFC 3164 variants read: no HOSTNAME ({@code /dev/log} style, recognised because the word
 * after the timestamp ends with {@code :} or holds a {@code [}), RFC 3339 timestamps instead of the
 * BSD date (rsyslog's high-precision formats), a fraction of a second ({@code Nov 05 09:07:03.123}),
 * a year before the time ({@code Nov  5 2024 09:07:03}), a day written {@code " 5"}, {@code "05"}
 * or {@code "5"}, {@code tag[pid]:}, {@code tag:}, {@code tag[pid]} without colon, no tag at all
 * (then {@code MESSAGE} is everything after the header), and no PRI. A BSD date has neither year
 * nor zone: it is read in this parser's time zone (by default the process's, {@code TZ}), in the
 * current year, or the previous one if that would put it more than a day in the future.
 * Trailing LF, CR and NUL bytes are removed.
 *
 * <p>Kept with {@code _PARSE_ERROR} (and only {@code MESSAGE} = the whole message, as every
 * parser does): a PRI that is not {@code <0>}–{@code <191>}; an RFC 5424 message with a bad or
 * truncated header, invalid or truncated structured data, a parameter value that is not UTF-8, or
 * a BOM-marked MSG that is not UTF-8 (RFC 5424 requires UTF-8 there). Other bytes are not checked
 * (RFC 3164 has no encoding; slices decode with replacement characters).
 *
 * <p>Zero-copy: every value except an unescaped parameter value is a slice of the line; field
 * names and the PRIORITY/FACILITY values are shared strings. Not thread-safe.
 */
public final class SyslogParser implements Parser {

    public static final String SYSLOG_TIMESTAMP = "SYSLOG_TIMESTAMP";
    public static final String SYSLOG_MSGID = "SYSLOG_MSGID";
    public static final String SYSLOG_RAW = "SYSLOG_RAW";
    /** Prefix of the structured-data field names. */
    public static final String SD_PREFIX = "SD_";
    /** {@link #timestampMicros()} when the last message had no (valid) timestamp. */
    public static final long NO_TIMESTAMP = Long.MIN_VALUE;

    private static final String[] NUMBERS = new String[24];
    private static final byte[] MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final long DAY_MICROS = 86_400_000_000L;

    static {
        for (int i = 0; i < NUMBERS.length; i++) {
            NUMBERS[i] = Integer.toString(i).intern();
        }
    }

    private final boolean keepRaw;
    private final ZoneId zone;
    private final Clock clock;
    private final FieldNames names = new FieldNames();

    // fields of the message being parsed: added to the entry only once it parsed
    private String[] pNames = new String[16];
    private Object[] pValues = new Object[16];
    private long[] pSlices = new long[16];
    private int pSize;
    private byte[] nameScratch = new byte[64];

    private long timestampMicros = NO_TIMESTAMP;
    private String error;

    // BSD dates: local (year, month, day, hour) -> epoch second, one entry
    private long hourKey = -1;
    private long hourEpochSecond;
    // the current year in the zone, valid while the clock is below yearEndMillis
    private int currentYear;
    private long yearStartMillis = Long.MAX_VALUE;
    private long yearEndMillis = Long.MIN_VALUE;

    /** A parser reading BSD dates in the process's time zone. */
    public SyslogParser(boolean keepRaw) {
        this(keepRaw, ZoneId.systemDefault(), Clock.systemUTC());
    }

    /**
     * @param keepRaw also keep the whole message as {@code SYSLOG_RAW}
     * @param zone the time zone of BSD (RFC 3164) dates, which carry none
     * @param clock "now", for the year of BSD dates
     */
    public SyslogParser(boolean keepRaw, ZoneId zone, Clock clock) {
        this.keepRaw = keepRaw;
        this.zone = zone;
        this.clock = clock;
    }

    /**
     * The time of the last message parsed, in microseconds since the epoch, or
     * {@link #NO_TIMESTAMP} when it had no timestamp (RFC 5424 {@code -}, none at all, or a failed
     * parse).
     */
    public long timestampMicros() {
        return timestampMicros;
    }

    @Override
    public void parse(byte[] line, int off, int len, LogEntry entry) {
        int end = off + len;
        while (end > off && (line[end - 1] == '\n' || line[end - 1] == '\r' || line[end - 1] == 0)) {
            end--;
        }
        pSize = 0;
        error = null;
        timestampMicros = NO_TIMESTAMP;
        if (!parseMessage(line, off, end)) {
            clearPending();
            timestampMicros = NO_TIMESTAMP;
            Parsers.fail(entry, off, end, error);
            return;
        }
        for (int i = 0; i < pSize; i++) {
            Object v = pValues[i];
            if (v == null) {
                long s = pSlices[i];
                entry.addSlice(pNames[i], (int) (s >>> 32), (int) s);
            } else {
                entry.add(pNames[i], v);
            }
        }
        if (keepRaw) {
            entry.addSlice(SYSLOG_RAW, off, end - off);
        }
        clearPending();
    }

    private boolean parseMessage(byte[] b, int off, int end) {
        int p = off;
        if (p < end && b[p] == '<') {
            int q = p + 1;
            int v = 0;
            while (q < end && isDigit(b[q]) && q - p <= 3) {
                v = v * 10 + (b[q] - '0');
                q++;
            }
            if (q == p + 1 || q - p > 4 || q >= end || b[q] != '>' || v > 191) {
                return fail("syslog: invalid PRI (expected <0> to <191>)");
            }
            pendString(Fields.PRIORITY, NUMBERS[v & 7]);
            pendString(Fields.SYSLOG_FACILITY, NUMBERS[v >> 3]);
            p = q + 1;
        }
        if (p < end && b[p] >= '1' && b[p] <= '9') {
            int q = p + 1;
            while (q < end && q - p < 3 && isDigit(b[q])) {
                q++;
            }
            if (q + 1 < end && b[q] == ' '
                    && (b[q + 1] == '-' ? q + 2 == end || b[q + 2] == ' ' : looksLikeRfc3339(b, q + 1, end))) {
                return parse5424(b, q + 1, end);
            }
        }
        parse3164(b, p, end);
        return true;
    }

    // ---- RFC 5424 --------------------------------------------------------------------------------

    private boolean parse5424(byte[] b, int p, int end) {
        int e = token(b, p, end);
        if (e < 0) {
            return fail("syslog: RFC 5424 TIMESTAMP is truncated");
        }
        if (!isNil(b, p, e)) {
            long t = rfc3339(b, p, e);
            if (t == NO_TIMESTAMP) {
                return fail("syslog: invalid RFC 5424 TIMESTAMP");
            }
            timestampMicros = t;
            pendSlice(SYSLOG_TIMESTAMP, p, e);
        }
        p = e + 1;
        if ((p = headerField(b, p, end, Fields.HOSTNAME, "HOSTNAME")) < 0
                || (p = headerField(b, p, end, Fields.SYSLOG_IDENTIFIER, "APP-NAME")) < 0
                || (p = headerField(b, p, end, Fields.SYSLOG_PID, "PROCID")) < 0
                || (p = headerField(b, p, end, SYSLOG_MSGID, "MSGID")) < 0) {
            return false;
        }
        if (p >= end) {
            return fail("syslog: RFC 5424 STRUCTURED-DATA is missing");
        }
        if (b[p] == '-') {
            p++;
        } else if (b[p] == '[') {
            p = structuredData(b, p, end);
            if (p < 0) {
                return false;
            }
        } else {
            return fail("syslog: invalid RFC 5424 STRUCTURED-DATA (expected '-' or '[', got " + Parsers.describe(b[p]) + ")");
        }
        if (p < end) {
            if (b[p] != ' ') {
                return fail("syslog: expected ' ' after STRUCTURED-DATA, got " + Parsers.describe(b[p]));
            }
            p++;
        }
        if (end - p >= 3 && b[p] == (byte) 0xef && b[p + 1] == (byte) 0xbb && b[p + 2] == (byte) 0xbf) {
            p += 3;
            int bad = invalidUtf8(b, p, end);
            if (bad >= 0) {
                return fail("syslog: MSG marked UTF-8 (BOM) is not valid UTF-8 at byte " + (bad - p));
            }
        }
        pendSlice(Fields.MESSAGE, p, end);
        return true;
    }

    /**
     * Reads one header field ended by a space: {@code -} or printable US-ASCII. Returns the index
     * after the space, or -1 (error set).
     */
    private int headerField(byte[] b, int p, int end, String name, String what) {
        int e = token(b, p, end);
        if (e < 0) {
            fail("syslog: RFC 5424 header is truncated at " + what);
            return -1;
        }
        if (e == p) {
            fail("syslog: RFC 5424 " + what + " is empty");
            return -1;
        }
        for (int i = p; i < e; i++) {
            if (b[i] < 33 || b[i] > 126) { // signed: bytes >= 0x80 are negative
                fail("syslog: RFC 5424 " + what + " has an invalid byte " + Parsers.describe(b[i]));
                return -1;
            }
        }
        if (!isNil(b, p, e)) {
            pendSlice(name, p, e);
        }
        return e + 1;
    }

    /** The index of the space ending the token at {@code p}, or -1 when the message ends first. */
    private static int token(byte[] b, int p, int end) {
        for (int i = p; i < end; i++) {
            if (b[i] == ' ') {
                return i;
            }
        }
        return -1;
    }

    private static boolean isNil(byte[] b, int p, int e) {
        return e == p + 1 && b[p] == '-';
    }

    /** Parses SD-ELEMENTs from {@code b[p] == '['}; returns the index after the last one or -1. */
    private int structuredData(byte[] b, int p, int end) {
        while (p < end && b[p] == '[') {
            int idStart = ++p;
            while (p < end && isSdName(b[p])) {
                p++;
            }
            int idEnd = p;
            if (idEnd == idStart) {
                return sdError(b, p, end, "an empty SD-ID");
            }
            boolean params = false;
            while (p < end && b[p] == ' ') {
                int nameStart = ++p;
                while (p < end && isSdName(b[p])) {
                    p++;
                }
                int nameEnd = p;
                if (nameEnd == nameStart) {
                    return sdError(b, p, end, "an empty PARAM-NAME");
                }
                if (p + 1 >= end) {
                    return sdError(b, p, end, null);
                }
                if (b[p] != '=' || b[p + 1] != '"') {
                    return sdError(b, p, end, "no '=\"' after PARAM-NAME");
                }
                p += 2;
                int valueStart = p;
                boolean escaped = false;
                boolean ascii = true;
                while (p < end && b[p] != '"') {
                    if (b[p] == '\\' && p + 1 < end) {
                        escaped = true;
                        p++;
                    }
                    ascii &= b[p] >= 0;
                    p++;
                }
                if (p >= end) {
                    return sdError(b, p, end, null);
                }
                int valueEnd = p++;
                if (!ascii && invalidUtf8(b, valueStart, valueEnd) >= 0) {
                    fail("syslog: structured data PARAM-VALUE is not valid UTF-8");
                    return -1;
                }
                String name = sdName(b, idStart, idEnd, nameStart, nameEnd);
                if (escaped) {
                    pendString(name, unescape(b, valueStart, valueEnd));
                } else {
                    pendSlice(name, valueStart, valueEnd);
                }
                params = true;
            }
            if (p >= end) {
                return sdError(b, p, end, null);
            }
            if (b[p] != ']') {
                return sdError(b, p, end, "byte " + Parsers.describe(b[p]) + " where ' ' or ']' was expected");
            }
            p++;
            if (!params) {
                pendString(sdName(b, idStart, idEnd, 0, 0), "");
            }
        }
        return p;
    }

    private int sdError(byte[] b, int p, int end, String what) {
        fail(p >= end || what == null ? "syslog: structured data is truncated" : "syslog: invalid structured data: " + what);
        return -1;
    }

    /** {@code SD_<id>} or {@code SD_<id>_<param>}, interned. */
    private String sdName(byte[] b, int idStart, int idEnd, int nameStart, int nameEnd) {
        int n = 3 + (idEnd - idStart) + (nameEnd > nameStart ? 1 + nameEnd - nameStart : 0);
        if (nameScratch.length < n) {
            nameScratch = new byte[Math.max(n, nameScratch.length * 2)];
        }
        byte[] s = nameScratch;
        s[0] = 'S';
        s[1] = 'D';
        s[2] = '_';
        System.arraycopy(b, idStart, s, 3, idEnd - idStart);
        int k = 3 + idEnd - idStart;
        if (nameEnd > nameStart) {
            s[k++] = '_';
            System.arraycopy(b, nameStart, s, k, nameEnd - nameStart);
            k += nameEnd - nameStart;
        }
        return names.intern(s, 0, k);
    }

    /** PARAM-VALUE escapes: {@code \" \\ \]}; a backslash before anything else stays as written. */
    private static String unescape(byte[] b, int start, int end) {
        byte[] out = new byte[end - start];
        int n = 0;
        for (int i = start; i < end; i++) {
            byte c = b[i];
            if (c == '\\' && i + 1 < end && (b[i + 1] == '"' || b[i + 1] == '\\' || b[i + 1] == ']')) {
                c = b[++i];
            }
            out[n++] = c;
        }
        return new String(out, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** SD-NAME: printable US-ASCII except {@code = ] "} and space. */
    private static boolean isSdName(byte c) {
        return c > 32 && c < 127 && c != '=' && c != ']' && c != '"';
    }

    /** The index of the first ill-formed UTF-8 byte in {@code b[p, end)}, or -1. */
    static int invalidUtf8(byte[] b, int p, int end) {
        int i = p;
        while (i < end) {
            if (b[i] >= 0) {
                i++;
                continue;
            }
            int n = JsonWriter.utf8Sequence(b, i, end);
            if (n == 0) {
                return i;
            }
            i += n;
        }
        return -1;
    }

    // ---- RFC 3164 and variants -----------------------------------------------------------------

    private void parse3164(byte[] b, int p, int end) {
        boolean hasPri = pSize > 0;
        int tsStart = p;
        int e = bsdTimestamp(b, p, end);
        if (e < 0) {
            int t = p;
            while (t < end && b[t] != ' ') {
                t++;
            }
            if (looksLikeRfc3339(b, p, t)) {
                long micros = rfc3339(b, p, t);
                if (micros != NO_TIMESTAMP) {
                    timestampMicros = micros;
                    e = t;
                }
            }
        }
        if (e >= 0) {
            pendSlice(SYSLOG_TIMESTAMP, tsStart, e);
            p = e;
            while (p < end && b[p] == ' ') {
                p++;
            }
            // HOSTNAME, unless the next word is already the tag (local /dev/log messages have none)
            int w = p;
            boolean hostChars = true;
            while (w < end && b[w] != ' ') {
                byte c = b[w];
                hostChars &= isDigit(c) || (c | 0x20) >= 'a' && (c | 0x20) <= 'z' || c == '.' || c == '-' || c == '_' || c == ':';
                w++;
            }
            if (w < end && w > p && hostChars && b[w - 1] != ':') {
                pendSlice(Fields.HOSTNAME, p, w);
                p = w + 1;
            }
        } else if (!hasPri) {
            // neither PRI nor timestamp: not a syslog header at all, the line is the message
            pendSlice(Fields.MESSAGE, p, end);
            return;
        }
        p = tag(b, p, end);
        pendSlice(Fields.MESSAGE, p, end);
    }

    /**
     * Reads {@code TAG[PID]: }, {@code TAG: } or {@code TAG[PID] } at {@code p}; returns where the
     * message starts ({@code p} when there is no tag).
     */
    private int tag(byte[] b, int p, int end) {
        int limit = Math.min(end, p + 128);
        int i = p;
        while (i < limit && b[i] != '[' && b[i] != ':' && b[i] != ' ' && b[i] != '\t') {
            i++;
        }
        if (i == p || i >= limit) {
            return p;
        }
        if (b[i] == ':') {
            pendSlice(Fields.SYSLOG_IDENTIFIER, p, i);
            return skipSpace(b, i + 1, end);
        }
        if (b[i] != '[') {
            return p;
        }
        int pidStart = i + 1;
        int j = pidStart;
        while (j < end && j - pidStart < 32 && b[j] != ']' && b[j] != ' ') {
            j++;
        }
        if (j >= end || b[j] != ']' || j == pidStart) {
            return p;
        }
        int after = j + 1;
        if (after < end && b[after] == ':') {
            after++;
        } else if (after < end && b[after] != ' ') {
            return p;
        }
        pendSlice(Fields.SYSLOG_IDENTIFIER, p, i);
        pendSlice(Fields.SYSLOG_PID, pidStart, j);
        return skipSpace(b, after, end);
    }

    private static int skipSpace(byte[] b, int p, int end) {
        return p < end && b[p] == ' ' ? p + 1 : p;
    }

    /**
     * Reads a BSD date at {@code p}: {@code Mmm dd hh:mm:ss}, the day as {@code " 5"}, {@code "05"}
     * or {@code "5"}, an optional year before the time and an optional fraction after it. Sets
     * {@link #timestampMicros}; returns its end (followed by a space or the end), or -1.
     */
    private int bsdTimestamp(byte[] b, int p, int end) {
        if (end - p < 14) {
            return -1;
        }
        int month = -1;
        for (int m = 0; m < 12; m++) {
            if (b[p] == MONTHS[3 * m] && b[p + 1] == MONTHS[3 * m + 1] && b[p + 2] == MONTHS[3 * m + 2]) {
                month = m + 1;
                break;
            }
        }
        if (month < 0 || b[p + 3] != ' ') {
            return -1;
        }
        int i = p + 4;
        if (b[i] == ' ') {
            i++;
        }
        int day = 0;
        int d0 = i;
        while (i < end && i - d0 < 2 && isDigit(b[i])) {
            day = day * 10 + b[i++] - '0';
        }
        if (i == d0 || i >= end || b[i] != ' ') {
            return -1;
        }
        i++;
        int year = -1;
        if (end - i >= 5 && isDigit(b[i]) && isDigit(b[i + 1]) && isDigit(b[i + 2]) && isDigit(b[i + 3]) && b[i + 4] == ' ') {
            year = num(b, i, 4);
            i += 5;
        }
        if (end - i < 8 || !isDigit(b[i]) || !isDigit(b[i + 1]) || b[i + 2] != ':' || !isDigit(b[i + 3])
                || !isDigit(b[i + 4]) || b[i + 5] != ':' || !isDigit(b[i + 6]) || !isDigit(b[i + 7])) {
            return -1;
        }
        int hour = num(b, i, 2);
        int minute = num(b, i + 3, 2);
        int second = Math.min(num(b, i + 6, 2), 59); // a leap second counts as :59
        i += 8;
        long micros = 0;
        if (i < end && b[i] == '.') {
            int f = ++i;
            micros = fraction(b, f, end);
            while (i < end && isDigit(b[i])) {
                i++;
            }
            if (i == f) {
                return -1;
            }
        }
        if (i < end && b[i] != ' ') {
            return -1;
        }
        if (day < 1 || day > 31 || hour > 23 || minute > 59) {
            return -1;
        }
        long nowMillis = clock.millis();
        boolean guessed = year < 0;
        if (guessed) {
            year = currentYear(nowMillis);
        }
        long t = localMicros(year, month, day, hour, minute, second, micros);
        if (guessed && t != NO_TIMESTAMP && t > nowMillis * 1000L + DAY_MICROS) {
            t = localMicros(year - 1, month, day, hour, minute, second, micros);
        }
        if (t == NO_TIMESTAMP) {
            return -1;
        }
        timestampMicros = t;
        return i;
    }

    private int currentYear(long nowMillis) {
        if (nowMillis < yearStartMillis || nowMillis >= yearEndMillis) {
            int y = java.time.Instant.ofEpochMilli(nowMillis).atZone(zone).getYear();
            currentYear = y;
            yearStartMillis = LocalDateTime.of(y, 1, 1, 0, 0).atZone(zone).toInstant().toEpochMilli();
            yearEndMillis = LocalDateTime.of(y + 1, 1, 1, 0, 0).atZone(zone).toInstant().toEpochMilli();
        }
        return currentYear;
    }

    /** Local date and time in {@link #zone} to epoch microseconds; NO_TIMESTAMP for a date that does not exist. */
    private long localMicros(int year, int month, int day, int hour, int minute, int second, long micros) {
        long key = (((long) year * 13 + month) * 32 + day) * 24 + hour;
        if (key != hourKey) {
            try {
                hourEpochSecond = LocalDateTime.of(year, month, day, hour, 0).atZone(zone).toEpochSecond();
            } catch (DateTimeException e) {
                return NO_TIMESTAMP;
            }
            hourKey = key;
        }
        return (hourEpochSecond + minute * 60L + second) * 1_000_000L + micros;
    }

    // ---- RFC 3339 ----------------------------------------------------------------------------------

    /** {@code yyyy-mm-ddT} at {@code p} (enough to tell a timestamp from a word). */
    private static boolean looksLikeRfc3339(byte[] b, int p, int end) {
        return end - p >= 11 && isDigit(b[p]) && isDigit(b[p + 1]) && isDigit(b[p + 2]) && isDigit(b[p + 3])
                && b[p + 4] == '-' && isDigit(b[p + 5]) && isDigit(b[p + 6]) && b[p + 7] == '-';
    }

    /**
     * {@code b[p, e)} as an RFC 3339 date-time ({@code 2003-10-11T22:14:15.003Z},
     * {@code 2024-11-05T09:07:03.123456+09:00}; {@code t}/{@code z} accepted, any number of
     * fraction digits, kept to the microsecond) in epoch microseconds, or NO_TIMESTAMP.
     */
    static long rfc3339(byte[] b, int p, int e) {
        if (e - p < 20 || !looksLikeRfc3339(b, p, e) || (b[p + 10] != 'T' && b[p + 10] != 't')
                || !digits(b, p + 8, 2) || !digits(b, p + 11, 2) || b[p + 13] != ':' || !digits(b, p + 14, 2)
                || b[p + 16] != ':' || !digits(b, p + 17, 2)) {
            return NO_TIMESTAMP;
        }
        int year = num(b, p, 4);
        int month = num(b, p + 5, 2);
        int day = num(b, p + 8, 2);
        int hour = num(b, p + 11, 2);
        int minute = num(b, p + 14, 2);
        int second = Math.min(num(b, p + 17, 2), 59);
        if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59
                || num(b, p + 17, 2) > 60) {
            return NO_TIMESTAMP;
        }
        int i = p + 19;
        long micros = 0;
        if (i < e && b[i] == '.') {
            int f = ++i;
            micros = fraction(b, f, e);
            while (i < e && isDigit(b[i])) {
                i++;
            }
            if (i == f) {
                return NO_TIMESTAMP;
            }
        }
        long offsetSeconds;
        if (i + 1 == e && (b[i] == 'Z' || b[i] == 'z')) {
            offsetSeconds = 0;
        } else if (i + 6 == e && (b[i] == '+' || b[i] == '-') && digits(b, i + 1, 2) && b[i + 3] == ':' && digits(b, i + 4, 2)) {
            int oh = num(b, i + 1, 2);
            int om = num(b, i + 4, 2);
            if (oh > 23 || om > 59) {
                return NO_TIMESTAMP;
            }
            offsetSeconds = (oh * 3600L + om * 60L) * (b[i] == '-' ? -1 : 1);
        } else {
            return NO_TIMESTAMP;
        }
        long seconds = daysFromCivil(year, month, day) * 86_400L + hour * 3600L + minute * 60L + second - offsetSeconds;
        return seconds * 1_000_000L + micros;
    }

    /** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
    private static long daysFromCivil(int y, int m, int d) {
        y -= m <= 2 ? 1 : 0;
        long era = (y >= 0 ? y : y - 399) / 400;
        long yoe = y - era * 400;
        long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146_097 + doe - 719_468;
    }

    private static int daysInMonth(int y, int m) {
        if (m == 2) {
            return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28;
        }
        return m == 4 || m == 6 || m == 9 || m == 11 ? 30 : 31;
    }

    /** The fraction digits at {@code f} as microseconds (first six digits, zero-padded). */
    private static long fraction(byte[] b, int f, int end) {
        long micros = 0;
        int n = 0;
        for (int i = f; i < end && isDigit(b[i]) && n < 6; i++, n++) {
            micros = micros * 10 + (b[i] - '0');
        }
        for (; n < 6; n++) {
            micros *= 10;
        }
        return micros;
    }

    private static boolean digits(byte[] b, int p, int n) {
        for (int i = 0; i < n; i++) {
            if (!isDigit(b[p + i])) {
                return false;
            }
        }
        return true;
    }

    private static int num(byte[] b, int p, int n) {
        int v = 0;
        for (int i = 0; i < n; i++) {
            v = v * 10 + b[p + i] - '0';
        }
        return v;
    }

    private static boolean isDigit(byte c) {
        return c >= '0' && c <= '9';
    }

    // ---- pending fields ----------------------------------------------------------------------------

    private boolean fail(String reason) {
        if (error == null) {
            error = reason;
        }
        return false;
    }

    private void pendSlice(String name, int start, int end) {
        int i = pendSlot(name);
        pValues[i] = null;
        pSlices[i] = ((long) start << 32) | ((end - start) & 0xffffffffL);
    }

    private void pendString(String name, String value) {
        int i = pendSlot(name);
        pValues[i] = value;
    }

    private int pendSlot(String name) {
        if (pSize == pNames.length) {
            int cap = pSize * 2;
            pNames = Arrays.copyOf(pNames, cap);
            pValues = Arrays.copyOf(pValues, cap);
            pSlices = Arrays.copyOf(pSlices, cap);
        }
        pNames[pSize] = name;
        return pSize++;
    }

    private void clearPending() {
        if (pNames.length > 256) {
            pNames = new String[16];
            pValues = new Object[16];
            pSlices = new long[16];
        } else {
            Arrays.fill(pValues, 0, pSize, null);
        }
        pSize = 0;
    }
}
