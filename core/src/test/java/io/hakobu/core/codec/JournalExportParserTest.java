package io.hakobu.core.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JournalExportParserTest {

    /** Builds Export Format: text fields as NAME=VALUE, byte[] values in the binary form. */
    static final class Export {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Export text(String name, String value) {
            out.writeBytes((name + "=" + value + "\n").getBytes(StandardCharsets.UTF_8));
            return this;
        }

        Export binary(String name, byte[] value) {
            out.writeBytes((name + "\n").getBytes(StandardCharsets.UTF_8));
            long n = value.length;
            for (int i = 0; i < 8; i++) {
                out.write((int) (n >>> (8 * i)) & 0xff);
            }
            out.writeBytes(value);
            out.write('\n');
            return this;
        }

        Export end() {
            out.write('\n');
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    private static JournalExportParser parser(byte[] b, int maxField, int maxEntry) {
        return new JournalExportParser(new ByteArrayInputStream(b), maxField, maxEntry);
    }

    private static List<LogEntry> all(JournalExportParser p) throws IOException {
        List<LogEntry> out = new ArrayList<>();
        LogEntry e;
        while ((e = p.next()) != null) {
            out.add(e);
        }
        return out;
    }

    @Test
    void testVectorE1BinaryMultiLineMessage() throws IOException {
        // PROTOCOLS.md §1.2, test vector E1
        byte[] e1 = new Export().text("__REALTIME_TIMESTAMP", "1700000000000000").text("PRIORITY", "6")
                .binary("MESSAGE", "foo\nbar".getBytes(StandardCharsets.UTF_8)).end().bytes();
        byte[] expectedTail = {0x4d, 0x45, 0x53, 0x53, 0x41, 0x47, 0x45, 0x0a, 0x07, 0, 0, 0, 0, 0, 0, 0,
            0x66, 0x6f, 0x6f, 0x0a, 0x62, 0x61, 0x72, 0x0a, 0x0a};
        byte[] tail = java.util.Arrays.copyOfRange(e1, e1.length - expectedTail.length, e1.length);
        assertArrayEquals(expectedTail, tail, "the builder writes the documented bytes");

        JournalExportParser p = parser(e1, 1024, 4096);
        LogEntry e = p.next();
        assertEquals(3, e.size());
        assertEquals("__REALTIME_TIMESTAMP", e.name(0));
        assertEquals("1700000000000000", e.value(0));
        assertEquals("6", e.get("PRIORITY"));
        assertEquals("foo\nbar", e.get("MESSAGE"), "a multi-line UTF-8 value stays text");
        assertEquals(e1.length, p.lastEntryBytes());
        assertNull(p.next());
        assertEquals(e1.length, p.bytesRead());
    }

    @Test
    void binaryValuesStayBytesAndRepeatedFieldsStayRepeated() throws IOException {
        byte[] latin1 = {'h', (byte) 0xe9};                    // invalid UTF-8 (PROTOCOLS.md J1)
        byte[] withNul = {'a', 0, 'b', (byte) 0xff, '\n'};
        byte[] ansi = "\u001b[31mred\u001b[0m".getBytes(StandardCharsets.UTF_8);
        byte[] in = new Export().text("_UDEV_DEVLINK", "/dev/a").binary("X", latin1).binary("BLOB", withNul)
                .binary("COLOR", ansi).text("_UDEV_DEVLINK", "/dev/b").binary("EMPTY", new byte[0])
                .text("UTF8", "héllo wörld ✓").text("EQ", "a=b=c").end().bytes();
        LogEntry e = parser(in, 1024, 4096).next();
        assertArrayEquals(latin1, (byte[]) e.get("X"));
        assertArrayEquals(withNul, (byte[]) e.get("BLOB"));
        assertArrayEquals(ansi, (byte[]) e.get("COLOR"), "control characters other than TAB/LF keep the bytes");
        assertEquals("", e.get("EMPTY"));
        assertEquals("héllo wörld ✓", e.get("UTF8"));
        assertEquals("a=b=c", e.get("EQ"), "split at the first '='");
        List<Object> links = new ArrayList<>();
        for (int i = 0; i < e.size(); i++) {
            if (e.name(i).equals("_UDEV_DEVLINK")) {
                links.add(e.value(i));
            }
        }
        assertEquals(List.of("/dev/a", "/dev/b"), links);
    }

    @Test
    void manyEntriesAcrossBufferBoundariesAndSlowInput() throws IOException {
        Export x = new Export();
        int n = 5000;
        for (int i = 0; i < n; i++) {
            x.text("__CURSOR", "s=abc;i=" + Integer.toHexString(i + 1)).text("MESSAGE", "line " + i + " " + "x".repeat(i % 300));
            x.binary("MULTI", ("a\nb " + i).getBytes(StandardCharsets.UTF_8)).end();
        }
        byte[] bytes = x.bytes();
        // an input that returns at most 7 bytes per read, like a pipe delivering fragments
        InputStream slow = new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 7));
            }
        };
        List<LogEntry> got = all(new JournalExportParser(slow, 1024, 4096));
        assertEquals(n, got.size());
        for (int i = 0; i < n; i += 997) {
            assertEquals("line " + i + " " + "x".repeat(i % 300), got.get(i).get("MESSAGE"));
            assertEquals("a\nb " + i, got.get(i).get("MULTI"));
        }
    }

    /** Reads of random sizes (1 byte to 64 KiB), as a pipe under load delivers them: every field of every entry intact. */
    @Test
    void randomReadSizesNeverSplitOrMixFields() throws IOException {
        Export x = new Export();
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            x.text("__CURSOR", "s=abc;i=" + Integer.toHexString(i + 1)).text("__REALTIME_TIMESTAMP", Long.toString(1_700_000_000_000_000L + i))
                    .text("MESSAGE", "msg " + i).text("_SYSTEMD_UNIT", "app.service")
                    .binary("TRACE", ("at first\n\tat line " + i).getBytes(StandardCharsets.UTF_8))
                    .binary("PAYLOAD", new byte[] {0, (byte) 0xfe, (byte) (i & 0xff), (byte) (i >>> 8), '\n', '='}).end();
        }
        byte[] bytes = x.bytes();
        for (long seed = 1; seed <= 5; seed++) {
            java.util.Random rnd = new java.util.Random(seed);
            InputStream ragged = new ByteArrayInputStream(bytes) {
                @Override
                public synchronized int read(byte[] b, int off, int len) {
                    int max = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(16) : 1 + rnd.nextInt(65_536);
                    return super.read(b, off, Math.min(len, max));
                }
            };
            List<LogEntry> got = all(new JournalExportParser(ragged, 1024, 8192));
            assertEquals(n, got.size(), "seed " + seed);
            for (int i = 0; i < n; i++) {
                LogEntry e = got.get(i);
                assertEquals("msg " + i, e.getString("MESSAGE"), "seed " + seed + " entry " + i);
                assertEquals("at first\n\tat line " + i, e.getString("TRACE"), "seed " + seed + " entry " + i);
                assertEquals(6, ((byte[]) e.get("PAYLOAD")).length, "seed " + seed + " entry " + i);
                assertEquals(6, e.size(), "seed " + seed + " entry " + i);
            }
        }
    }

    @Test
    void oversizeValuesAreCutAndListedNeverLoaded() throws IOException {
        String big = "y".repeat(5000);
        byte[] hugeBinary = new byte[100_000];
        hugeBinary[0] = 1;
        byte[] in = new Export().text("__CURSOR", "c1").text("BIG", big).binary("CORE", hugeBinary).text("_BOOT_ID", "b")
                .text("AFTER", "z".repeat(300)).text("SMALL", "s").end().text("MESSAGE", "next").end().bytes();
        JournalExportParser p = parser(in, 1000, 1500);
        LogEntry e = p.next();
        assertEquals("y".repeat(1000), e.get("BIG"), "cut at max_field_bytes");
        assertEquals(500, ((byte[]) e.get("CORE")).length, "cut to what is left of max_entry_bytes");
        assertFalse(e.has("AFTER"), "no room left: dropped");
        assertFalse(e.has("SMALL"));
        assertEquals("c1", e.get("__CURSOR"));
        assertEquals("b", e.get("_BOOT_ID"), "_BOOT_ID is always kept");
        assertEquals(Boolean.TRUE, e.get(Fields.TRUNCATED));
        assertEquals("BIG:5000,CORE:100000,AFTER:300,SMALL:1", e.get(JournalExportParser.TRUNCATED_FIELDS));
        assertEquals("next", p.next().get("MESSAGE"), "the stream stays in step after skipping");
        assertNull(p.next());
    }

    @Test
    void fieldCountAndTheTruncationListAreBounded() throws IOException {
        Export x = new Export().text("__CURSOR", "c");
        for (int i = 0; i < 5000; i++) {
            x.text("F", "");
        }
        LogEntry e = parser(x.end().bytes(), 64, 64).next();
        assertEquals(JournalExportParser.MAX_FIELDS + 2, e.size(), "4096 fields, then _TRUNCATED and the list");
        String list = (String) e.get(JournalExportParser.TRUNCATED_FIELDS);
        assertTrue(list.startsWith("F:0,F:0,"), list);
        assertTrue(list.endsWith(",+" + (5001 - JournalExportParser.MAX_FIELDS - 32) + " more"), list);
    }

    @Test
    void truncatedInputAndGarbageAreErrorsNotHangs() {
        byte[] good = new Export().text("MESSAGE", "a").binary("B", "xyz".getBytes(StandardCharsets.UTF_8)).end().bytes();
        for (int cut = 1; cut < good.length - 1; cut++) {
            byte[] partial = java.util.Arrays.copyOf(good, cut);
            assertThrows(EOFException.class, () -> all(parser(partial, 64, 64)), "cut at " + cut);
        }
        byte[] noNewline = new Export().binary("B", "xyz".getBytes(StandardCharsets.UTF_8)).bytes();
        noNewline[noNewline.length - 1] = 'Q';
        assertThrows(JournalExportParser.JournalFormatException.class, () -> parser(noNewline, 64, 64).next());
        byte[] negative = new byte[] {'B', '\n', 0, 0, 0, 0, 0, 0, 0, (byte) 0x80};
        assertThrows(JournalExportParser.JournalFormatException.class, () -> parser(negative, 64, 64).next());
        byte[] emptyName = "=value\n\n".getBytes(StandardCharsets.US_ASCII);
        assertThrows(JournalExportParser.JournalFormatException.class, () -> parser(emptyName, 64, 64).next());
        byte[] longName = ("N".repeat(400) + "\n").getBytes(StandardCharsets.US_ASCII);
        assertThrows(JournalExportParser.JournalFormatException.class, () -> parser(longName, 64, 64).next());
    }

    @Test
    void emptyInputAndBlankLinesBetweenEntries() throws IOException {
        assertNull(parser(new byte[0], 64, 64).next());
        byte[] in = "\n\nA=1\n\n\n\nB=2\n\n".getBytes(StandardCharsets.US_ASCII);
        List<LogEntry> got = all(parser(in, 64, 64));
        assertEquals(2, got.size());
        assertEquals("1", got.get(0).get("A"));
        assertEquals("2", got.get(1).get("B"));
        assertTrue(got.get(1).size() == 1);
    }
}
