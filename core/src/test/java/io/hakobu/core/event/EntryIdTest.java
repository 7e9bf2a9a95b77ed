package io.hakobu.core.event;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class EntryIdTest {

    @Test
    void sameInputsGiveTheSameId() {
        String a = new EntryId("web-1", "nginx", "dev=2049,ino=131").of(4096);
        String b = new EntryId("web-1", "nginx", "dev=2049,ino=131").of(4096);
        assertEquals(a, b);
        assertTrue(a.matches("[0-9a-f]{32}"), a);
    }

    /**
     * The id is part of the data contract (sinks deduplicate on it across versions): these values
     * were computed independently, with Guava's {@code Hashing.murmur3_128(0)}, from the algorithm
     * in the {@link EntryId} javadoc. If this test fails, the algorithm changed: don't update it.
     */
    @Test
    void idsAreFrozen() {
        assertEquals("11a922b387301ae07a2a8e58aa7a37de", new EntryId("web-1", "nginx", "dev=2049,ino=131").of(4096));
        assertEquals("b39d6365a6c726a47b840442a31e7baa", new EntryId("web-1", "nginx", "dev=2049,ino=131").of(0));
        assertEquals("7e62dfef991ec7a9d4116197396c9c93", new EntryId("\u30ce\u30fc\u30c9", "src", "s").of(-1));
    }

    @Test
    void differentPositionsStreamsSourcesAndNodesGiveDifferentIds() {
        Set<String> ids = new HashSet<>();
        for (String node : new String[] {"n1", "n2"}) {
            for (String source : new String[] {"s1", "s2"}) {
                for (String stream : new String[] {"a", "b", ""}) {
                    EntryId id = new EntryId(node, source, stream);
                    for (long position = 0; position < 100; position++) {
                        assertTrue(ids.add(id.of(position)), node + "/" + source + "/" + stream + "@" + position);
                    }
                }
            }
        }
        // the separator keeps the parts apart: "ab"+"c" is not "a"+"bc"
        assertNotEquals(new EntryId("n", "ab", "c").of(1), new EntryId("n", "a", "bc").of(1));
    }

    @Test
    void fastThreeLongHashEqualsMurmur3OfTheSame24Bytes() {
        SplittableRandom random = new SplittableRandom(42);
        long[][] cases = {{0, 0, 0}, {-1, -1, -1}, {Long.MIN_VALUE, Long.MAX_VALUE, 1}, {1, 2, 3}};
        for (long[] c : cases) {
            assertArrayEquals(EntryId.murmur3(littleEndian(c[0], c[1], c[2])), EntryId.hash3Longs(c[0], c[1], c[2]));
        }
        for (int i = 0; i < 1000; i++) {
            long a = random.nextLong();
            long b = random.nextLong();
            long c = random.nextLong();
            assertArrayEquals(EntryId.murmur3(littleEndian(a, b, c)), EntryId.hash3Longs(a, b, c));
        }
    }

    /** Published MurmurHash3_x128_64 values (seed 0), as two little-endian longs (h1, h2). */
    @Test
    void murmur3KnownVectors() {
        assertArrayEquals(new long[] {0, 0}, EntryId.murmur3(new byte[0]));
        assertArrayEquals(new long[] {0xe34bbc7bbc071b6cL, 0x7a433ca9c49a9347L},
                EntryId.murmur3("The quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.US_ASCII)));
        assertArrayEquals(new long[] {0xcbd8a7b341bd9b02L, 0x5b1e906a48ae1d19L},
                EntryId.murmur3("hello".getBytes(StandardCharsets.US_ASCII)));
        // 31 bytes: one full block and a 15-byte tail (every case of the tail switch)
        byte[] b = new byte[31];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) i;
        }
        assertArrayEquals(new long[] {0x053dd3e1a32cd094L, 0x9ee59aefb4005490L}, EntryId.murmur3(b));
    }

    private static byte[] littleEndian(long a, long b, long c) {
        return ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(a).putLong(b).putLong(c).array();
    }
}
