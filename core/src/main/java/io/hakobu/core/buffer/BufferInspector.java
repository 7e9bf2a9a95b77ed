package io.hakobu.core.buffer;

import io.hakobu.core.event.LogEntry;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Offline, read-only views of a disk buffer directory, for {@code hakobu buffer list|verify|dump|replay}.
 * Nothing here modifies a file: the daemon's recovery is what repairs a buffer.
 */
public final class BufferInspector {
    /** Added to entries recovered from a damaged record by {@link #replayQuarantined}. */
    public static final String SALVAGED_FIELD = "_BUFFER_SALVAGED";

    private BufferInspector() { }

    /** One segment file and what its scan found. */
    public record SegmentReport(Path path, SegmentFile.Scan scan) {
        public String name() {
            return path.getFileName().toString();
        }
    }

    /**
     * A whole buffer directory.
     *
     * @param ackedSeq the ledger's acknowledged record sequence number
     * @param live the segments the daemon reads, in order
     * @param quarantined copies of damaged segments in {@code quarantine/}
     */
    public record Report(Path dir, long ackedSeq, List<SegmentReport> live, List<SegmentReport> quarantined) {
        /**
         * True when every live segment is intact. A torn tail in the last segment does not count:
         * it is what a crash during a write leaves, those records were never acknowledged to a
         * source, and the daemon truncates it when it starts.
         */
        public boolean liveClean() {
            for (int i = 0; i < live.size(); i++) {
                SegmentFile.Scan s = live.get(i).scan();
                boolean last = i == live.size() - 1;
                if (!s.headerOk() && !(last && s.size() < SegmentFile.HEADER_BYTES) || !s.damage().isEmpty()
                        || s.tornTailOffset() >= 0 && !last) {
                    return false;
                }
            }
            return true;
        }

        public long unackedEntries() {
            return unacked().mapToLong(SegmentFile.RecordInfo::entries).sum();
        }

        public long unackedRecords() {
            return unacked().count();
        }

        private java.util.stream.Stream<SegmentFile.RecordInfo> unacked() {
            return live.stream().flatMap(s -> s.scan().records().stream()).filter(r -> r.seq() > ackedSeq);
        }
    }

    public static Report inspect(Path dir) throws IOException {
        long acked = Ledger.read(dir.resolve("ledger"));
        List<SegmentReport> live = new ArrayList<>();
        for (Map.Entry<Long, Path> e : DiskBuffer.listSegments(dir).entrySet()) {
            live.add(new SegmentReport(e.getValue(), SegmentFile.scan(e.getValue(), e.getKey())));
        }
        List<SegmentReport> quarantined = new ArrayList<>();
        Path q = dir.resolve("quarantine");
        if (Files.isDirectory(q)) {
            TreeMap<String, Path> files = new TreeMap<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(q)) {
                for (Path p : ds) {
                    String n = p.getFileName().toString();
                    if (!n.endsWith(".json") && n.contains(SegmentFile.SUFFIX)) {
                        files.put(n, p);
                    }
                }
            }
            for (Path p : files.values()) {
                String n = p.getFileName().toString();
                long base = SegmentFile.baseOf(n.substring(0, Math.min(n.length(), 20 + SegmentFile.SUFFIX.length())));
                quarantined.add(new SegmentReport(p, SegmentFile.scan(p, Math.max(base, 0))));
            }
        }
        return new Report(dir, acked, List.copyOf(live), List.copyOf(quarantined));
    }

    /** Receives entries with the sequence number of the record they came from. */
    @FunctionalInterface
    public interface EntryConsumer {
        void accept(long recordSeq, LogEntry entry) throws IOException;
    }

    /**
     * Decodes the live segments' records with sequence numbers in {@code [fromSeq, toSeq]} and,
     * unless {@code includeAcked}, above the ledger.
     *
     * @return the number of entries passed on
     */
    public static long dump(Path dir, long fromSeq, long toSeq, boolean includeAcked, EntryConsumer out) throws IOException {
        Report report = inspect(dir);
        long n = 0;
        RecordCodec codec = new RecordCodec();
        for (SegmentReport s : report.live()) {
            byte[] all = Files.readAllBytes(s.path());
            for (SegmentFile.RecordInfo r : s.scan().records()) {
                if (r.seq() < fromSeq || r.seq() > toSeq || !includeAcked && r.seq() <= report.ackedSeq()) {
                    continue;
                }
                byte[] payload = java.util.Arrays.copyOfRange(all, (int) r.offset() + SegmentFile.FRAME_BYTES,
                        (int) r.offset() + SegmentFile.FRAME_BYTES + r.length());
                try {
                    for (LogEntry e : codec.decode(payload, payload.length).entries()) {
                        out.accept(r.seq(), e);
                        n++;
                    }
                } catch (CorruptRecordException e) {
                    throw new IOException(s.name() + " record " + r.seq() + ": " + e.getMessage(), e);
                }
            }
        }
        return n;
    }

    /**
     * The entries that can be recovered from the damaged regions of quarantined segments (the
     * good records in them were delivered from the repaired segment). Each carries
     * {@value #SALVAGED_FIELD}{@code =true}: a value may hold a damaged byte.
     *
     * @return the number of entries passed on
     */
    public static long replayQuarantined(Path dir, EntryConsumer out) throws IOException {
        Report report = inspect(dir);
        long n = 0;
        RecordCodec codec = new RecordCodec();
        for (SegmentReport s : report.quarantined()) {
            byte[] all = Files.readAllBytes(s.path());
            List<long[]> regions = new ArrayList<>();
            for (SegmentFile.Damage d : s.scan().damage()) {
                regions.add(new long[] {d.offset(), d.offset() + d.length()});
            }
            if (s.scan().tornTailOffset() >= 0) {
                regions.add(new long[] {s.scan().tornTailOffset(), all.length});
            }
            for (long[] region : regions) {
                int start = (int) region[0];
                int end = (int) region[1];
                if (end - start < SegmentFile.FRAME_BYTES) {
                    continue;
                }
                int payloadStart = start + SegmentFile.FRAME_BYTES;
                byte[] payload = java.util.Arrays.copyOfRange(all, payloadStart, end);
                long seq = payload.length >= 8 ? RecordCodec.seqOf(payload, 0) : -1;
                List<LogEntry> entries = new ArrayList<>();
                codec.salvage(payload, payload.length, entries);
                for (LogEntry e : entries) {
                    e.add(SALVAGED_FIELD, Boolean.TRUE);
                    out.accept(seq, e);
                    n++;
                }
            }
        }
        return n;
    }
}
