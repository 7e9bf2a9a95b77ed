package io.hakobu.core.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Helpers shared by the parser tests. */
final class ParseTesting {
    /** Bytes placed around every line, so that a parser ignoring {@code off}/{@code len} is caught. */
    private static final byte[] GUARD = "x:\"\t=\\".getBytes(StandardCharsets.US_ASCII);

    private ParseTesting() {
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Parses {@code line}, placed in the middle of a larger array. */
    static LogEntry parse(Parser parser, String line) {
        return parse(parser, utf8(line));
    }

    static LogEntry parse(Parser parser, byte[] line) {
        byte[] buf = new byte[GUARD.length + line.length + GUARD.length];
        System.arraycopy(GUARD, 0, buf, 0, GUARD.length);
        System.arraycopy(line, 0, buf, GUARD.length, line.length);
        System.arraycopy(GUARD, 0, buf, GUARD.length + line.length, GUARD.length);
        LogEntry entry = new LogEntry().backing(buf);
        parser.parse(buf, GUARD.length, line.length, entry);
        return entry;
    }

    /** The field names of {@code entry}, in order. */
    static List<String> names(LogEntry entry) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < entry.size(); i++) {
            names.add(entry.name(i));
        }
        return names;
    }

    /** Asserts the contract for a line that does not parse; returns the reason. */
    static String assertFailed(LogEntry entry, String expectedMessage) {
        assertEquals(List.of(Fields.MESSAGE, Fields.PARSE_ERROR), names(entry), () -> entry.toString());
        assertEquals(expectedMessage, entry.getString(Fields.MESSAGE));
        String reason = entry.getString(Fields.PARSE_ERROR);
        assertNotNull(reason);
        assertTrue(!reason.isEmpty() && reason.length() < 200, reason);
        return reason;
    }

    /** Asserts a failed line whose reason starts with {@code reasonPrefix}. */
    static void assertFailed(LogEntry entry, String expectedMessage, String reasonPrefix) {
        String reason = assertFailed(entry, expectedMessage);
        assertTrue(reason.startsWith(reasonPrefix), () -> "reason '" + reason + "' should start with '" + reasonPrefix + "'");
    }

    static void assertFields(LogEntry entry, Object... namesAndValues) {
        List<Object> actual = new ArrayList<>();
        for (int i = 0; i < entry.size(); i++) {
            actual.add(entry.name(i));
            actual.add(entry.value(i));
        }
        assertEquals(Arrays.asList(namesAndValues), actual);
    }
}
