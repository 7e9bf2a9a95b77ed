package io.hakobu.daemon.cli;

import io.hakobu.core.buffer.BufferInspector;
import io.hakobu.core.buffer.SegmentFile;
import io.hakobu.core.codec.ByteBuilder;
import io.hakobu.core.codec.NdjsonEncoder;
import io.hakobu.core.config.ConfigProblems;
import io.hakobu.daemon.DataDirLock;
import io.hakobu.daemon.config.HakobuConfig;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code hakobu buffer list|verify|dump|replay -c FILE [--sink ID]}: offline, read-only inspection
 * of disk buffers. Takes the data directory's lock, so it refuses to run beside a live daemon.
 */
@Command(name = "buffer", mixinStandardHelpOptions = true,
        description = "Inspect disk buffers offline (the daemon must be stopped): list, verify, dump, replay.",
        subcommands = {BufferCommand.ListCmd.class, BufferCommand.VerifyCmd.class, BufferCommand.DumpCmd.class,
                BufferCommand.ReplayCmd.class})
final class BufferCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, scope = picocli.CommandLine.ScopeType.INHERIT,
            description = "configuration file (YAML)")
    Path config;

    @Option(names = "--sink", scope = picocli.CommandLine.ScopeType.INHERIT,
            description = "only this sink (default: every sink with a disk buffer)")
    String sink;

    @Override
    public Integer call() {
        System.err.println("hakobu buffer: a subcommand is required: list, verify, dump or replay");
        return 1;
    }

    /** The buffers selected by the options, with the data directory locked; null after printing why not. */
    private Selected select() {
        ConfigProblems problems = new ConfigProblems();
        HakobuConfig cfg = ConfigFiles.load(config, problems);
        if (!problems.isEmpty()) {
            problems.all().forEach(System.err::println);
            return null;
        }
        List<Target> targets = new ArrayList<>();
        for (HakobuConfig.SinkSpec s : cfg.sinks().values()) {
            if (sink != null && !sink.equals(s.id())) {
                continue;
            }
            if (!s.buffer().isDisk()) {
                continue; // a memory buffer; a directory left from an earlier disk buffer is picked up below
            }
            targets.add(new Target(s.id(), cfg.dataDir().resolve("buffer").resolve(s.id())));
        }
        // buffers left behind by sinks that are gone from the configuration (or became memory buffers)
        Path root = cfg.dataDir().resolve("buffer");
        if (Files.isDirectory(root)) {
            try (java.util.stream.Stream<Path> dirs = Files.list(root)) {
                for (Path d : dirs.sorted().toList()) {
                    String id = d.getFileName().toString();
                    boolean known = targets.stream().anyMatch(t -> t.id().equals(id));
                    if (!known && Files.isDirectory(d) && (sink == null || sink.equals(id))) {
                        targets.add(new Target(id, d));
                        System.err.println("hakobu buffer: " + d + " belongs to no disk-buffered sink in " + config + " (orphaned)");
                    }
                }
            } catch (IOException e) {
                System.err.println("hakobu buffer: cannot list " + root + ": " + e.getMessage());
            }
        }
        if (sink != null && targets.isEmpty()) {
            System.err.println("hakobu buffer: no sink '" + sink + "' in " + config + "; sinks are: "
                    + String.join(", ", cfg.sinks().keySet()));
            return null;
        }
        DataDirLock lock = null;
        if (Files.isDirectory(cfg.dataDir())) {
            try {
                lock = DataDirLock.acquire(cfg.dataDir());
            } catch (IOException e) {
                System.err.println("hakobu buffer: " + e.getMessage() + " (stop the daemon first: buffer commands are offline)");
                return null;
            }
        }
        return new Selected(targets, lock);
    }

    private record Target(String id, Path dir) { }

    /** A subcommand: runs with the selected buffers and the data directory locked. */
    abstract static class Sub implements Callable<Integer> {
        @ParentCommand
        BufferCommand parent;

        @Override
        public final Integer call() throws IOException {
            try (Selected sel = parent.select()) {
                return sel == null ? 1 : run(sel);
            }
        }

        abstract int run(Selected sel) throws IOException;
    }

    private record Selected(List<Target> targets, DataDirLock lock) implements AutoCloseable {
        @Override
        public void close() {
            if (lock != null) {
                lock.release();
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Segments, sizes, entry counts and the acknowledged position of each disk buffer.")
    static final class ListCmd extends Sub {
        @Override
        int run(Selected sel) throws IOException {
            PrintStream out = System.out;
            for (Target t : sel.targets()) {
                if (!Files.isDirectory(t.dir())) {
                    out.println("sink " + t.id() + ": " + t.dir() + ": empty (no buffer written yet)");
                    continue;
                }
                BufferInspector.Report r = BufferInspector.inspect(t.dir());
                long bytes = 0;
                for (BufferInspector.SegmentReport s : r.live()) {
                    bytes += s.scan().size();
                }
                out.printf("sink %s: %s%n  acknowledged through record %d; %d segment(s), %d bytes; unacknowledged: %d record(s), %d entries%n",
                        t.id(), t.dir(), r.ackedSeq(), r.live().size(), bytes, r.unackedRecords(), r.unackedEntries());
                for (int i = 0; i < r.live().size(); i++) {
                    out.println("  " + describe(r.live(), i));
                }
                for (BufferInspector.SegmentReport s : r.quarantined()) {
                    out.println("  quarantine/" + describe(List.of(s), -1));
                }
            }
            return 0;
        }
    }

    /**
     * One line about {@code segments[i]}; {@code i == -1} for a quarantined copy. A torn tail is
     * normal only in the last live segment; anywhere else it is damage.
     */
    static String describe(List<BufferInspector.SegmentReport> segments, int i) {
        BufferInspector.SegmentReport s = segments.get(Math.max(i, 0));
        boolean lastLive = i == segments.size() - 1;
        SegmentFile.Scan scan = s.scan();
        StringBuilder b = new StringBuilder(s.name()).append("  size=").append(scan.size())
                .append(" records=").append(scan.records().size());
        if (!scan.records().isEmpty()) {
            b.append(" seq=").append(scan.records().get(0).seq()).append("..").append(scan.lastSeq());
        }
        b.append(" entries=").append(scan.entries());
        if (scan.clean()) {
            b.append(" ok");
        } else {
            if (!scan.headerOk()) {
                b.append(" DAMAGED header (").append(scan.tornTailReason()).append(')');
            }
            for (SegmentFile.Damage d : scan.damage()) {
                b.append(" DAMAGED bytes ").append(d.offset()).append('+').append(d.length()).append(" (").append(d.reason()).append(')');
            }
            long missing = scan.missingRecords();
            if (scan.headerOk() && scan.tornTailOffset() >= 0) {
                if (lastLive) {
                    b.append(" torn tail at ").append(scan.tornTailOffset()).append(" (").append(scan.tornTailReason())
                            .append("; normal after a crash: the daemon truncates it on start)");
                } else {
                    b.append(" DAMAGED end from ").append(scan.tornTailOffset()).append(" (").append(scan.tornTailReason()).append(')');
                    if (i >= 0 && i + 1 < segments.size()) {
                        missing += Math.max(0, segments.get(i + 1).scan().baseSeq() - scan.lastSeq() - 1);
                    }
                }
            }
            if (missing > 0) {
                b.append(" missing_records=").append(missing);
            }
        }
        return b.toString();
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check every record's length and CRC32C. Exit 0 when intact, 1 on damage.")
    static final class VerifyCmd extends Sub {
        @Override
        int run(Selected sel) throws IOException {
            boolean ok = true;
            for (Target t : sel.targets()) {
                if (!Files.isDirectory(t.dir())) {
                    System.out.println("sink " + t.id() + ": ok (empty)");
                    continue;
                }
                BufferInspector.Report r = BufferInspector.inspect(t.dir());
                long records = 0;
                for (int i = 0; i < r.live().size(); i++) {
                    BufferInspector.SegmentReport s = r.live().get(i);
                    records += s.scan().records().size();
                    if (!s.scan().clean()) {
                        System.out.println("sink " + t.id() + ": " + describe(r.live(), i));
                    }
                }
                boolean clean = r.liveClean();
                ok &= clean;
                System.out.println("sink " + t.id() + ": " + (clean ? "ok" : "DAMAGED") + " (" + r.live().size()
                        + " segment(s), " + records + " record(s) checked)");
                if (!r.quarantined().isEmpty()) {
                    long missing = 0;
                    for (BufferInspector.SegmentReport q : r.quarantined()) {
                        missing += q.scan().missingRecords();
                    }
                    System.out.println("sink " + t.id() + ": " + r.quarantined().size()
                            + " quarantined segment(s) from an earlier recovery, " + missing
                            + " record(s) lost; see 'hakobu buffer replay --quarantined'");
                }
            }
            return ok ? 0 : 1;
        }
    }

    @Command(name = "dump", mixinStandardHelpOptions = true,
            description = "Print buffered entries as NDJSON (by default only those not yet acknowledged).")
    static final class DumpCmd extends Sub {
        @Option(names = "--from", description = "first record sequence number (default: the first)")
        long from = Long.MIN_VALUE;

        @Option(names = "--to", description = "last record sequence number (default: the last)")
        long to = Long.MAX_VALUE;

        @Option(names = "--all", description = "include acknowledged records still on disk")
        boolean all;

        @Option(names = "--with-record", description = "add the record's sequence number as _BUFFER_RECORD")
        boolean withRecord;

        @Override
        int run(Selected sel) throws IOException {
            OutputStream os = new BufferedOutputStream(System.out, 1 << 16);
            NdjsonEncoder enc = new NdjsonEncoder();
            ByteBuilder bb = new ByteBuilder();
            for (Target t : sel.targets()) {
                if (!Files.isDirectory(t.dir())) {
                    continue;
                }
                long n = BufferInspector.dump(t.dir(), from, to, all, (seq, e) -> {
                    if (withRecord) {
                        e.add("_BUFFER_RECORD", seq);
                    }
                    bb.reset();
                    enc.encode(e, bb);
                    bb.writeTo(os);
                });
                os.flush();
                System.err.println("sink " + t.id() + ": " + n + " entries");
            }
            os.flush();
            return 0;
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = "Write unacknowledged entries (or, with --quarantined, what can be salvaged from damaged "
                    + "records) as NDJSON to a file or '-' (stdout), e.g. to feed them to another hakobu.")
    static final class ReplayCmd extends Sub {
        @Option(names = "--to", required = true, description = "output file, or - for stdout")
        String to;

        @Option(names = "--quarantined", description = "salvage entries from quarantined damaged records instead "
                + "(marked " + BufferInspector.SALVAGED_FIELD + "=true)")
        boolean quarantined;

        @Override
        int run(Selected sel) throws IOException {
            OutputStream os = "-".equals(to) ? new java.io.FilterOutputStream(System.out) {
                @Override
                public void close() throws IOException {
                    flush(); // stdout stays open
                }
            } : Files.newOutputStream(Path.of(to));
            try (OutputStream out = new BufferedOutputStream(os, 1 << 16)) {
                NdjsonEncoder enc = new NdjsonEncoder();
                ByteBuilder bb = new ByteBuilder();
                long total = 0;
                for (Target t : sel.targets()) {
                    if (!Files.isDirectory(t.dir())) {
                        continue;
                    }
                    BufferInspector.EntryConsumer write = (seq, e) -> {
                        bb.reset();
                        enc.encode(e, bb);
                        bb.writeTo(out);
                    };
                    long n = quarantined ? BufferInspector.replayQuarantined(t.dir(), write)
                            : BufferInspector.dump(t.dir(), Long.MIN_VALUE, Long.MAX_VALUE, false, write);
                    total += n;
                    System.err.println("sink " + t.id() + ": " + n + (quarantined ? " salvaged" : " unacknowledged")
                            + " entries replayed");
                }
                out.flush();
                if ("-".equals(to)) {
                    System.out.flush();
                }
                System.err.println(total + " entries written to " + to);
            }
            return 0;
        }
    }
}
