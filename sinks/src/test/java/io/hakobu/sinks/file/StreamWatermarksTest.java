package io.hakobu.sinks.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.event.LogEntry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamWatermarksTest {
    private static LogEntry at(String stream, long position) {
        return new LogEntry().origin(stream, position);
    }

    private static List<String> dump(StreamWatermarks w) {
        List<String> out = new ArrayList<>();
        w.forEach((source, stream, position) -> out.add(source + "/" + stream + "@" + position));
        return out;
    }

    @Test
    void skipsWhatWasCommittedAndRepeatsWithinAWrite() {
        StreamWatermarks w = new StreamWatermarks(10);
        assertFalse(w.isDuplicate("src", at("s", 10)));
        assertFalse(w.isDuplicate("src", at("s", 20)));
        assertTrue(w.isDuplicate("src", at("s", 20)), "same position again in the same write");
        assertTrue(w.isDuplicate("src", at("s", 15)));
        w.commit();
        assertEquals(20, w.committed("src", "s"));
        assertTrue(w.isDuplicate("src", at("s", 10)));
        assertTrue(w.isDuplicate("src", at("s", 20)));
        assertFalse(w.isDuplicate("src", at("s", 21)));
    }

    @Test
    void entriesWithoutOriginAreNeverDuplicates() {
        StreamWatermarks w = new StreamWatermarks(10);
        assertFalse(w.isDuplicate("src", new LogEntry()));
        assertFalse(w.isDuplicate("src", new LogEntry()));
        assertFalse(w.isDuplicate("src", at("s", -1)));
        assertFalse(w.isDuplicate("src", at(null, 5)));
        w.commit();
        assertEquals(0, w.size());
    }

    @Test
    void streamsAreKeyedBySourceToo() {
        StreamWatermarks w = new StreamWatermarks(10);
        assertFalse(w.isDuplicate("a", at("file:1:2", 100)));
        assertFalse(w.isDuplicate("b", at("file:1:2", 50)));
        w.commit();
        assertEquals(100, w.committed("a", "file:1:2"));
        assertEquals(50, w.committed("b", "file:1:2"));
    }

    @Test
    void rollbackForgetsPendingMarks() {
        StreamWatermarks w = new StreamWatermarks(10);
        w.isDuplicate("src", at("s", 10));
        w.commit();
        assertFalse(w.isDuplicate("src", at("s", 30)));
        assertFalse(w.isDuplicate("src", at("new", 5)));
        w.rollback();
        assertEquals(10, w.committed("src", "s"));
        assertEquals(-1, w.committed("src", "new"));
        assertEquals(List.of("src/s@10"), dump(w));
        assertFalse(w.isDuplicate("src", at("s", 30)), "the retry writes it");
    }

    @Test
    void forgetsTheLeastRecentlyWrittenStreamsBeyondTheBound() {
        StreamWatermarks w = new StreamWatermarks(3);
        for (int i = 1; i <= 4; i++) {
            w.isDuplicate("src", at("s" + i, i));
            w.commit();
        }
        assertEquals(List.of("src/s2@2", "src/s3@3", "src/s4@4"), dump(w));
        w.isDuplicate("src", at("s2", 2)); // seen again (a duplicate): now the most recent
        w.isDuplicate("src", at("s5", 5));
        w.commit();
        assertEquals(List.of("src/s4@4", "src/s2@2", "src/s5@5"), dump(w));
    }

    @Test
    void restoreKeepsTheSavedOrder() {
        StreamWatermarks w = new StreamWatermarks(2);
        w.restore("src", "old", 1);
        w.restore("src", "mid", 2);
        w.restore("src", "new", 3);
        assertEquals(List.of("src/mid@2", "src/new@3"), dump(w));
        assertTrue(w.isDuplicate("src", at("new", 3)));
    }
}
