package io.hakobu.core.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The parser contract under random input: never throw, never drop. Lines are valid samples with
 * random bytes changed, cut or inserted, plus purely random bytes. Seeded, so a failure repeats.
 */
class ParserRobustnessTest {

    private static final List<String> SAMPLES = List.of(
            LtsvParserTest.L1,
            "{\"ts\":\"2023-11-14T22:13:20Z\",\"n\":-1.5e3,\"o\":{\"a\":[1,true,null,\"\\u00e9\\\"\"]},\"b\":false}",
            "time=2023-11-14 level=info msg=\"quoted \\\" value\" flag path=/a?b=c",
            "");
    /** Bytes that matter to some format, so mutations hit the interesting paths. */
    private static final byte[] SPECIAL = "\t:=\"\\{}[],\r\n u0123456789eE.-+ntf".getBytes(StandardCharsets.US_ASCII);

    @ParameterizedTest
    @ValueSource(strings = {"raw", "ltsv", "json", "logfmt"})
    void neverThrowsAndNeverDrops(String format) {
        SplittableRandom random = new SplittableRandom(format.hashCode());
        Parser parser = Parsers.create(format, random.nextBoolean());
        for (int round = 0; round < 20_000; round++) {
            byte[] line = mutate(random, SAMPLES.get(random.nextInt(SAMPLES.size())).getBytes(StandardCharsets.UTF_8));
            byte[] buf = new byte[line.length + 8];
            System.arraycopy(line, 0, buf, 4, line.length);
            LogEntry entry = new LogEntry().backing(buf);
            try {
                parser.parse(buf, 4, line.length, entry);
            } catch (RuntimeException e) {
                fail(format + " threw on " + Arrays.toString(line), e);
            }
            assertTrue(entry.size() > 0, "nothing kept for " + Arrays.toString(line));
            if (entry.has(Fields.PARSE_ERROR)) {
                assertEquals(2, entry.size());
                int end = line.length > 0 && line[line.length - 1] == '\r' ? line.length - 1 : line.length;
                assertEquals(new String(line, 0, end, StandardCharsets.UTF_8), entry.getString(Fields.MESSAGE));
            }
            for (int i = 0; i < entry.size(); i++) {
                entry.value(i); // every slice decodes
            }
        }
    }

    private static byte[] mutate(SplittableRandom random, byte[] sample) {
        if (random.nextInt(10) == 0) {
            byte[] noise = new byte[random.nextInt(64)];
            for (int i = 0; i < noise.length; i++) {
                noise[i] = (byte) random.nextInt(256);
            }
            return noise;
        }
        byte[] line = sample.clone();
        int edits = random.nextInt(4);
        for (int e = 0; e < edits && line.length > 0; e++) {
            int at = random.nextInt(line.length);
            switch (random.nextInt(4)) {
                case 0 -> line[at] = SPECIAL[random.nextInt(SPECIAL.length)];
                case 1 -> line[at] = (byte) random.nextInt(256);
                case 2 -> line = Arrays.copyOf(line, at); // cut
                default -> {
                    byte[] longer = new byte[line.length + 1];
                    System.arraycopy(line, 0, longer, 0, at);
                    longer[at] = SPECIAL[random.nextInt(SPECIAL.length)];
                    System.arraycopy(line, at, longer, at + 1, line.length - at);
                    line = longer;
                }
            }
        }
        return line;
    }
}
