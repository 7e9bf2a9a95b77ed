package io.hakobu.daemon.source.file;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hakobu.core.codec.Parsers;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Source;
import io.hakobu.core.pipeline.SourceContext;
import io.hakobu.core.telemetry.Counter;
import io.hakobu.daemon.source.LineEntries;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code type: file}: reads every file matched by {@code include} to its end and follows appends.
 *
 * <p>Files are identified by device and inode, so a renamed file keeps its position. The
 * checkpoint ({@code checkpoints/source-<id>.json}) maps each identity to the offset just after
 * the last line whose entry every sink acknowledged; it is saved at most once a second while
 * running and once more at close. After a crash the source resumes at the checkpoint and sinks
 * recognise re-read entries by their position (and {@code __ID}).
 *
 * <p>Rotation, copytruncate, fingerprints and multiline belong to the file source issue; here a
 * file that shrinks below the read offset is read again from 0 (logged), and a file that is gone
 * or replaced is read to its end, then released.
 */
final class FileSource implements Source {
    private static final Logger LOG = LoggerFactory.getLogger(FileSource.class);
    private static final long CHECKPOINT_EVERY_NANOS = 1_000_000_000L;

    private final String id;
    private final FileSourceConfig config;
    private final NodeInfo node;
    private final Map<String, FileTail> tails = new LinkedHashMap<>();
    /** Acknowledged offsets by file key, as last saved or loaded (includes files not open now). */
    private final Map<String, FileTail.Acked> savedOffsets = new HashMap<>();
    private final Map<String, String> savedPaths = new HashMap<>();
    private SourceContext ctx;
    private volatile boolean closed;
    // set once at the start of run(), used by every tail this source opens
    private LineEntries entries;
    private Counter bytesRead;
    private Counter truncations;
    private Counter linesCut;

    FileSource(String id, FileSourceConfig config, NodeInfo node) {
        this.id = id;
        this.config = config;
        this.node = node;
    }

    @Override
    public void run(SourceContext ctx) throws Exception {
        this.ctx = ctx;
        Globs globs = new Globs(config.include(), config.exclude());
        entries = new LineEntries(node.name(), id, Parsers.create(config.format(), config.keepMessage()),
                config.fields(), config.timestamp());
        loadCheckpoint();
        ctx.metrics().gauge("files_watched", () -> tails.size());
        bytesRead = ctx.metrics().counter("bytes_read_total");
        truncations = ctx.metrics().counter("truncations_total");
        linesCut = ctx.metrics().counter("lines_truncated_total");
        recoverRotatedWhileStopped();
        boolean firstScan = true;
        long nextScan = 0;
        long nextCheckpoint = System.nanoTime() + CHECKPOINT_EVERY_NANOS;
        while (!ctx.isStopping()) {
            long now = System.nanoTime();
            if (now - nextScan >= 0) {
                discover(globs, firstScan);
                firstScan = false;
                nextScan = now + config.globInterval().toNanos();
            }
            boolean progress = false;
            for (Iterator<FileTail> it = tails.values().iterator(); it.hasNext() && !ctx.isStopping(); ) {
                FileTail t = it.next();
                int n = t.poll(ctx, config.batchEvents());
                if (n > 0) {
                    progress = true;
                } else if (t.isReleasable()) {
                    t.closeChannel();
                    it.remove();
                    LOG.info("source={} event=file_released path={} key={} offset={}", id, t.path(), t.key(), t.readOffset());
                }
            }
            if (System.nanoTime() - nextCheckpoint >= 0) {
                saveCheckpoint();
                nextCheckpoint = System.nanoTime() + CHECKPOINT_EVERY_NANOS;
            }
            if (!progress) {
                ctx.idle(config.pollInterval().toMillis());
            }
        }
    }
    private FileTail openTail(Path path, String key, int generation, long start) throws IOException {
        return new FileTail(id, path, key, generation, start, entries, config.maxLineBytes(), bytesRead, truncations,
                linesCut);
    }

    private void discover(Globs globs, boolean firstScan) {
        Set<Path> found = globs.scan();
        Map<Path, String> keyByPath = new HashMap<>();
        for (Path p : found) {
            String key;
            try {
                key = FileTail.keyOf(p);
            } catch (NoSuchFileException e) {
                continue;
            } catch (IOException e) {
                LOG.warn("source={} event=stat_failed path={} error=\"{}\"", id, p, e.toString());
                continue;
            }
            keyByPath.put(p, key);
            FileTail t = tails.get(key);
            if (t != null) {
                t.path(p); // renamed: same identity, new path
                continue;
            }
            long start;
            int generation = 0;
            FileTail.Acked saved = savedOffsets.get(key);
            if (saved != null) {
                start = saved.offset();
                generation = saved.generation();
            } else if (firstScan && "end".equals(config.readFrom())) {
                try {
                    start = Files.size(p);
                } catch (IOException e) {
                    continue;
                }
            } else {
                start = 0;
            }
            try {
                tails.put(key, openTail(p, key, generation, start));
                LOG.info("source={} event=file_opened path={} key={} offset={}", id, p, key, start);
            } catch (IOException e) {
                LOG.warn("source={} event=open_failed path={} error=\"{}\"", id, p, e.toString());
            }
        }
        for (FileTail t : tails.values()) {
            String now = keyByPath.get(t.path());
            t.gone(now == null || !now.equals(t.key()));
        }
    }

    /**
     * Finishes files that were rotated away (renamed) while hakobu was stopped: a checkpointed file
     * identity that is no longer at its path is looked for among its old directory's files; when
     * found with unread bytes, it is read from the checkpoint to its end and then released, even
     * if {@code include} no longer matches its new name. An identity found nowhere (deleted, or
     * compressed into a new file) is logged: its unread tail, if any, cannot be recovered.
     */
    private void recoverRotatedWhileStopped() {
        for (Map.Entry<String, String> saved : savedPaths.entrySet()) {
            String key = saved.getKey();
            if (saved.getValue().isEmpty()) {
                continue;
            }
            Path was = Path.of(saved.getValue());
            try {
                if (Files.exists(was) && FileTail.keyOf(was).equals(key)) {
                    continue; // still where it was: normal discovery resumes it
                }
            } catch (IOException e) {
                continue;
            }
            Path dir = was.getParent();
            Path found = null;
            if (dir != null && Files.isDirectory(dir)) {
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path candidate : (Iterable<Path>) files::iterator) {
                        try {
                            if (Files.isRegularFile(candidate) && FileTail.keyOf(candidate).equals(key)) {
                                found = candidate;
                                break;
                            }
                        } catch (IOException e) {
                            // vanished while listing: not our file
                        }
                    }
                } catch (IOException e) {
                    LOG.warn("source={} event=list_failed dir={} error=\"{}\"", id, dir, e.toString());
                }
            }
            FileTail.Acked acked = savedOffsets.get(key);
            if (found == null) {
                LOG.info("source={} event=checkpointed_file_gone path={} key={} offset={}", id, was, key, acked.offset());
                continue;
            }
            try {
                long size = Files.size(found);
                if (size <= acked.offset()) {
                    continue; // fully read before the stop
                }
                FileTail tail = openTail(found, key, acked.generation(), acked.offset());
                tail.gone(true); // read it to its end, then let it go
                tails.put(key, tail);
                LOG.info("source={} event=rotated_file_recovered path={} was={} key={} offset={} size={}",
                        id, found, was, key, acked.offset(), size);
            } catch (IOException e) {
                LOG.warn("source={} event=open_failed path={} error=\"{}\"", id, found, e.toString());
            }
        }
    }

    private void loadCheckpoint() throws IOException {
        JsonNode state = ctx.checkpoints().load(checkpointName());
        if (state == null) {
            return;
        }
        JsonNode files = state.path("files");
        for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            savedOffsets.put(e.getKey(), new FileTail.Acked(e.getValue().path("generation").asInt(0),
                    e.getValue().path("offset").asLong(0)));
            savedPaths.put(e.getKey(), e.getValue().path("path").asText(""));
        }
        LOG.info("source={} event=checkpoint_loaded files={}", id, savedOffsets.size());
    }

    private synchronized void saveCheckpoint() {
        boolean changed = false;
        for (FileTail t : tails.values()) {
            FileTail.Acked acked = t.acked();
            FileTail.Acked before = savedOffsets.put(t.key(), acked);
            String beforePath = savedPaths.put(t.key(), t.path().toString());
            changed |= !acked.equals(before) || !t.path().toString().equals(beforePath);
        }
        if (!changed) {
            return;
        }
        ObjectNode state = ctx.checkpoints().json().createObjectNode();
        ObjectNode files = state.putObject("files");
        for (Map.Entry<String, FileTail.Acked> e : savedOffsets.entrySet()) {
            ObjectNode f = files.putObject(e.getKey());
            f.put("path", savedPaths.getOrDefault(e.getKey(), ""));
            f.put("generation", e.getValue().generation());
            f.put("offset", e.getValue().offset());
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
        if (closed || ctx == null) {
            return;
        }
        closed = true;
        saveCheckpoint();
        for (FileTail t : tails.values()) {
            t.closeChannel();
        }
    }
}
