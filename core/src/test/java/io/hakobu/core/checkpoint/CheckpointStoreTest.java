package io.hakobu.core.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {
    @TempDir
    Path dir;

    private ObjectNode state(CheckpointStore store, long offset) {
        ObjectNode s = store.json().createObjectNode();
        s.putObject("files").putObject("2049:77").put("offset", offset);
        return s;
    }

    @Test
    void savesAtomicallyWithVersionAndLoadsBack() throws IOException {
        CheckpointStore store = new CheckpointStore(dir.resolve("checkpoints"));
        assertNull(store.load("source-a"), "nothing saved yet");
        store.save("source-a", state(store, 10));
        store.save("source-a", state(store, 20));
        JsonNode loaded = store.load("source-a");
        assertEquals(20, loaded.path("files").path("2049:77").path("offset").asLong());
        JsonNode raw = store.json().readTree(Files.readAllBytes(dir.resolve("checkpoints/source-a.json")));
        assertEquals(CheckpointStore.VERSION, raw.path("version").asInt());
        assertEquals("source-a", raw.path("name").asText());
        assertFalse(Files.exists(dir.resolve("checkpoints/source-a.json.tmp")), "no temp file left behind");
    }

    @Test
    void theDirectoryIsMadeWhenMissingAlsoAfterItWasRemoved() throws IOException {
        Path checkpoints = dir.resolve("a/b/checkpoints");
        CheckpointStore store = new CheckpointStore(checkpoints);
        store.save("s", state(store, 1));
        Files.delete(checkpoints.resolve("s.json"));
        Files.delete(checkpoints);
        store.save("s", state(store, 2));
        assertEquals(2, store.load("s").path("files").path("2049:77").path("offset").asLong());
    }

    @Test
    void aTempFileLeftByACrashIsIgnoredAndReplaced() throws IOException {
        CheckpointStore store = new CheckpointStore(dir);
        store.save("s", state(store, 5));
        Files.writeString(dir.resolve("s.json.tmp"), "{\"version\":1,\"sta"); // torn write of a later save
        assertEquals(5, store.load("s").path("files").path("2049:77").path("offset").asLong());
        store.save("s", state(store, 6));
        assertEquals(6, store.load("s").path("files").path("2049:77").path("offset").asLong());
    }

    @Test
    void corruptOrForeignFilesAreClearErrors() throws IOException {
        CheckpointStore store = new CheckpointStore(dir);
        Files.writeString(dir.resolve("bad.json"), "{not json");
        IOException e = assertThrows(IOException.class, () -> store.load("bad"));
        assertTrue(e.getMessage().contains("bad.json is not valid JSON"), e.getMessage());
        Files.writeString(dir.resolve("future.json"), "{\"version\":99,\"state\":{}}");
        e = assertThrows(IOException.class, () -> store.load("future"));
        assertTrue(e.getMessage().contains("has version 99; this hakobu reads version 1"), e.getMessage());
        Files.writeString(dir.resolve("other.json"), "{\"hello\":1}");
        e = assertThrows(IOException.class, () -> store.load("other"));
        assertTrue(e.getMessage().contains("not a hakobu checkpoint"), e.getMessage());
    }

    @Test
    void namesAreMadeSafeForFileNames() throws IOException {
        CheckpointStore store = new CheckpointStore(dir);
        store.save("../escape/x", state(store, 1));
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "written inside the directory only");
        }
        assertEquals(1, store.load("../escape/x").path("files").path("2049:77").path("offset").asLong());
    }
}
