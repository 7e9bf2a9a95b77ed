package io.hakobu.sinks.file;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;

/**
 * Syncs a file on a thread of its own while the sink goes on encoding and appending to it, so
 * that the fsync a write must end with finds most of the write already on disk and waits only
 * for the last part ("sync behind", as a database flushes a log it is still appending to).
 *
 * <p>It only ever adds fsyncs: the sink still fsyncs every file of a write itself before it saves
 * its checkpoint, so what is durable when a write is acknowledged does not change. What does
 * change is who sees an error: Linux reports a failed writeback to the next fsync of each open
 * file description once, so an error this thread sees would be gone by the time the sink's own
 * fsync runs on the same channel. The sink therefore takes this thread's first error of a write
 * ({@link #takeError}) and fails the write with it, as if its own fsync had failed.
 *
 * <p>Bounded: at most one sync runs and one waits; a request while one waits is dropped (the
 * waiting one, or the sink's own fsync, covers it). Requests come from the sink's thread only.
 */
final class SyncBehind implements AutoCloseable {
    private final Object lock = new Object();
    private final Thread thread;
    /** The channel to sync next, or null. Guarded by {@link #lock}. */
    private FileChannel next;
    /** A sync is running. Guarded by {@link #lock}. */
    private boolean running;
    /** The first failure since the last {@link #takeError}. Guarded by {@link #lock}. */
    private IOException error;
    private boolean closed;
    private long syncs;

    SyncBehind(String threadName) {
        thread = new Thread(this::loop, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /** Asks for {@code ch} to be synced soon (returns at once). */
    void request(FileChannel ch) {
        synchronized (lock) {
            if (closed || next != null) {
                return;
            }
            next = ch;
            lock.notifyAll();
        }
    }

    /**
     * Waits until no sync runs or waits (before a channel is closed or truncated, and before the
     * sink's own fsyncs).
     */
    void quiesce() throws InterruptedIOException {
        synchronized (lock) {
            while (running || next != null) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for a background fsync");
                }
            }
        }
    }

    /** The first error since the last call, and forgets it; null if every sync worked. */
    IOException takeError() {
        synchronized (lock) {
            IOException e = error;
            error = null;
            return e;
        }
    }

    /** Syncs done so far (for tests). */
    long syncs() {
        synchronized (lock) {
            return syncs;
        }
    }

    private void loop() {
        while (true) {
            FileChannel ch;
            synchronized (lock) {
                while (next == null && !closed) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return; // only close() interrupts, and it has set closed
                    }
                }
                if (next == null) {
                    return; // closed, nothing waiting
                }
                ch = next;
                next = null;
                running = true;
            }
            IOException failed = null;
            try {
                ch.force(false);
            } catch (IOException e) {
                failed = e;
            } catch (RuntimeException e) {
                failed = new IOException(e.toString(), e);
            }
            synchronized (lock) {
                running = false;
                syncs++;
                if (failed != null && error == null) {
                    error = failed;
                }
                lock.notifyAll();
            }
        }
    }

    /** Finishes a sync that waits or runs, then stops the thread. */
    @Override
    public void close() throws InterruptedIOException {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while stopping the background fsync thread");
        }
    }
}
