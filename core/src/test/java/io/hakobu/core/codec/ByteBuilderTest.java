package io.hakobu.core.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ByteBuilderTest {
    @Test
    void writeLongWritesWhatLongToStringDoes() {
        Random r = new Random(1);
        ByteBuilder out = new ByteBuilder(16); // grows as it goes
        StringBuilder want = new StringBuilder();
        long[] edges = {0, 1, -1, 9, 10, 11, 99, 100, 101, 999, 1000, -10, -99, -100, Long.MAX_VALUE, Long.MIN_VALUE,
                Long.MIN_VALUE + 1, 1_795_797_041_409_000L, 999_999_999_999_999_999L, 1_000_000_000_000_000_000L};
        for (long v : edges) {
            out.writeLong(v).write(' ');
            want.append(v).append(' ');
        }
        for (int i = 0; i < 100_000; i++) {
            long v = switch (i % 3) {
                case 0 -> r.nextLong();
                case 1 -> r.nextLong() >> r.nextInt(64); // every length
                default -> (long) Math.pow(10, r.nextInt(19)) + r.nextInt(3) - 1; // around powers of ten
            };
            out.writeLong(v).write(' ');
            want.append(v).append(' ');
        }
        assertEquals(want.toString(), out.toString());
    }

    @Test
    void writeWordsAppendsExactlyTheLengthGiven() {
        ByteBuilder out = new ByteBuilder(16); // grows as it goes
        StringBuilder want = new StringBuilder();
        for (int n = 0; n <= 40; n++) {
            ByteBuilder piece = new ByteBuilder(16);
            for (int i = 0; i < n; i++) {
                piece.write('a' + (n + i) % 26);
            }
            byte[] padded = piece.padded();
            assertEquals((n + 7) / 8 * 8, padded.length, "padded to whole words");
            out.writeWords(padded, n).write('|');
            want.append(piece).append('|');
        }
        assertEquals(want.toString(), out.toString());
    }

    @Test
    void reserveThenCommitKeepsOnlyWhatWasCommitted() {
        ByteBuilder out = new ByteBuilder(16);
        out.write('x');
        byte[] room = out.reserve(40);
        assertTrue(room.length >= 41);
        for (int i = 1; i < 41; i++) {
            room[i] = (byte) 'y'; // more than is kept
        }
        out.commit(4);
        out.write('z');
        assertEquals("xyyyz", out.toString());
        assertThrows(IndexOutOfBoundsException.class, () -> out.commit(2), "cannot commit backwards");
        assertThrows(IndexOutOfBoundsException.class, () -> out.commit(out.array().length + 1), "nor past the array");
    }

    @Test
    void varintsAndTaggedValues() {
        ByteBuilder out = new ByteBuilder(16);
        out.writeVarLong(0).writeVarLong(127).writeVarLong(128).writeVarLong(300).writeVarLong(-1);
        assertEquals("00 7f 80 01 ac 02 ff ff ff ff ff ff ff ff ff 01", hex(out));
        ByteBuilder t = new ByteBuilder(16);
        byte[] src = new byte[300];
        java.util.Arrays.fill(src, (byte) 7);
        t.writeTagged(1, src, 100, 200).writeTagged(2, src, 0, 0);
        assertEquals(1 + 2 + 200 + 2, t.length());
        assertEquals("01 c8 01 07", hex(t).substring(0, 11));
        assertEquals("07 02 00", hex(t).substring(hex(t).length() - 8));
    }

    /** Short pieces go by whole words when the words lie in the source, else by arraycopy: both exact. */
    @Test
    void taggedPiecesOfEveryLengthAtEveryPlaceOfTheirArray() {
        byte[] src = new byte[90];
        for (int i = 0; i < src.length; i++) {
            src[i] = (byte) (i * 7 + 1);
        }
        ByteBuilder out = new ByteBuilder(16); // grows as it goes
        java.io.ByteArrayOutputStream want = new java.io.ByteArrayOutputStream();
        for (int n = 0; n <= 80; n++) {
            for (int off = 0; off + n <= src.length; off++) {
                out.writeTagged(0x05, src, off, n).write('|');
                want.write(0x05);
                want.write(n); // every n here is a one-byte varint
                want.write(src, off, n);
                want.write('|');
            }
        }
        assertEquals(want.size(), out.length());
        org.junit.jupiter.api.Assertions.assertArrayEquals(want.toByteArray(), out.toByteArray());
    }

    private static String hex(ByteBuilder b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < b.length(); i++) {
            sb.append(i > 0 ? " " : "").append(String.format("%02x", b.array()[i] & 0xff));
        }
        return sb.toString();
    }
}
