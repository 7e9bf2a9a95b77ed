package io.hakobu.core.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * Durable named checkpoints, one small JSON file each under a directory
 * ({@code data_dir/checkpoints/<name>.json}).
 *
 * <p>Format (versioned): {@code {"version":1,"name":"…","saved_at":"…","state":{…}}}. Writes are
 * atomic: the new content goes to {@code <name>.json.tmp}, is fsynced, renamed over the old file,
 * and the directory is fsynced, so after a crash the file holds either the old or the new state,
 * never a mix. A leftover {@code .tmp} from a crash mid-write is ignored and replaced.
 *
 * <p>Thread-safe for different names; callers serialise saves of the same name.
 */
public final class CheckpointStore {
    public static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    public CheckpointStore(Path dir) {
        this.dir = dir;
    }

    public Path directory() {
        return dir;
    }

    /** The saved state, or {@code null} when nothing was saved under {@code name}. */
    public JsonNode load(String name) throws IOException {
        Path file = fileFor(name);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        }
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IOException("checkpoint " + file + " is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject() || !root.has("version") || !root.has("state")) {
            throw new IOException("checkpoint " + file + " is not a hakobu checkpoint (no version/state)");
        }
        int version = root.get("version").asInt();
        if (version != VERSION) {
            throw new IOException("checkpoint " + file + " has version " + version + "; this hakobu reads version " + VERSION);
        }
        return root.get("state");
    }

    /** Atomically replaces the state saved under {@code name}. */
    public void save(String name, JsonNode state) throws IOException {
        if (!Files.isDirectory(dir)) { // one stat: createDirectories on an existing directory throws and catches inside
            Files.createDirectories(dir);
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("version", VERSION);
        root.put("name", name);
        root.put("saved_at", Instant.now().toString());
        root.set("state", state);
        byte[] bytes = JSON.writeValueAsBytes(root);
        Path file = fileFor(name);
        replaceDurably(file, file.resolveSibling(file.getFileName() + ".tmp"), bytes);
    }

    /**
     * Replaces {@code target} with {@code bytes} so that a crash or power loss leaves either the
     * old or the new content: write {@code tmp}, fsync it, rename it over {@code target}, fsync the
     * directory.
     *
     * @throws IOException also when the filesystem cannot rename atomically
     */
    public static void replaceDurably(Path target, Path tmp, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot atomically rename in " + target.getParent() + ": " + e.getMessage(), e);
        }
        fsyncDirectory(target.getParent());
    }

    public ObjectMapper json() {
        return JSON;
    }

    /** The file for a name; names are component ids, made safe for a file name. */
    Path fileFor(String name) {
        StringBuilder sb = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
            if (ok && !(i == 0 && c == '.')) {
                sb.append(c);
            } else {
                sb.append('%').append(String.format("%02x", (int) c & 0xff));
            }
        }
        return dir.resolve(sb + ".json");
    }

    /** fsync a directory so that a rename or a create in it survives power loss. */
    public static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some filesystems refuse to open directories for fsync; the rename is still atomic there.
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
    }
}
