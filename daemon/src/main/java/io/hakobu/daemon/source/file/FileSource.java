package io.hakobu.daemon.source.file;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hakobu.core.codec.Parsers;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Source;
import io.hakobu.core.pipeline.SourceContext;
import io.hakobu.core.telemetry.ComponentMetrics;
import io.hakobu.core.telemetry.Counter;
import io.hakobu.daemon.source.LineEntries;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code type: file}: reads every file matched by {@code include} to its end and follows appends.
 *
 * <h2>Identity, checkpoint</h2>
 * Files are identified by device and inode, checked against a fingerprint of their first bytes
 * (see {@link Fingerprint}), so a renamed file keeps its position and a reused inode is read as a
 * new file. The checkpoint ({@code checkpoints/source-<id>.json}) maps each identity to the
 * offset just after the last entry every sink acknowledged, with its stream, generation,
 * fingerprint and last path. It is saved at most once a second, at once when a file is opened
 * (so a file rotated away while hakobu is down is still known at the next start), and at close.
 * Entries of files no longer watched are forgotten after {@code forget_after}.
 *
 * <p>State shape, {@code state_version: 2}: {@code {"state_version":2,"files":{"<dev>:<ino>":
 * {"path","generation","offset","stream","fingerprint_bytes","fingerprint","last_seen_ms"}}}}.
 * A state without {@code state_version} (written before fingerprints) loads with no fingerprint
 * and its streams keep their old names ({@code file:<dev>:<ino>[#g]}), so sinks still recognise
 * re-read entries.
 *
 * <h2>Rotation</h2>
 * A file whose path no longer leads to it (renamed, deleted, or replaced by a new file) stays open
 * and is read to its end; it is let go once it has not grown for {@code rotate_wait} and everything
 * read from it is acknowledged (so its checkpoint entry is final). While a sink
 * blocks (backpressure), {@link SourceContext#emit} waits and this thread reads nothing, but every
 * open file stays open, so nothing rotated or deleted meanwhile is lost. Files rotated while hakobu
 * was stopped are found by identity in their old directory and finished.
 *
 * <h2>copytruncate</h2>
 * A file truncated (or rewritten from the start) while it was read is continued from its copy, if
 * one is in the same directory ({@link FileTail}, class javadoc; {@link #findCopy}), also when the
 * truncation happened while hakobu was stopped. A copy being read is claimed: the scan does not
 * open it as a new file; once read and acknowledged, it is remembered in the checkpoint as read to
 * its end, so if {@code include} matches it, it is not read again. A copy the scan opened before
 * the truncation was seen is read as a file of its own (from 0: duplicates); the recommended
 * {@code include} for copytruncate matches the live file only.
 *
 * <h2>Threads, fairness</h2>
 * One thread (the source's) does everything. Each round visits every open file in turn and lets
 * it emit at most {@code batch_events} lines, so one busy file cannot starve the others. New files
 * are found by the periodic rescan ({@code glob_interval}) and sooner through notifications on the
 * watched directories ({@link DirWatcher}).
 */
final class FileSource implements Source {
    private static final Logger LOG = LoggerFactory.getLogger(FileSource.class);
    private static final long CHECKPOINT_EVERY_NANOS = 1_000_000_000L;
    static final int STATE_VERSION = 2;
    /** Rescans in a row when a scan found new directories to watch (files made before the watch began). */
    private static final int MAX_RESCANS = 3;
    /** Longest wait for the copy of a truncated file (logrotate copies before it truncates, so it is normally there). */
    private static final long COPY_GRACE_MAX_NANOS = 1_000_000_000L;
    /** Names of compressed files: never a copy to read. */
    private static final List<String> COMPRESSED = List.of(".gz", ".zst", ".xz", ".bz2", ".lz4", ".zip", ".z");

    /** A file identity in the checkpoint. */
    private record Saved(FileTail.State state, String path, long lastSeenMs) {
    }

    private final String id;
    private final FileSourceConfig config;
    private final NodeInfo node;
    private final Map<String, FileTail> tails = new LinkedHashMap<>();
    /** The open files' read buffers, as of the last round over them (gauge {@code read_buffer_bytes}). */
    private volatile long readBufferBytes;
    /** Acknowledged states by file key, as last saved or loaded (includes files not open now). */
    private final Map<String, Saved> saved = new HashMap<>();
    private SourceContext ctx;
    private volatile boolean closed;
    private boolean dirty;
    // set once at the start of run()
    private FileTail.Shared shared;
    private ComponentMetrics metrics;
    private Counter rotations;
    private DirWatcher watcher;
    /** New files that start like a file being read (maybe its copy, about to be truncated): not opened before these deadlines. */
    private final Map<String, Long> heldBack = new HashMap<>();

    FileSource(String id, FileSourceConfig config, NodeInfo node) {
        this.id = id;
        this.config = config;
        this.node = node;
    }

    @Override
    public void run(SourceContext ctx) throws Exception {
        this.ctx = ctx;
        Globs globs = new Globs(config.include(), config.exclude());
        LineEntries entries = new LineEntries(node.name(), id, Parsers.create(config.format(), config.keepMessage()),
                config.fields(), config.timestamp());
        metrics = ctx.metrics();
        shared = new FileTail.Shared(id, entries, (int) config.maxLineBytes(), config.fingerprintBytes(), config.multiline(),
                metrics.counter("bytes_read_total"), metrics.counter("lines_read_total"), metrics.counter("truncations_total"),
                metrics.counter("lines_truncated_total"), metrics.counter("files_replaced_total"), new Copies(),
                Math.min(config.rotateWait().toNanos(), COPY_GRACE_MAX_NANOS), metrics.counter("truncation_copies_total"),
                metrics.counter("truncation_copy_bytes_total"), metrics.counter("truncation_unread_bytes_total"));
        rotations = metrics.counter("rotations_total");
        metrics.gauge("files_watched", () -> tails.size());
        metrics.gauge("read_buffer_bytes", () -> readBufferBytes);
        loadCheckpoint();
        watcher = new DirWatcher(id);
        metrics.gauge("directories_watched", watcher::watched);
        try {
            loop(globs);
        } finally {
            watcher.close();
        }
    }

    private void loop(Globs globs) throws Exception {
        recoverRotatedWhileStopped(globs);
        boolean firstScan = true;
        long nextScan = System.nanoTime();
        long nextCheckpoint = System.nanoTime() + CHECKPOINT_EVERY_NANOS;
        long rotateWait = config.rotateWait().toNanos();
        while (!ctx.isStopping()) {
            long now = System.nanoTime();
            if (watcher.changed() || now - nextScan >= 0) {
                discover(globs, firstScan, now);
                firstScan = false;
                nextScan = now + config.globInterval().toNanos();
            }
            boolean progress = false;
            long held = 0;
            for (Iterator<FileTail> it = tails.values().iterator(); it.hasNext() && !ctx.isStopping(); ) {
                FileTail t = it.next();
                int n;
                try {
                    n = t.poll(ctx, config.batchEvents(), now);
                    held += t.bufferBytes();
                    if (n == 0 && t.isReleasable(now, rotateWait) && !t.isFinished()) {
                        t.finish(ctx); // an unterminated last line, a multi-line entry being built
                        progress = true;
                        continue;
                    }
                } catch (IOException e) {
                    // one unreadable file must not stop the others: let it go; the next scan opens it
                    // again from its acknowledged position
                    LOG.warn("source={} event=read_failed path={} key={} error=\"{}\" action=\"reopen at the next scan\"",
                            id, t.path(), t.key(), e.toString());
                    t.closeChannel();
                    it.remove();
                    unregisterGauges(t, t.path());
                    saved.put(t.key(), new Saved(t.checkpointState(), t.path().toString(), System.currentTimeMillis()));
                    dirty = true;
                    continue;
                }
                if (n > 0) {
                    progress = true;
                } else if (t.isReleasable(now, rotateWait)) {
                    if (!t.isDrained()) {
                        continue; // kept open until the checkpoint covers all of it
                    }
                    t.closeChannel();
                    it.remove();
                    unregisterGauges(t, t.path());
                    Saved s = saved.get(t.key());
                    saved.put(t.key(), new Saved(t.checkpointState(), t.path().toString(), System.currentTimeMillis()));
                    dirty |= s == null || !s.state().equals(t.checkpointState());
                    LOG.info("source={} event=file_released path={} key={} offset={}", id, t.path(), t.key(), t.readOffset());
                }
            }
            readBufferBytes = held;
            if (dirty || System.nanoTime() - nextCheckpoint >= 0) {
                saveCheckpoint();
                nextCheckpoint = System.nanoTime() + CHECKPOINT_EVERY_NANOS;
            }
            if (!progress) {
                ctx.idle(config.pollInterval().toMillis());
            }
        }
    }

    private void discover(Globs globs, boolean firstScan, long now) {
        Set<Path> found = Set.of();
        for (int i = 0; i < MAX_RESCANS; i++) {
            Set<Path> dirs = new HashSet<>();
            found = globs.scan(dirs);
            if (!watcher.watch(dirs)) {
                break; // no new directory: nothing was created before its watch began
            }
        }
        Map<Path, String> keyByPath = new LinkedHashMap<>();
        for (Path p : found) {
            try {
                keyByPath.put(p, FileTail.keyOf(p));
            } catch (NoSuchFileException e) {
                continue;
            } catch (IOException e) {
                LOG.warn("source={} event=stat_failed path={} error=\"{}\"", id, p, e.toString());
            }
        }
        // known files first: a file truncated while hakobu was stopped claims its copy before the
        // copy, if include matches it, could be taken for a new file
        List<Map.Entry<Path, String>> order = new ArrayList<>(keyByPath.entrySet());
        order.sort((a, b) -> Boolean.compare(!saved.containsKey(a.getValue()), !saved.containsKey(b.getValue())));
        Set<String> seen = new HashSet<>();
        for (Map.Entry<Path, String> pk : order) {
            Path p = pk.getKey();
            String key = pk.getValue();
            if (claimedAsCopy(key) != null) {
                continue; // the copy of a truncated file, read as the rest of that file
            }
            if (!seen.add(key)) {
                continue; // another name (hard link, symlink) of a file already taken in this scan
            }
            FileTail t = tails.get(key);
            if (t != null) {
                if (!t.path().equals(p) && !t.isGone()) {
                    // renamed to another watched name: same identity, new path
                    rotations.inc();
                    LOG.info("source={} event=file_renamed path={} was={} key={}", id, p, t.path(), key);
                    unregisterGauges(t, t.path());
                    t.path(p);
                    registerGauges(t);
                } else if (!t.path().equals(p)) {
                    unregisterGauges(t, t.path());
                    t.path(p);
                    registerGauges(t);
                }
                continue;
            }
            Saved s = saved.get(key);
            if (s == null && mayBeACopy(p, key, now)) {
                continue;
            }
            heldBack.remove(key);
            long start = 0;
            if (s == null && firstScan && "end".equals(config.readFrom())) {
                try {
                    start = Files.size(p);
                } catch (IOException e) {
                    continue;
                }
            }
            open(p, key, s == null ? null : s.state(), start, "file_opened");
        }
        heldBack.keySet().retainAll(keyByPath.values());
        for (FileTail t : tails.values()) {
            String k = keyByPath.get(t.path());
            boolean gone = k == null || !k.equals(t.key());
            if (gone && !t.isGone()) {
                rotations.inc();
                LOG.info("source={} event=file_rotated path={} key={} offset={} action=\"read to its end, then let go\"",
                        id, t.path(), t.key(), t.readOffset());
            }
            t.gone(gone, now);
        }
    }

    /**
     * Whether the new file {@code p} starts with the same bytes as a file being read (not itself):
     * it may be that file's copy, made by copytruncate just before the truncation. It is held back
     * for the copy grace, so that the truncation, once seen, finds the copy unread and reads from it
     * only what is missing; a file still unclaimed then is opened as a new file.
     */
    private boolean mayBeACopy(Path p, String key, long now) {
        Long until = heldBack.get(key);
        if (until != null) {
            return now - until < 0;
        }
        byte[] head;
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            head = Fingerprint.head(ch, config.fingerprintBytes());
        } catch (IOException e) {
            return false;
        }
        for (FileTail t : tails.values()) {
            Fingerprint.Value fp = t.fingerprint();
            if (fp.len() > 0 && !t.key().equals(key) && Fingerprint.matches(head, fp)) {
                heldBack.put(key, now + shared.copyGraceNanos());
                LOG.info("source={} event=possible_copy_held_back path={} like={} key={} grace_ms={}", id, p, t.path(), key,
                        shared.copyGraceNanos() / 1_000_000);
                return true;
            }
        }
        return false;
    }

    /** The tail reading (or having read, not yet acknowledged) the file {@code key} as its copy, or null. */
    private FileTail claimedAsCopy(String key) {
        for (FileTail t : tails.values()) {
            if (key.equals(t.copyKey())) {
                return t;
            }
        }
        return null;
    }

    private static boolean compressed(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (String ext : COMPRESSED) {
            if (n.endsWith(ext)) {
                return true;
            }
        }
        return false;
    }

    /** The copies of truncated files: found in the file's directory, remembered once read. */
    private final class Copies implements FileTail.CopyFinder {
        @Override
        public FileTail.Copy find(Path original, String key, Fingerprint.Value fingerprint, long minSize, byte[] tail) {
            return findCopy(original, key, fingerprint, minSize, tail);
        }

        @Override
        public void copyRead(FileTail.Copy copy, FileTail.State covered) {
            saved.put(copy.key(), new Saved(covered, copy.path().toString(), System.currentTimeMillis()));
            dirty = true;
        }
    }

    /**
     * The copy of {@code original} (device and inode {@code key}) truncated after {@code minSize}
     * bytes were read, the last of them {@code tail}: among the regular files of its directory
     * (whatever {@code include} and {@code exclude} say), not compressed (by name: {@link #COMPRESSED};
     * and the first bytes must match anyway), not the file itself under another name (a hard link,
     * or the file renamed by a rename rotation: same device and inode), not a file read to its end
     * before (an earlier copy), at least {@code minSize} long, starting with the fingerprinted
     * bytes and holding {@code tail} just before {@code minSize}: the most recently modified one.
     * A matching file that this source reads as a file of its own (include matches it) is not read
     * again: {@link FileTail.Copy#TRACKED}.
     */
    private FileTail.Copy findCopy(Path original, String key, Fingerprint.Value fingerprint, long minSize, byte[] tail) {
        Path dir = original.toAbsolutePath().getParent();
        if (dir == null || fingerprint.len() == 0) {
            return FileTail.Copy.NONE;
        }
        Path best = null;
        String bestKey = null;
        FileChannel bestChannel = null;
        long bestTime = Long.MIN_VALUE;
        boolean tracked = false;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path candidate : (Iterable<Path>) files::iterator) {
                if (candidate.equals(original) || compressed(candidate.getFileName().toString())) {
                    continue;
                }
                FileChannel ch = null;
                try {
                    BasicFileAttributes a = Files.readAttributes(candidate, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    if (!a.isRegularFile() || a.size() < minSize || a.size() < fingerprint.len()) {
                        continue;
                    }
                    String k = FileTail.keyOf(candidate);
                    if (k.equals(key)) {
                        continue; // the truncated file itself, under another name
                    }
                    ch = FileChannel.open(candidate, StandardOpenOption.READ);
                    byte[] head = Fingerprint.head(ch, Math.max(fingerprint.len(), config.fingerprintBytes()));
                    if (!Fingerprint.matches(head, fingerprint) || !holds(ch, minSize, tail)) {
                        continue;
                    }
                    Saved s = saved.get(k);
                    if (s != null && !tails.containsKey(k) && s.state().offset() >= a.size()
                            && s.state().fingerprint().len() > 0 && Fingerprint.matches(head, s.state().fingerprint())) {
                        continue; // read to its end before (an earlier copy, or a rotated file), not a reused inode
                    }
                    if (tails.containsKey(k) || claimedAsCopy(k) != null) {
                        tracked = true; // read as a file of its own, or another file's copy
                        continue;
                    }
                    long time = a.lastModifiedTime().toMillis();
                    if (bestChannel == null || time > bestTime) {
                        FileChannel previous = bestChannel;
                        best = candidate;
                        bestKey = k;
                        bestChannel = ch;
                        bestTime = time;
                        ch = previous; // closed below
                    }
                } catch (IOException e) {
                    // vanished or unreadable: not a copy we can read
                } finally {
                    closeQuietly(ch);
                }
            }
        } catch (IOException e) {
            LOG.warn("source={} event=list_failed dir={} error=\"{}\"", id, dir, e.toString());
        }
        if (bestChannel != null) {
            return new FileTail.Copy(best, bestKey, bestChannel);
        }
        return tracked ? FileTail.Copy.TRACKED : FileTail.Copy.NONE;
    }

    /** Whether the bytes of {@code ch} just before {@code end} are {@code tail} (true for none). */
    private static boolean holds(FileChannel ch, long end, byte[] tail) throws IOException {
        if (tail == null || tail.length == 0) {
            return true;
        }
        ByteBuffer b = ByteBuffer.allocate(tail.length);
        long at = end - tail.length;
        while (b.hasRemaining()) {
            int n = ch.read(b, at + b.position());
            if (n <= 0) {
                return false;
            }
        }
        return Arrays.equals(b.array(), tail);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch == null) {
            return;
        }
        try {
            ch.close();
        } catch (IOException e) {
            LOG.debug("close failed", e);
        }
    }

    private FileTail open(Path p, String key, FileTail.State state, long start, String event) {
        try {
            FileTail t = new FileTail(shared, p, key, state, start);
            tails.put(key, t);
            registerGauges(t);
            dirty = true; // known from now on, even if it is rotated away while hakobu is down
            FileTail.State st = t.checkpointState();
            saved.put(key, new Saved(st, p.toString(), System.currentTimeMillis()));
            LOG.info("source={} event={} path={} key={} offset={} generation={}", id, event, p, key, st.offset(),
                    st.generation());
            return t;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            LOG.warn("source={} event=open_failed path={} error=\"{}\"", id, p, e.toString());
            return null;
        }
    }

    private void registerGauges(FileTail t) {
        String path = t.path().toString();
        metrics.gauge("file_read_bytes", t.bytesGauge, "path", path);
        metrics.gauge("file_read_lines", t.linesGauge, "path", path);
        metrics.gauge("file_lag_bytes", t.lagGauge, "path", path);
    }

    private void unregisterGauges(FileTail t, Path was) {
        String path = was.toString();
        metrics.removeGauge("file_read_bytes", t.bytesGauge, "path", path);
        metrics.removeGauge("file_read_lines", t.linesGauge, "path", path);
        metrics.removeGauge("file_lag_bytes", t.lagGauge, "path", path);
    }

    /**
     * Finishes files that were rotated away (renamed) while hakobu was stopped: a checkpointed file
     * identity that is no longer at its path is looked for among its old directory's files (same
     * device, inode and fingerprint); when found with unread bytes, it is read from the checkpoint to
     * its end and then released, even if {@code include} no longer matches its new name. An identity
     * found nowhere (deleted, or compressed into a new file) is logged: its unread tail, if any,
     * cannot be recovered. A file recovered this way before, and not finished then (hakobu stopped
     * again), is still at its rotated path: it is finished the same way.
     */
    private void recoverRotatedWhileStopped(Globs globs) {
        for (Map.Entry<String, Saved> e : saved.entrySet()) {
            String key = e.getKey();
            Saved s = e.getValue();
            if (s.path().isEmpty()) {
                continue;
            }
            Path was = Path.of(s.path());
            Path found = null;
            try {
                if (Files.exists(was) && FileTail.keyOf(was).equals(key)) {
                    if (globs.matches(was)) {
                        continue; // still where it was: normal discovery resumes it
                    }
                    if (!FileTail.sameContent(was, s.state())) {
                        continue; // another file on a reused inode, not ours to read
                    }
                    found = was; // a rotated file recovered before and not finished
                }
            } catch (IOException ex) {
                continue;
            }
            Path dir = was.getParent();
            if (found == null && dir != null && Files.isDirectory(dir)) {
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path candidate : (Iterable<Path>) files::iterator) {
                        try {
                            if (Files.isRegularFile(candidate) && FileTail.keyOf(candidate).equals(key)
                                    && FileTail.sameContent(candidate, s.state())) {
                                found = candidate;
                                break;
                            }
                        } catch (IOException ex) {
                            // vanished while listing: not our file
                        }
                    }
                } catch (IOException ex) {
                    LOG.warn("source={} event=list_failed dir={} error=\"{}\"", id, dir, ex.toString());
                }
            }
            if (found == null) {
                LOG.info("source={} event=checkpointed_file_gone path={} key={} offset={}", id, was, key, s.state().offset());
                continue;
            }
            try {
                long size = Files.size(found);
                if (size <= s.state().offset()) {
                    continue; // fully read before the stop
                }
            } catch (IOException ex) {
                continue;
            }
            FileTail tail = open(found, key, s.state(), 0, "rotated_file_recovered");
            if (tail != null) {
                rotations.inc();
                tail.gone(true, System.nanoTime()); // read it to its end, then let it go
            }
        }
    }

    private void loadCheckpoint() throws IOException {
        JsonNode state = ctx.checkpoints().load(checkpointName());
        if (state == null) {
            return;
        }
        int version = state.path("state_version").asInt(1);
        if (version > STATE_VERSION) {
            throw new IOException("checkpoint " + checkpointName() + " has state_version " + version + "; this hakobu reads up to "
                    + STATE_VERSION);
        }
        long now = System.currentTimeMillis();
        for (Iterator<Map.Entry<String, JsonNode>> it = state.path("files").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode f = e.getValue();
            int generation = f.path("generation").asInt(0);
            String stream;
            Fingerprint.Value fp = Fingerprint.Value.NONE;
            if (version < 2) {
                stream = "file:" + e.getKey() + (generation == 0 ? "" : "#" + generation); // the name sinks know
            } else {
                stream = f.hasNonNull("stream") ? f.get("stream").asText() : null;
                int fpLen = f.path("fingerprint_bytes").asInt(0);
                if (fpLen > 0) {
                    fp = new Fingerprint.Value(fpLen, Long.parseLong(f.path("fingerprint").asText("0"), 16));
                }
            }
            FileTail.State st = new FileTail.State(generation, stream, f.path("offset").asLong(0), fp);
            saved.put(e.getKey(), new Saved(st, f.path("path").asText(""), f.path("last_seen_ms").asLong(now)));
        }
        LOG.info("source={} event=checkpoint_loaded files={} state_version={}", id, saved.size(), version);
    }

    private synchronized void saveCheckpoint() {
        long now = System.currentTimeMillis();
        boolean changed = dirty;
        dirty = false;
        for (FileTail t : tails.values()) {
            FileTail.State st = t.checkpointState();
            Saved before = saved.get(t.key());
            if (before == null || !before.state().equals(st) || !before.path().equals(t.path().toString())) {
                saved.put(t.key(), new Saved(st, t.path().toString(), now));
                changed = true;
            }
        }
        long forgetMs = config.forgetAfter().toMillis();
        for (Iterator<Map.Entry<String, Saved>> it = saved.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Saved> e = it.next();
            if (!tails.containsKey(e.getKey()) && now - e.getValue().lastSeenMs() > forgetMs) {
                LOG.info("source={} event=checkpoint_forgotten path={} key={} offset={} reason=\"not watched for forget_after\"",
                        id, e.getValue().path(), e.getKey(), e.getValue().state().offset());
                it.remove();
                changed = true;
            }
        }
        if (!changed) {
            return;
        }
        ObjectNode state = ctx.checkpoints().json().createObjectNode();
        state.put("state_version", STATE_VERSION);
        ObjectNode files = state.putObject("files");
        for (Map.Entry<String, Saved> e : saved.entrySet()) {
            FileTail.State st = e.getValue().state();
            ObjectNode f = files.putObject(e.getKey());
            f.put("path", e.getValue().path());
            f.put("generation", st.generation());
            f.put("offset", st.offset());
            if (st.stream() != null) {
                f.put("stream", st.stream());
            }
            f.put("fingerprint_bytes", st.fingerprint().len());
            f.put("fingerprint", Long.toHexString(st.fingerprint().crc()));
            f.put("last_seen_ms", e.getValue().lastSeenMs());
        }
        try {
            ctx.checkpoints().save(checkpointName(), state);
        } catch (IOException e) {
            LOG.error("source={} event=checkpoint_failed error=\"{}\"", id, e.toString());
        }
    }

    private String checkpointName() {
        return "source-" + id;
    }

    @Override
    public void close() {
        if (closed || ctx == null || shared == null) {
            return;
        }
        closed = true;
        saveCheckpoint();
        for (FileTail t : tails.values()) {
            t.closeChannel();
        }
    }
}
