package io.hakobu.daemon.source.journald;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real journal files for tests: Export Format piped into {@code systemd-journal-remote}
 * (package {@code systemd-journal-remote}; {@code .ci/run} installs it), which writes a journal
 * file exactly as journald would (running it again appends to the same file, continuing its
 * sequence numbers).
 */
final class JournalFiles {
    static final Path REMOTE = Path.of("/lib/systemd/systemd-journal-remote");
    static final String BOOT_A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1";
    static final String BOOT_B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2";
    static final String MACHINE = "0123456789abcdef0123456789abcdef";
    /** Realtime of the entry with sequence 0 in {@link #entry}: 2023-11-14T22:13:20Z. */
    static final long T0 = 1_700_000_000_000_000L;

    private JournalFiles() {
    }

    static boolean available() {
        return Files.isExecutable(REMOTE);
    }

    /** One entry in Export Format: text fields, and binary ones for byte[] values. */
    static final class Entry {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Entry text(String name, String value) {
            out.writeBytes((name + "=" + value + "\n").getBytes(StandardCharsets.UTF_8));
            return this;
        }

        Entry binary(String name, byte[] value) {
            out.writeBytes((name + "\n").getBytes(StandardCharsets.UTF_8));
            long n = value.length;
            for (int i = 0; i < 8; i++) {
                out.write((int) (n >>> (8 * i)) & 0xff);
            }
            out.writeBytes(value);
            out.write('\n');
            return this;
        }

        byte[] bytes() {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(out.toByteArray());
            b.write('\n');
            return b.toByteArray();
        }
    }

    /**
     * A plain entry: {@code MESSAGE=msg <seq>} with the timestamps journald needs (realtime
     * {@code T0 + seq} µs, monotonic {@code 1000 + seq}), a boot id and a machine id.
     */
    static Entry entry(int seq, String boot) {
        return new Entry().text("__REALTIME_TIMESTAMP", Long.toString(T0 + seq))
                .text("__MONOTONIC_TIMESTAMP", Long.toString(1000 + seq))
                .text("_BOOT_ID", boot)
                .text("_MACHINE_ID", MACHINE)
                .text("PRIORITY", Integer.toString(seq % 8))
                .text("MESSAGE", "msg " + seq);
    }

    static List<Entry> range(int from, int toExclusive, String boot) {
        List<Entry> out = new ArrayList<>();
        for (int i = from; i < toExclusive; i++) {
            out.add(entry(i, boot));
        }
        return out;
    }

    /** Appends entries to a journal file (created if absent) with systemd-journal-remote. */
    static void write(Path journal, List<Entry> entries) throws IOException, InterruptedException {
        Files.createDirectories(journal.getParent());
        ProcessBuilder pb = new ProcessBuilder(REMOTE.toString(), "--split-mode=none", "-o", journal.toString(), "-");
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        try {
            try (OutputStream os = p.getOutputStream()) {
                for (Entry e : entries) {
                    os.write(e.bytes());
                }
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                throw new IOException("systemd-journal-remote did not finish");
            }
            if (p.exitValue() != 0) {
                throw new IOException("systemd-journal-remote exited with " + p.exitValue());
            }
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Creates {@code next} as journald does when it rotates {@code previous}: an empty journal file
     * with the same sequence number id whose sequence continues after the previous file's last
     * entry. systemd-journal-remote cannot be told to rotate, so the new file's header fields
     * {@code seqnum_id} (offset 72) and {@code tail_entry_seqnum} (offset 160) are set from the
     * previous file (journal file format, {@code JOURNAL_FILE_FORMAT.md}; unsealed files carry no
     * header checksum).
     */
    static void rotate(Path previous, Path next) throws IOException, InterruptedException {
        // an invalid entry makes journal-remote create the file and write nothing into it
        write(next, List.of(new Entry().text("X", "1")));
        byte[] seqnumId = new byte[16];
        long tail;
        try (RandomAccessFile prev = new RandomAccessFile(previous.toFile(), "r")) {
            prev.seek(72);
            prev.readFully(seqnumId);
            prev.seek(160);
            tail = Long.reverseBytes(prev.readLong());
        }
        try (RandomAccessFile f = new RandomAccessFile(next.toFile(), "rw")) {
            f.seek(152);
            if (f.readLong() != 0) {
                throw new IllegalStateException(next + " is not empty");
            }
            f.seek(72);
            f.write(seqnumId);
            f.seek(160);
            f.writeLong(Long.reverseBytes(tail));
        }
    }
}
