package io.hakobu.daemon.source.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The fingerprint survives growth, and the anchor is fixed once the first line is complete. */
class FingerprintTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void fingerprintOfAShortFileStillMatchesAfterItGrows() {
        Fingerprint.Value shortFp = Fingerprint.of(b("abc\n"));
        assertEquals(4, shortFp.len());
        assertTrue(Fingerprint.matches(b("abc\ndef\n"), shortFp), "growth is not a new file");
        assertFalse(Fingerprint.matches(b("xbc\ndef\n"), shortFp), "other first bytes are");
        assertFalse(Fingerprint.matches(b("ab"), shortFp), "a shorter file is");
        assertTrue(Fingerprint.matches(b(""), Fingerprint.Value.NONE), "no fingerprint yet matches anything");
    }

    @Test
    void anchorIsTheFirstLineAndDoesNotChangeAsTheFileGrows() {
        assertNull(Fingerprint.anchor(b("no newline yet"), 64), "first line incomplete");
        String first = Fingerprint.anchor(b("line one\n"), 64);
        assertEquals(first, Fingerprint.anchor(b("line one\nline two\n"), 64));
        assertNotEquals(first, Fingerprint.anchor(b("line 1\n"), 64));
        String longLine = "x".repeat(100);
        assertEquals(Fingerprint.anchor(b(longLine), 64), Fingerprint.anchor(b(longLine + "\nmore\n"), 64),
                "a first line longer than the limit: its first limit bytes");
    }
}
