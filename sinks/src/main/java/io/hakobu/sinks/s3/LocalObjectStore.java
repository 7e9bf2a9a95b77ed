package io.hakobu.sinks.s3;

import io.hakobu.core.checkpoint.CheckpointStore;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * An object store in a local directory: key {@code a/b/c.ndjson.zst} is the file
 * {@code dir/a/b/c.ndjson.zst}. Objects appear atomically (written to {@code <file>.hakobu-tmp},
 * fsynced, renamed, directory fsynced), so a reader never sees half an object, and a crash leaves
 * at most a temporary file, which {@link #abortIncomplete} removes (the local twin of an
 * incomplete multipart upload).
 */
final class LocalObjectStore implements ObjectStore {
    static final String TMP_SUFFIX = ".hakobu-tmp";
    private static final int COPY_CHUNK = 1 << 20;

    private final Path dir;

    LocalObjectStore(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    private Path fileFor(String key) throws IOException {
        Path p = dir.resolve(key).normalize();
        if (!p.startsWith(dir) || p.equals(dir)) {
            throw new IOException("key '" + key + "' leaves " + dir);
        }
        return p;
    }

    @Override
    public void put(String key, Path file, long length, ObjectInfo info) throws IOException {
        Path target = fileFor(key);
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling(target.getFileName() + TMP_SUFFIX);
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
                FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
            long pos = 0;
            while (pos < length) {
                long n = in.transferTo(pos, Math.min(COPY_CHUNK, length - pos), out);
                if (n <= 0) {
                    throw new IOException(file + " ended at " + pos + " bytes, expected " + length);
                }
                pos += n;
            }
            out.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        CheckpointStore.fsyncDirectory(target.getParent());
    }

    @Override
    public void putBytes(String key, byte[] body, String contentType) throws IOException {
        Path target = fileFor(key);
        Files.createDirectories(target.getParent());
        CheckpointStore.replaceDurably(target, target.resolveSibling(target.getFileName() + TMP_SUFFIX), body);
    }

    @Override
    public boolean holds(String key, long length, String crc32c) {
        return false; // a local copy is cheap: always write it again
    }

    @Override
    public int abortIncomplete(String key) throws IOException {
        Path target = fileFor(key);
        return Files.deleteIfExists(target.resolveSibling(target.getFileName() + TMP_SUFFIX)) ? 1 : 0;
    }

    @Override
    public void checkAccess(String probeKey) throws IOException {
        putBytes(probeKey, new byte[0], "application/octet-stream");
        Path probe = fileFor(probeKey);
        Files.delete(probe);
        for (Path d = probe.getParent(); d != null && !d.equals(dir) && d.startsWith(dir); d = d.getParent()) {
            try (var entries = Files.list(d)) {
                if (entries.findAny().isPresent()) {
                    break;
                }
            }
            Files.delete(d); // directories the probe created
        }
    }

    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "local:" + dir;
    }
}
