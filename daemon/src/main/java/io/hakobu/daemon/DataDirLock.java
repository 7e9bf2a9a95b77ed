package io.hakobu.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on {@code data_dir/hakobu.lock}: two processes sharing one data directory would
 * overwrite each other's checkpoints and output files. The kernel releases the lock when the
 * process dies, even by SIGKILL, so a crash never leaves a stale lock behind.
 */
public final class DataDirLock {
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    public static DataDirLock acquire(Path dataDir) throws IOException {
        Path file = dataDir.resolve("hakobu.lock");
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot lock " + file + ": " + e.getMessage(), e);
        }
        if (l == null) {
            String holder = "";
            try {
                holder = Files.readString(file, StandardCharsets.UTF_8).trim();
            } catch (IOException ignored) {
                // the holder's pid is only for the message
            }
            ch.close();
            throw new IOException("node.data_dir " + dataDir + " is in use by another hakobu process"
                    + (holder.isEmpty() ? "" : " (pid " + holder + ")") + "; each process needs its own data_dir");
        }
        ch.truncate(0);
        ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        return new DataDirLock(ch, l);
    }

    public void release() {
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // the process is ending; the kernel drops the lock anyway
        }
    }
}
