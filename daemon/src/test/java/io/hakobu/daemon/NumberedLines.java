package io.hakobu.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.ToIntFunction;

/**
 * Lines numbered {@code seq=0, 1, 2, ...} (logfmt) written to a process's input, and what its
 * output holds of them: how many lines an output file has so far, and a {@link Tally} of which
 * sequence numbers arrived, so a test can count what was lost and what was duplicated.
 */
public final class NumberedLines {
    public static final ObjectMapper JSON = new ObjectMapper();

    private NumberedLines() {
    }

    /** What follows {@code seq=N } in the usual line (about 80 bytes in all). */
    public static String requestHandled(int seq) {
        return "level=info msg=\"request handled\" path=/api/v1/items user=" + (seq % 977);
    }

    /** The usual line for {@code seq}, newline included. */
    public static String line(int seq) {
        return "seq=" + seq + " " + requestHandled(seq) + "\n";
    }

    /** Appends the usual lines {@code from .. from+count-1}; returns {@code from + count}, the next number. */
    public static int append(Path file, int from, int count) throws IOException {
        return append(file, from, count, NumberedLines::requestHandled);
    }

    /**
     * Appends lines {@code seq=N <rest(N)>} for {@code N = from .. from+count-1} (creating the file
     * if need be); returns {@code from + count}, the next number.
     */
    public static int append(Path file, int from, int count, IntFunction<String> rest) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (OutputStream os = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            for (int i = from; i < from + count; i++) {
                sb.setLength(0);
                sb.append("seq=").append(i).append(' ').append(rest.apply(i)).append('\n');
                os.write(sb.toString().getBytes(StandardCharsets.UTF_8));
            }
        }
        return from + count;
    }

    /** The complete (newline-terminated) lines in {@code file} so far; 0 while it does not exist or cannot be read. */
    public static long lineCount(Path file) {
        if (!Files.isRegularFile(file)) {
            return 0;
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[64 * 1024];
            long lines = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        lines++;
                    }
                }
            }
            return lines;
        } catch (IOException e) {
            return 0;
        }
    }

    /** Polls until {@code file} has more than {@code n} complete lines beyond those it has now (it makes progress). */
    public static void awaitMoreLinesThan(Duration timeout, String what, Path file, long n) throws InterruptedException {
        long before = lineCount(file);
        Await.until(timeout, what, () -> lineCount(file) > before + n);
    }

    /** The {@code seq} field of an output entry (a number, or the test fails). */
    public static int seq(JsonNode entry) {
        return Integer.parseInt(entry.path("seq").asText());
    }

    /** The sequence numbers {@code 0 .. size-1} in the NDJSON {@code files} together (each must exist). */
    public static Tally tally(int size, Path... files) throws IOException {
        Tally t = new Tally(size);
        for (Path f : files) {
            t.read(f);
        }
        return t;
    }

    /**
     * How many times each sequence number {@code 0 .. size-1} arrived, and how many entries there
     * were in all. A number out of range, or an entry that is not JSON, fails the test.
     */
    public static final class Tally {
        private final int[] times;
        private long entries;

        public Tally(int size) {
            times = new int[size];
        }

        public void add(int seq) {
            times[seq]++;
            entries++;
        }

        /** Adds every entry of an NDJSON file by its {@link #seq} field. */
        public Tally read(Path ndjson) throws IOException {
            return read(ndjson, NumberedLines::seq);
        }

        /** Adds every entry of an NDJSON file by {@code seqOf} (which may also assert on the entry). */
        public Tally read(Path ndjson, ToIntFunction<JsonNode> seqOf) throws IOException {
            return read(Files.newInputStream(ndjson), seqOf);
        }

        /** Adds every entry of an NDJSON stream (closed here) by its {@link #seq} field. */
        public Tally read(InputStream ndjson) throws IOException {
            return read(ndjson, NumberedLines::seq);
        }

        /** Adds every entry of an NDJSON stream (closed here) by {@code seqOf}. */
        public Tally read(InputStream ndjson, ToIntFunction<JsonNode> seqOf) throws IOException {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(ndjson, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    add(seqOf.applyAsInt(JSON.readTree(line)));
                }
            }
            return this;
        }

        /** How many times {@code seq} arrived. */
        public int times(int seq) {
            return times[seq];
        }

        /** Entries counted in all. */
        public long entries() {
            return entries;
        }

        /** Sequence numbers that never arrived. */
        public int lost() {
            int lost = 0;
            for (int t : times) {
                lost += t == 0 ? 1 : 0;
            }
            return lost;
        }

        /** Entries beyond the first of their sequence number. */
        public long duplicates() {
            long dups = 0;
            for (int t : times) {
                dups += Math.max(0, t - 1);
            }
            return dups;
        }

        /** The first {@code max} sequence numbers that never arrived, for messages. */
        public List<Integer> firstLost(int max) {
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < times.length && out.size() < max; i++) {
                if (times[i] == 0) {
                    out.add(i);
                }
            }
            return out;
        }

        /** Every sequence number arrived exactly once: none lost, none duplicated, nothing else. */
        public void assertExactlyOnce(String context) {
            assertEquals(0, lost(), () -> context + ": lost lines, the first ones: " + firstLost(10));
            assertEquals(0, duplicates(), () -> context + ": duplicated lines");
            assertEquals(times.length, entries, () -> context + ": entries in all");
        }
    }
}
