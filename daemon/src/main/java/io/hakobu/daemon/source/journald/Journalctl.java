package io.hakobu.daemon.source.journald;

import io.hakobu.core.codec.JournalExportParser;
import io.hakobu.core.event.LogEntry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Builds {@code journalctl} command lines for one source and runs its short helper queries
 * (headers, unique values, the newest entry), each bounded in time and output size.
 */
final class Journalctl {
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(60);
    private static final int MAX_QUERY_BYTES = 16 << 20;

    private final JournaldSourceConfig config;

    Journalctl(JournaldSourceConfig config) {
        this.config = config;
    }

    /** True when the journal to read is there (a configured directory exists); the system journal always is. */
    boolean journalPresent() {
        return config.directory() == null || Files.isDirectory(Path.of(config.directory()));
    }

    /**
     * The follow command: every field ({@code --all}), every journal file ({@code --merge}), from
     * the start ({@code --no-tail}) or from {@code cursor} inclusive ({@code --cursor}: the cursor's
     * own entry is read again and skipped by the source, because {@code --after-cursor} skips the
     * oldest remaining entry when the cursor's entry was vacuumed), with the filters.
     */
    List<String> followCommand(String cursor, String bootId) {
        List<String> cmd = base();
        cmd.addAll(List.of("-o", "export", "--all", "--follow", "--merge", "--no-tail", "--no-pager"));
        if (cursor != null) {
            cmd.add("--cursor=" + cursor);
        }
        for (String u : config.units()) {
            cmd.add("--unit=" + u);
        }
        for (String i : config.identifiers()) {
            cmd.add("--identifier=" + i);
        }
        cmd.addAll(config.matches());
        // a positional match is ANDed with the others only when they have no '+' groups; otherwise the
        // source filters the boot itself (it always does, this only saves reading other boots)
        if (bootId != null && !config.matches().contains("+")) {
            cmd.add("_BOOT_ID=" + bootId);
        }
        return cmd;
    }

    private List<String> base() {
        List<String> cmd = new ArrayList<>();
        cmd.add(config.journalctl());
        if (config.directory() != null) {
            cmd.add("--directory=" + config.directory());
        }
        return cmd;
    }

    /** What {@code journalctl --header} says about one journal file. */
    record FileHeader(String seqnumId, long headSeqnum, long tailSeqnum) {
    }

    /** The headers of every journal file; empty when there is none. */
    List<FileHeader> headers() throws IOException, InterruptedException {
        List<String> cmd = base();
        cmd.add("--merge");
        cmd.add("--header");
        Result r = run(cmd);
        List<FileHeader> out = new ArrayList<>();
        String seqnumId = null;
        long head = -1;
        for (String line : r.stdoutText().split("\n")) {
            if (line.startsWith("File path:") || line.startsWith("File Path:")) {
                if (seqnumId != null) {
                    out.add(new FileHeader(seqnumId, head, -1));
                }
                seqnumId = null;
                head = -1;
            } else if (line.startsWith("Sequential number ID:")) {
                seqnumId = line.substring(line.indexOf(':') + 1).trim().toLowerCase(Locale.ROOT);
            } else if (line.startsWith("Head sequential number:")) {
                head = firstNumber(line);
            } else if (line.startsWith("Tail sequential number:") && seqnumId != null) {
                out.add(new FileHeader(seqnumId, head, firstNumber(line)));
                seqnumId = null;
            }
        }
        if (seqnumId != null) {
            out.add(new FileHeader(seqnumId, head, -1));
        }
        return out;
    }

    private static long firstNumber(String line) {
        String rest = line.substring(line.indexOf(':') + 1).trim();
        int sp = rest.indexOf(' ');
        try {
            return Long.parseLong(sp < 0 ? rest : rest.substring(0, sp));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The distinct values of a field in the whole journal ({@code journalctl -F}). */
    Set<String> uniqueValues(String field) throws IOException, InterruptedException {
        List<String> cmd = base();
        cmd.add("--merge");
        cmd.add("--field=" + field);
        Result r = run(cmd);
        Set<String> out = new HashSet<>();
        for (String line : r.stdoutText().split("\n")) {
            if (!line.isBlank()) {
                out.add(line.trim().toLowerCase(Locale.ROOT));
            }
        }
        return out;
    }

    /** The newest entry of the journal (no filters), or null when it is empty. */
    LogEntry newestEntry() throws IOException, InterruptedException {
        List<String> cmd = base();
        cmd.addAll(List.of("-o", "export", "--all", "--merge", "--lines=1", "--no-pager"));
        Result r = run(cmd);
        if (r.exitCode != 0) {
            throw new IOException("journalctl exited with " + r.exitCode + ": " + r.stderr.trim());
        }
        InputStream in = new ByteArrayInputStream(r.stdout);
        return new JournalExportParser(in, config.maxFieldBytes(), config.maxEntryBytes()).next();
    }

    private record Result(int exitCode, byte[] stdout, String stderr) {
        String stdoutText() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    private Result run(List<String> cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("SYSTEMD_PAGER", "");
        pb.environment().put("SYSTEMD_COLORS", "0");
        Process p = pb.start();
        try {
            p.getOutputStream().close();
            AtomicReference<byte[]> err = new AtomicReference<>(new byte[0]);
            Thread errReader = new Thread(() -> err.set(readBounded(p.getErrorStream(), 64 * 1024)), "journalctl-stderr");
            errReader.setDaemon(true);
            errReader.start();
            AtomicReference<byte[]> out = new AtomicReference<>(new byte[0]);
            Thread outReader = new Thread(() -> out.set(readBounded(p.getInputStream(), MAX_QUERY_BYTES)), "journalctl-stdout");
            outReader.setDaemon(true);
            outReader.start();
            if (!p.waitFor(QUERY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException("journalctl did not finish within " + QUERY_TIMEOUT.toSeconds() + "s: " + cmd);
            }
            outReader.join(5_000);
            errReader.join(5_000);
            return new Result(p.exitValue(), out.get(), new String(err.get(), StandardCharsets.UTF_8));
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /** Reads up to {@code max} bytes, then drains (and drops) the rest so the writer never blocks. */
    private static byte[] readBounded(InputStream in, int max) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] b = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(b)) > 0) {
                int keep = Math.min(n, max - out.size());
                if (keep > 0) {
                    out.write(b, 0, keep);
                }
            }
        } catch (IOException e) {
            // the process went away: what was read is all there is
        }
        return out.toByteArray();
    }
}
