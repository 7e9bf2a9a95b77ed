package io.hakobu.sinks.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PathTemplateTest {
    private static String render(String template, LogEntry e) {
        return PathTemplate.parse(template).renderer().render(e);
    }

    private static LogEntry host(Object value) {
        return new LogEntry().add(Fields.HOSTNAME, value).add(Fields.SOURCE, "nginx");
    }

    @Test
    void rendersEntryFields() {
        assertEquals("/var/log/remote/web-01/nginx.log",
                render("/var/log/remote/{_HOSTNAME}/{_SOURCE}.log", host("web-01")));
    }

    @Test
    void rendersSliceAndNonStringValues() {
        byte[] line = "host:web-02".getBytes(StandardCharsets.US_ASCII);
        LogEntry e = new LogEntry().backing(line).addSlice("host", 5, 6).add("code", 200L).add("bin", new byte[] {'x'});
        assertEquals("/l/web-02-200-x", render("/l/{host}-{code}-{bin}", e));
    }

    @Test
    void missingAndEmptyFieldsRenderAsUnderscore() {
        assertEquals("/l/_/nginx.log", render("/l/{_HOSTNAME}/{_SOURCE}.log", new LogEntry().add(Fields.SOURCE, "nginx")));
        assertEquals("/l/_/nginx.log", render("/l/{_HOSTNAME}/{_SOURCE}.log", host("")));
        assertEquals("/l/_/nginx.log", render("/l/{_HOSTNAME}/{_SOURCE}.log", host(null)));
    }

    @Test
    void valuesCannotEscapeTheDirectory() {
        assertEquals("/l/.._.._etc_passwd/nginx.log", render("/l/{_HOSTNAME}/{_SOURCE}.log", host("../../etc/passwd")));
        assertEquals("/l/__/nginx.log", render("/l/{_HOSTNAME}/{_SOURCE}.log", host("..")));
        assertEquals("/l/_/nginx.log", render("/l/{_HOSTNAME}/{_SOURCE}.log", host(".")));
        assertEquals("/l/a_b_c_d_e/x", render("/l/{_HOSTNAME}/x", host("a\\b\u0000c\nd\u007fe")));
        // placeholders that only together make a dot segment
        LogEntry dots = new LogEntry().add("a", ".").add("b", ".");
        assertEquals("/l/__/x", render("/l/{a}{b}/x", dots));
        assertEquals("/l/__/x", render("/l/{a}./x", dots));
        assertEquals("/l/__", render("/l/{a}{b}", dots));
        // a dot segment of the operator's own is theirs; names with dots are fine
        assertEquals("/l/.hidden/.._x", render("/l/.hidden/..{b}x", new LogEntry()));
        assertEquals("/l/../x", render("/l/../x", dots));
        assertEquals("/l/...", render("/l/{a}{b}{a}", dots));
        for (String evil : List.of("..", "../..", "/", "/etc", "a/../../b", "\u0000", "..\u0000")) {
            Path p = Path.of(render("/base/{_HOSTNAME}/f.log", host(evil))).normalize();
            assertTrue(p.startsWith("/base/") && p.getNameCount() == 3, evil + " -> " + p);
        }
    }

    @Test
    void longValuesAreCut() {
        String rendered = render("/l/{_HOSTNAME}", host("x".repeat(1000)));
        assertEquals("/l/" + "x".repeat(PathTemplate.MAX_VALUE_CHARS), rendered);
        String emoji = "a".repeat(PathTemplate.MAX_VALUE_CHARS - 1) + "😀";
        String cut = render("/l/{_HOSTNAME}", host(emoji));
        assertEquals("/l/" + "a".repeat(PathTemplate.MAX_VALUE_CHARS - 1), cut, "no half surrogate pair");
    }

    @Test
    void dateAndHourComeFromTheRealtimeTimestampInUtc() {
        long micros = Instant.parse("2023-11-14T22:13:20.123456Z").toEpochMilli() * 1000 + 456;
        LogEntry e = new LogEntry().add(Fields.REALTIME_TIMESTAMP, micros).add(Fields.HOSTNAME, "web-01");
        PathTemplate t = PathTemplate.parse("/a/dt={date}/hour={hour}/host={_HOSTNAME}/x.ndjson");
        PathTemplate.Renderer r = t.renderer();
        assertEquals("/a/dt=2023-11-14/hour=22/host=web-01/x.ndjson", r.render(e));
        long early = Instant.parse("2023-11-15T03:00:00Z").toEpochMilli() * 1000;
        assertEquals("/a/dt=2023-11-15/hour=03/host=web-01/x.ndjson",
                r.render(new LogEntry().add(Fields.REALTIME_TIMESTAMP, early).add(Fields.HOSTNAME, "web-01")));
        assertEquals("/a/dt=2023-11-15/hour=03/host=_/x.ndjson",
                r.render(new LogEntry().add(Fields.REALTIME_TIMESTAMP, Long.toString(early))));
        assertEquals("/a/dt=_/hour=_/host=_/x.ndjson", r.render(new LogEntry()));
        assertEquals("/a/dt=_/hour=_/host=_/x.ndjson", r.render(new LogEntry().add(Fields.REALTIME_TIMESTAMP, "soon")));
        assertEquals("/a/dt=1969-12-31/hour=23/host=_/x.ndjson", r.render(new LogEntry().add(Fields.REALTIME_TIMESTAMP, -1L)));
        assertEquals(List.of("_HOSTNAME"), t.fieldNames(), "date and hour are not fields");
    }

    @Test
    void constantTemplates() {
        PathTemplate t = PathTemplate.parse("/var/log/all.log");
        assertTrue(t.isConstant());
        assertTrue(t.isAbsolute());
        assertEquals("/var/log/all.log", t.renderer().render(host("x")));
        PathTemplate rel = PathTemplate.parse("out/{_SOURCE}.log");
        assertFalse(rel.isConstant());
        assertFalse(rel.isAbsolute());
        assertEquals("out/nginx.log", rel.renderer().render(host("x")));
    }

    @Test
    void rejectsMalformedTemplates() {
        assertMessage("", "must not be empty");
        assertMessage("/var/log/", "must name a file");
        assertMessage("/var/{_HOSTNAME/x", "'{' at position 6 is not closed");
        assertMessage("/var/_HOSTNAME}/x", "'}' at position 15 has no matching '{'");
        assertMessage("/var/{}/x", "empty placeholder");
        assertMessage("/var/{a{b}/x", "must be a field name");
        assertMessage("/var/{a/b}", "must be a field name");
        assertMessage("/var/a\u0000b", "NUL");
    }

    private static void assertMessage(String template, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PathTemplate.parse(template));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
