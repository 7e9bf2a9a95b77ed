package io.hakobu.daemon.source.journald;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hakobu.core.codec.JournalExportParser;
import io.hakobu.core.event.EntryId;
import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import io.hakobu.core.pipeline.Batch;
import io.hakobu.core.pipeline.BatchAck;
import io.hakobu.core.pipeline.DeliveryStatus;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.OrderedAcker;
import io.hakobu.core.pipeline.Source;
import io.hakobu.core.pipeline.SourceContext;
import io.hakobu.core.telemetry.Counter;
import io.hakobu.daemon.source.LineEntries;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code type: journald}: reads the systemd journal through a
 * {@code journalctl -o export --all --follow --merge} subprocess and parses its Export Format
 * ({@link JournalExportParser}).
 *
 * <h2>Why a subprocess</h2>
 * libsystemd reads journal files through {@code mmap}; a file truncated or vacuumed under a reader
 * raises SIGBUS, which in a JVM (through JNA) kills the whole process. A crashing journalctl only
 * ends a pipe: the source logs its stderr and starts it again with a backoff. Backpressure is free:
 * when the sinks are full the source stops reading the pipe and journalctl blocks in its write.
 *
 * <h2>Positions</h2>
 * The checkpoint ({@code checkpoints/source-<id>.json}) holds the journal cursor of the newest
 * entry such that it and everything read before it was acknowledged by every sink (an
 * {@link OrderedAcker} over cursors), plus the machine id of that entry. An entry's stream is
 * {@code journal:<seqnum id>} and its position its sequence number (both from its cursor), so
 * {@code __ID} is the same every time the entry is read again, by any reader.
 *
 * <h2>Resuming</h2>
 * The reader starts at the saved cursor <em>inclusive</em> ({@code --cursor}) and drops every
 * entry whose sequence number is at or below the last one read in its sequence (so the cursor's own
 * entry). {@code --after-cursor} is not used: when the cursor's entry has been vacuumed it silently
 * skips the oldest entry that remains. Before starting, the journal's file headers tell whether
 * the cursor's sequence still exists, and where it now begins:
 * <ul>
 *   <li>it begins after the cursor's entry: the journal was vacuumed while hakobu was behind. The
 *       entries in between are counted as lost ({@code journal_entries_lost_total}, exact, from
 *       sequence numbers) and logged ({@code event=journal_gap}); reading resumes at the oldest
 *       entry;</li>
 *   <li>the sequence is gone, but the cursor's boot or machine is in the journal: our own journal,
 *       vacuumed past the whole sequence; the gap's size is unknown (logged, counted in
 *       {@code journal_gaps_total}); reading resumes at the oldest entry;</li>
 *   <li>neither: the cursor belongs to another machine or journal (a copied data directory, a
 *       changed {@code directory}); it is logged ({@code event=cursor_foreign}), counted in
 *       {@code journal_cursor_rejected_total} and the source starts as it would without a
 *       checkpoint ({@code since_now}). So does an unparseable cursor or one journalctl rejects;</li>
 *   <li>no journal file at all (an empty or missing directory): the cursor is kept and the source
 *       waits for the first file.</li>
 * </ul>
 * While running, a jump in the sequence numbers of one sequence is a gap too (journalctl drops
 * a file deleted before it read it), counted the same way, unless filters are set (then jumps are
 * expected).
 *
 * <p>Thread contract: {@link #run} on the source thread; {@link #close} after it returned. The
 * acknowledged position is written by sink threads (through the acker) and read by both.
 */
final class JournaldSource implements Source {
    private static final Logger LOG = LoggerFactory.getLogger(JournaldSource.class);
    static final String STREAM_PREFIX = "journal:";
    private static final long CHECKPOINT_EVERY_NANOS = 1_000_000_000L;
    private static final long BACKOFF_MIN_MS = 250;
    private static final long BACKOFF_MAX_MS = 30_000;
    private static final long WAIT_FOR_JOURNAL_MS = 1_000;
    private static final int MAX_TRACKED_SEQUENCES = 4_096;
    private static final int MAX_STDERR_LINE = 2_000;
    /** A batch is emitted once its entries reach this many bytes, whatever {@code batch_events} says. */
    private static final long MAX_BATCH_BYTES = 8L << 20;

    /** An acknowledged position: the cursor and the machine id of its entry (may be null). */
    record Position(String cursor, String machineId) {
    }

    /** How one journalctl run ended. */
    private record Outcome(long entries, int exitCode, boolean cursorRejected) {
    }

    private final String id;
    private final JournaldSourceConfig config;
    private final NodeInfo node;
    private final Journalctl journalctl;
    private final OrderedAcker<Position> acker;
    private volatile Position acked;
    private Position saved;
    private SourceContext ctx;
    private volatile boolean closed;
    private volatile Process process;
    /** 1 while the journal (directory) is missing, or empty with a cursor to resume from. */
    private volatile int waitingForFiles;

    /** Last sequence number read (emitted or skipped by a filter) per sequence id. */
    private final Map<String, Long> lastSeqnum = lru();
    private final Map<String, String> lastBoot = lru();
    private final Map<String, EntryId> ids = lru();
    private String bootFilter;

    private List<LogEntry> batch = new ArrayList<>();
    private long batchBytes;
    /** Cursor of the newest entry read that is not a re-read, and its machine id. */
    private String lastReadCursor;
    private String lastReadMachine;
    private String lastRegistered;
    private long nextCheckpoint;

    private Counter bytesRead;
    private Counter lost;
    private Counter gaps;
    private Counter cursorRejected;
    private Counter restarts;
    private Counter skippedReread;
    private Counter skippedBoot;
    private Counter truncated;

    JournaldSource(String id, JournaldSourceConfig config, NodeInfo node) {
        this.id = id;
        this.config = config;
        this.node = node;
        this.journalctl = new Journalctl(config);
        this.acker = new OrderedAcker<>(p -> acked = p);
    }

    private static <V> Map<String, V> lru() {
        return new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > MAX_TRACKED_SEQUENCES;
            }
        };
    }

    @Override
    public void run(SourceContext ctx) throws Exception {
        this.ctx = ctx;
        bytesRead = ctx.metrics().counter("bytes_read_total");
        lost = ctx.metrics().counter("journal_entries_lost_total");
        gaps = ctx.metrics().counter("journal_gaps_total");
        cursorRejected = ctx.metrics().counter("journal_cursor_rejected_total");
        restarts = ctx.metrics().counter("journal_reader_restarts_total");
        skippedReread = ctx.metrics().counter("journal_entries_skipped_total", "reason", "already_read");
        skippedBoot = ctx.metrics().counter("journal_entries_skipped_total", "reason", "other_boot");
        truncated = ctx.metrics().counter("journal_entries_truncated_total");
        ctx.metrics().gauge("journal_waiting_for_files", () -> waitingForFiles);

        Position start = loadCheckpoint();
        acked = start;
        saved = start;
        String resume = start == null ? null : start.cursor();
        String machine = start == null ? null : start.machineId();
        if (config.currentBootOnly()) {
            try {
                bootFilter = currentBoot();
            } catch (IOException e) {
                LOG.warn("source={} event=boot_unknown error=\"{}\" action=use_the_boot_of_the_first_entry", id,
                        e.getMessage());
            }
        }
        long backoff = BACKOFF_MIN_MS;
        boolean waitingLogged = false;
        nextCheckpoint = System.nanoTime() + CHECKPOINT_EVERY_NANOS;
        while (!ctx.isStopping()) {
            String cursor;
            try {
                if (!journalctl.journalPresent()) {
                    waitingForFiles = 1;
                    if (!waitingLogged) {
                        LOG.info("source={} event=journal_missing directory={} action=wait", id, config.directory());
                        waitingLogged = true;
                    }
                    ctx.idle(WAIT_FOR_JOURNAL_MS);
                    continue;
                }
                StartPoint sp = startPoint(resume, machine);
                if (sp.waitForFiles) {
                    waitingForFiles = 1;
                    if (!waitingLogged) {
                        LOG.info("source={} event=journal_empty directory={} cursor={} action=wait_for_first_file",
                                id, config.directory(), resume);
                        waitingLogged = true;
                    }
                    ctx.idle(WAIT_FOR_JOURNAL_MS);
                    continue;
                }
                waitingLogged = false;
                waitingForFiles = 0;
                cursor = sp.cursor;
            } catch (IOException e) {
                LOG.warn("source={} event=journal_query_failed error=\"{}\" retry_in_ms={}", id, e.getMessage(), backoff);
                ctx.idle(backoff);
                backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
                continue;
            }
            Outcome o;
            try {
                o = follow(cursor);
            } catch (IOException e) {
                LOG.warn("source={} event=reader_failed error=\"{}\"", id, e.getMessage());
                o = new Outcome(0, -1, false);
            }
            if (ctx.isStopping()) {
                break;
            }
            if (o.cursorRejected && o.entries == 0 && cursor != null && cursor.equals(resume)) {
                LOG.error("source={} event=cursor_rejected cursor={} action=start_as_without_checkpoint since_now={}",
                        id, cursor, config.sinceNow());
                cursorRejected.inc();
                resume = null;
                machine = null;
                continue;
            }
            backoff = o.entries > 0 ? BACKOFF_MIN_MS : backoff;
            restarts.inc();
            LOG.warn("source={} event=reader_exited exit_code={} entries={} restart_in_ms={}", id, o.exitCode, o.entries,
                    backoff);
            ctx.idle(backoff);
            backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
            if (lastReadCursor != null) {
                resume = lastReadCursor;
                machine = lastReadMachine;
            } else {
                resume = cursor;
            }
        }
    }

    /** Where a reader starts: a cursor (inclusive) or the oldest entry (null), or wait for files. */
    private record StartPoint(String cursor, boolean waitForFiles) {
    }

    private StartPoint startPoint(String resume, String machine) throws IOException, InterruptedException {
        if (resume == null) {
            return firstStart();
        }
        JournalCursor c = JournalCursor.parse(resume);
        if (c == null) {
            LOG.error("source={} event=cursor_invalid cursor=\"{}\" action=start_as_without_checkpoint since_now={}", id,
                    resume, config.sinceNow());
            cursorRejected.inc();
            return firstStart();
        }
        List<Journalctl.FileHeader> headers = journalctl.headers();
        if (headers.stream().noneMatch(h -> h.headSeqnum() > 0)) {
            return new StartPoint(null, true); // no entry anywhere: nothing to compare the cursor with yet
        }
        long head = Long.MAX_VALUE;
        for (Journalctl.FileHeader h : headers) {
            if (h.seqnumId().equals(c.seqnumId()) && h.headSeqnum() > 0) {
                head = Math.min(head, h.headSeqnum());
            }
        }
        if (head != Long.MAX_VALUE) {
            if (head > c.seqnum() + 1) {
                gap(c.seqnumId(), head - c.seqnum() - 1, "vacuumed", c.seqnum(), head);
            }
            noteRead(c.seqnumId(), Math.max(c.seqnum(), head - 1));
            return new StartPoint(resume, false);
        }
        Set<String> boots = journalctl.uniqueValues("_BOOT_ID");
        Set<String> machines = journalctl.uniqueValues("_MACHINE_ID");
        if (boots.contains(c.bootId()) || (machine != null && machines.contains(machine.toLowerCase(Locale.ROOT)))) {
            gaps.inc();
            LOG.warn("source={} event=journal_gap seqnum_id={} lost=unknown reason=sequence_vacuumed after_seqnum={} "
                    + "action=resume_at_oldest_entry", id, c.seqnumId(), c.seqnum());
            return new StartPoint(null, false);
        }
        cursorRejected.inc();
        LOG.error("source={} event=cursor_foreign cursor={} machine_id={} reason=\"neither its sequence, boot nor machine "
                + "is in this journal: it comes from another machine or journal\" action=start_as_without_checkpoint "
                + "since_now={}", id, resume, machine, config.sinceNow());
        return firstStart();
    }

    /** Where to start without a (usable) checkpoint: the oldest entry, or after the newest one with {@code since_now}. */
    private StartPoint firstStart() throws IOException, InterruptedException {
        if (!config.sinceNow()) {
            return new StartPoint(null, false);
        }
        LogEntry newest = journalctl.newestEntry();
        JournalCursor c = newest == null ? null : JournalCursor.parse(newest.getString(Fields.CURSOR));
        if (c == null) {
            LOG.info("source={} event=start_at_end cursor=none reason=journal_empty", id);
            return new StartPoint(null, false);
        }
        noteRead(c.seqnumId(), c.seqnum());
        String machine = newest.getString("_MACHINE_ID");
        // checkpoint it at once: entries written from now on must not be skipped after a crash
        Position p = new Position(c.text(), machine);
        acker.register(p).complete(DeliveryStatus.DELIVERED);
        lastRegistered = c.text();
        saveCheckpoint();
        LOG.info("source={} event=start_at_end cursor={}", id, c.text());
        return new StartPoint(c.text(), false);
    }

    private void noteRead(String seqnumId, long seqnum) {
        Long before = lastSeqnum.get(seqnumId);
        if (before == null || before < seqnum) {
            lastSeqnum.put(seqnumId, seqnum);
        }
    }

    private void gap(String seqnumId, long count, String reason, long afterSeqnum, long resumedAt) {
        lost.add(count);
        gaps.inc();
        LOG.warn("source={} event=journal_gap seqnum_id={} lost={} reason={} after_seqnum={} resumed_at_seqnum={}",
                id, seqnumId, count, reason, afterSeqnum, resumedAt);
    }

    /** Runs journalctl from {@code cursor} (inclusive; null: the oldest entry) until it ends or the source stops. */
    private Outcome follow(String cursor) throws IOException, InterruptedException {
        List<String> cmd = journalctl.followCommand(cursor, bootFilter);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("SYSTEMD_PAGER", "");
        pb.environment().put("SYSTEMD_COLORS", "0");
        Process p = pb.start();
        process = p;
        LOG.info("source={} event=reader_started pid={} cursor={} command=\"{}\"", id, p.pid(), cursor,
                String.join(" ", cmd));
        boolean[] cursorError = new boolean[1];
        Thread stderr = new Thread(() -> logStderr(p, cursorError), "journald-" + id + "-stderr");
        stderr.setDaemon(true);
        stderr.start();
        long entries = 0;
        // journalctl refills the pipe within a millisecond or two while it has entries to write:
        // wait 1 ms, then 2, 4, ... up to poll_interval, and start again at 1 ms after data
        long idleMs = 1;
        try {
            p.getOutputStream().close();
            InputStream in = p.getInputStream();
            JournalExportParser parser = new JournalExportParser(in, config.maxFieldBytes(), config.maxEntryBytes());
            try {
                while (!ctx.isStopping()) {
                    if (parser.hasBuffered() || in.available() > 0) {
                        LogEntry e = parser.next();
                        if (e == null) {
                            break;
                        }
                        entries++;
                        idleMs = 1;
                        accept(e, parser.lastEntryBytes());
                        if (batchFull()) {
                            flush();
                        }
                        maybeCheckpoint();
                        continue;
                    }
                    flush();
                    maybeCheckpoint();
                    if (!p.isAlive()) {
                        LogEntry e;
                        while ((e = parser.next()) != null) { // what it wrote before it ended
                            entries++;
                            accept(e, parser.lastEntryBytes());
                            if (batchFull()) {
                                flush();
                            }
                        }
                        break;
                    }
                    ctx.idle(idleMs);
                    idleMs = Math.min(Math.max(1, config.pollInterval().toMillis()), idleMs * 2);
                }
            } catch (JournalExportParser.JournalFormatException | java.io.EOFException e) {
                LOG.warn("source={} event=reader_output_invalid error=\"{}\" action=restart_from_last_entry", id, e.getMessage());
            }
            flush();
        } finally {
            stopProcess(p);
            stderr.join(2_000);
        }
        int exit = p.isAlive() ? -1 : p.exitValue();
        synchronized (cursorError) {
            return new Outcome(entries, exit, cursorError[0]);
        }
    }

    private void logStderr(Process p, boolean[] cursorError) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.length() > MAX_STDERR_LINE) {
                    line = line.substring(0, MAX_STDERR_LINE) + "…";
                }
                if (line.toLowerCase(Locale.ROOT).contains("cursor")) {
                    synchronized (cursorError) {
                        cursorError[0] = true;
                    }
                }
                LOG.warn("source={} event=journalctl_stderr pid={} message=\"{}\"", id, p.pid(), line.replace("\"", "'"));
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    /** Adds one entry read from journalctl to the batch (or skips it); updates the read position. */
    private void accept(LogEntry e, int rawBytes) {
        bytesRead.add(rawBytes);
        String cursorText = e.getString(Fields.CURSOR);
        JournalCursor c = JournalCursor.parse(cursorText);
        String stream = null;
        long seqnum = -1;
        if (c != null) {
            Long last = lastSeqnum.get(c.seqnumId());
            if (last != null && c.seqnum() <= last) {
                skippedReread.inc(); // the resume cursor's own entry, or one already read before a restart
                return;
            }
            if (last != null && c.seqnum() > last + 1 && !config.filtered()) {
                gap(c.seqnumId(), c.seqnum() - last - 1, "sequence_jump", last, c.seqnum());
            }
            lastSeqnum.put(c.seqnumId(), c.seqnum());
            String before = lastBoot.put(c.seqnumId(), c.bootId());
            if (before != null && !before.equals(c.bootId())) {
                LOG.info("source={} event=new_boot seqnum_id={} boot_id={} previous_boot_id={}", id, c.seqnumId(),
                        c.bootId(), before);
            }
            lastReadCursor = cursorText;
            String machine = e.getString("_MACHINE_ID");
            if (machine != null) {
                lastReadMachine = machine;
            }
            stream = STREAM_PREFIX + c.seqnumId();
            seqnum = c.seqnum();
            if (config.currentBootOnly()) {
                if (bootFilter == null) {
                    bootFilter = c.bootId();
                    LOG.info("source={} event=boot_selected boot_id={}", id, bootFilter);
                }
                if (!bootFilter.equals(c.bootId())) {
                    skippedBoot.inc();
                    return;
                }
            }
        }
        Object rt = e.get(Fields.REALTIME_TIMESTAMP);
        long micros;
        try {
            micros = Long.parseLong(String.valueOf(rt));
            e.set(Fields.REALTIME_TIMESTAMP, micros);
        } catch (NumberFormatException ex) {
            e.add(Fields.REALTIME_TIMESTAMP, System.currentTimeMillis() * 1000L);
        }
        if (!e.has(Fields.HOSTNAME)) {
            e.add(Fields.HOSTNAME, node.name());
        }
        e.add(Fields.SOURCE, id);
        if (stream != null) {
            EntryId ids = this.ids.computeIfAbsent(stream, k -> new EntryId(node.name(), id, k));
            e.add(Fields.ID, ids.of(seqnum));
            e.origin(stream, seqnum);
        }
        if (e.has(Fields.TRUNCATED)) {
            truncated.inc();
        }
        int size = LineEntries.heapEstimate(rawBytes, e.size());
        e.sizeEstimate(size);
        batch.add(e);
        batchBytes += size;
    }

    private boolean batchFull() {
        return batch.size() >= config.batchEvents() || batchBytes >= MAX_BATCH_BYTES;
    }

    /** Emits the batch (or records the position of entries read but filtered out). */
    private void flush() throws InterruptedException {
        if (lastReadCursor == null) {
            if (!batch.isEmpty()) { // entries without a cursor (never from journalctl): no position to record
                List<LogEntry> out = batch;
                long bytes = batchBytes;
                batch = new ArrayList<>();
                batchBytes = 0;
                ctx.emit(new Batch(id, out, bytes, BatchAck.none()));
            }
            return;
        }
        Position p = new Position(lastReadCursor, lastReadMachine);
        if (!batch.isEmpty()) {
            BatchAck ack = acker.register(p);
            List<LogEntry> out = batch;
            long bytes = batchBytes;
            batch = new ArrayList<>();
            batchBytes = 0;
            lastRegistered = lastReadCursor;
            ctx.emit(new Batch(id, out, bytes, ack)); // false when stopping: its ack never completes
        } else if (!lastReadCursor.equals(lastRegistered)) {
            acker.register(p).complete(DeliveryStatus.DELIVERED);
            lastRegistered = lastReadCursor;
        }
    }

    private void maybeCheckpoint() {
        if (System.nanoTime() - nextCheckpoint >= 0) {
            saveCheckpoint();
            nextCheckpoint = System.nanoTime() + CHECKPOINT_EVERY_NANOS;
        }
    }

    /** The boot to keep with {@code current_boot_only}; null when it is to be the first one read. */
    private String currentBoot() throws IOException, InterruptedException {
        if (config.directory() == null) {
            Path p = Path.of("/proc/sys/kernel/random/boot_id");
            if (Files.isReadable(p)) {
                return Files.readString(p).trim().replace("-", "").toLowerCase(Locale.ROOT);
            }
            return null;
        }
        if (!journalctl.journalPresent()) {
            return null;
        }
        LogEntry newest = journalctl.newestEntry();
        JournalCursor c = newest == null ? null : JournalCursor.parse(newest.getString(Fields.CURSOR));
        if (c != null) {
            LOG.info("source={} event=boot_selected boot_id={}", id, c.bootId());
        }
        return c == null ? null : c.bootId();
    }

    private Position loadCheckpoint() throws IOException {
        JsonNode state = ctx.checkpoints().load(checkpointName());
        if (state == null) {
            return null;
        }
        String cursor = state.path("cursor").asText(null);
        if (cursor == null || cursor.isEmpty()) {
            return null;
        }
        String machine = state.path("machine_id").asText(null);
        LOG.info("source={} event=checkpoint_loaded cursor={}", id, cursor);
        return new Position(cursor, machine);
    }

    private synchronized void saveCheckpoint() {
        Position p = acked;
        if (p == null || p.equals(saved) || ctx == null) {
            return;
        }
        ObjectNode state = ctx.checkpoints().json().createObjectNode();
        state.put("cursor", p.cursor());
        if (p.machineId() != null) {
            state.put("machine_id", p.machineId());
        }
        JournalCursor c = JournalCursor.parse(p.cursor());
        if (c != null) {
            state.put("seqnum_id", c.seqnumId());
            state.put("seqnum", c.seqnum());
            state.put("boot_id", c.bootId());
        }
        try {
            ctx.checkpoints().save(checkpointName(), state);
            saved = p;
        } catch (IOException e) {
            LOG.error("source={} event=checkpoint_failed error=\"{}\"", id, e.toString());
        }
    }

    private String checkpointName() {
        return "source-" + id;
    }

    private void stopProcess(Process p) throws InterruptedException {
        if (p == null) {
            return;
        }
        if (p.isAlive()) {
            p.destroy();
            if (!p.waitFor(2, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (Objects.equals(process, p)) {
            process = null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (closed) {
            return;
        }
        closed = true;
        stopProcess(process);
        saveCheckpoint();
    }
}
