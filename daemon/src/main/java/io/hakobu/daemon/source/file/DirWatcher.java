package io.hakobu.daemon.source.file;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Filesystem notifications (inotify on Linux, through {@link WatchService}) on the directories
 * where the globs could match, so that new files are found without waiting for the next rescan.
 * Notifications are only a hint to scan now: they are lossy (queue overflow, directories created
 * and filled before they are watched), so the periodic rescan stays.
 *
 * <p>At most {@value #MAX_DIRS} directories are watched per source (inotify watches are a limited
 * system resource); beyond that, directories are found by the rescan alone (logged once).
 * Used only by its source's thread.
 */
final class DirWatcher implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(DirWatcher.class);
    static final int MAX_DIRS = 1024;

    private final String sourceId;
    private final WatchService service;
    private final Map<Path, WatchKey> keys = new HashMap<>();
    private boolean warnedFull;

    DirWatcher(String sourceId) {
        this.sourceId = sourceId;
        WatchService s = null;
        try {
            s = FileSystems.getDefault().newWatchService();
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("source={} event=watch_unavailable error=\"{}\" fallback=rescan", sourceId, e.toString());
        }
        this.service = s;
    }

    int watched() {
        return keys.size();
    }

    /** Watches the directories not watched yet; forgets those gone. Returns true if any was added. */
    boolean watch(Set<Path> dirs) {
        if (service == null) {
            return false;
        }
        keys.values().removeIf(k -> !k.isValid());
        boolean added = false;
        for (Path d : dirs) {
            if (keys.containsKey(d)) {
                continue;
            }
            if (keys.size() >= MAX_DIRS) {
                if (!warnedFull) {
                    warnedFull = true;
                    LOG.warn("source={} event=watch_limit dirs={} action=\"further directories are found by the rescan only\"",
                            sourceId, MAX_DIRS);
                }
                break;
            }
            try {
                keys.put(d, d.register(service, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_DELETE));
                added = true;
            } catch (IOException | ClosedWatchServiceException e) {
                LOG.debug("source={} event=watch_failed dir={} error=\"{}\"", sourceId, d, e.toString());
            }
        }
        return added;
    }

    /**
     * Drains pending notifications without waiting. Returns true when something was created or
     * deleted (or events were lost): time to scan. Writes are not watched (the tails poll the
     * files they read).
     */
    boolean changed() {
        if (service == null) {
            return false;
        }
        boolean changed = false;
        for (int i = 0; i < MAX_DIRS; i++) { // bounded: each key is taken at most once per call
            WatchKey k;
            try {
                k = service.poll();
            } catch (ClosedWatchServiceException e) {
                return false;
            }
            if (k == null) {
                break;
            }
            if (!k.pollEvents().isEmpty()) {
                changed = true; // created, deleted (renamed in or out), or OVERFLOW: events were lost
            }
            if (!k.reset()) {
                for (Iterator<WatchKey> it = keys.values().iterator(); it.hasNext(); ) {
                    if (it.next() == k) {
                        it.remove();
                    }
                }
            }
        }
        return changed;
    }

    @Override
    public void close() {
        if (service != null) {
            try {
                service.close();
            } catch (IOException e) {
                LOG.debug("close failed", e);
            }
        }
    }
}
