package io.hakobu.core.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogEntryTest {

    private static final byte[] LINE = "status:200\tua:caf\u00e9".getBytes(StandardCharsets.UTF_8);

    @Test
    void slicesDecodeLazilyAndOnce() {
        LogEntry e = new LogEntry().backing(LINE);
        e.addSlice("status", 7, 3).addSlice("ua", 14, 5);
        assertTrue(e.isSlice(0));
        assertEquals(7, e.sliceOffset(0));
        assertEquals(3, e.sliceLength(0));
        assertEquals("200", e.value(0));
        assertEquals("caf\u00e9", e.getString("ua"));
        assertFalse(e.isSlice(0), "decoded value is cached");
        assertSame(e.value(0), e.value(0));
        assertEquals(LINE.length, e.sizeEstimate() - 32 * e.size());
    }

    @Test
    void sliceOutsideBackingIsRejected() {
        LogEntry e = new LogEntry().backing(LINE);
        assertThrows(IndexOutOfBoundsException.class, () -> e.addSlice("x", LINE.length, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> e.addSlice("x", -1, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> new LogEntry().addSlice("x", 0, 0));
        e.addSlice("empty", LINE.length, 0);
        assertEquals("", e.value(0));
    }

    @Test
    void setReplacesTheFirstOrAppends() {
        LogEntry e = new LogEntry().add("a", 1L).add("b", 2L).add("a", 3L);
        e.set("a", "x");
        assertEquals(List.of("x", 2L, 3L), List.of(e.value(0), e.value(1), e.value(2)));
        e.set("c", true);
        assertEquals(4, e.size());
        assertEquals(Boolean.TRUE, e.get("c"));
    }

    @Test
    void setReplacesASlice() {
        LogEntry e = new LogEntry().backing(LINE).addSlice("status", 7, 3);
        e.set("status", 404L);
        assertFalse(e.isSlice(0));
        assertEquals(404L, e.get("status"));
    }

    @Test
    void removeDropsEveryOccurrenceAndKeepsSlicesAligned() {
        LogEntry e = new LogEntry().backing(LINE);
        e.add("a", 1L).addSlice("status", 7, 3).add("a", 2L).addSlice("ua", 14, 5);
        assertTrue(e.remove("a"));
        assertFalse(e.remove("a"));
        assertEquals(2, e.size());
        assertEquals("status", e.name(0));
        assertTrue(e.isSlice(1));
        assertEquals("caf\u00e9", e.value(1));
        assertEquals("200", e.value(0));
        assertThrows(IndexOutOfBoundsException.class, () -> e.name(2));
    }

    @Test
    void growsPastItsInitialCapacity() {
        LogEntry e = new LogEntry(2).backing(LINE);
        for (int i = 0; i < 100; i++) {
            if (i % 2 == 0) {
                e.add("f" + i, (long) i);
            } else {
                e.addSlice("f" + i, 7, 3);
            }
        }
        assertEquals(100, e.size());
        assertEquals(98L, e.get("f98"));
        assertEquals("200", e.get("f99"));
        assertTrue(e.isSlice(1));
    }

    @Test
    void getAndGetString() {
        byte[] bytes = "raw".getBytes(StandardCharsets.UTF_8);
        LogEntry e = new LogEntry()
                .add("s", "text").add("n", 42L).add("d", 1.5).add("b", false).add("nil", null)
                .add("bytes", bytes).add("map", Map.of("k", "v"));
        assertNull(e.get("missing"));
        assertNull(e.getString("missing"));
        assertNull(e.getString("nil"));
        assertTrue(e.has("nil"));
        assertEquals("text", e.getString("s"));
        assertEquals("42", e.getString("n"));
        assertEquals("1.5", e.getString("d"));
        assertEquals("false", e.getString("b"));
        assertEquals("raw", e.getString("bytes"));
        assertSame(bytes, e.get("bytes"));
        assertEquals("{k=v}", e.getString("map"));
        assertEquals(-1, e.indexOf("missing"));
        assertEquals(1, e.indexOf("n"));
    }

    @Test
    void originAndSizeEstimate() {
        LogEntry e = new LogEntry();
        assertEquals(-1, e.position());
        e.origin("ino=1", 4096);
        assertEquals("ino=1", e.stream());
        assertEquals(4096, e.position());
        assertEquals(64, e.sizeEstimate());
        e.sizeEstimate(1000);
        assertEquals(1000, e.sizeEstimate());
    }

    @Test
    void supportedValues() {
        for (Object v : new Object[] {null, "s", 1L, 1, 1.0, true, new byte[0], List.of(), Map.of()}) {
            assertTrue(LogEntry.isSupportedValue(v), String.valueOf(v));
        }
        assertFalse(LogEntry.isSupportedValue(new Object()));
        assertFalse(LogEntry.isSupportedValue(1.0f));
    }

    @Test
    void nullNameIsRejected() {
        assertThrows(NullPointerException.class, () -> new LogEntry().add(null, "x"));
    }
}
