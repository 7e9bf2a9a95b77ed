package io.hakobu.core.buffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeapChannelIoTest {
    @TempDir
    Path dir;

    @Test
    void chunksAreAtMostTheChunkSize() {
        byte[] a = new byte[3 * HeapChannelIo.CHUNK + 5];
        ByteBuffer first = HeapChannelIo.chunk(a, 0, a.length);
        assertEquals(0, first.position());
        assertEquals(HeapChannelIo.CHUNK, first.remaining());
        ByteBuffer last = HeapChannelIo.chunk(a, 3 * HeapChannelIo.CHUNK, a.length);
        assertEquals(3 * HeapChannelIo.CHUNK, last.position());
        assertEquals(5, last.remaining());
    }

    @Test
    void readsSeveralChunksFromAPosition() throws Exception {
        byte[] data = new byte[2 * HeapChannelIo.CHUNK + 12_345];
        new Random(7).nextBytes(data);
        Path f = Files.write(dir.resolve("f"), data);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            byte[] got = new byte[data.length - 100 + 16];
            ByteBuffer dst = ByteBuffer.wrap(got, 16, data.length - 100); // position 16, limit at the end
            HeapChannelIo.readFully(ch, dst, 100);
            assertEquals(got.length, dst.position());
            assertEquals(got.length, dst.limit());
            assertArrayEquals(Arrays.copyOfRange(data, 100, data.length), Arrays.copyOfRange(got, 16, got.length));
        }
    }

    @Test
    void aShortFileIsAnEofAndTheLimitIsRestored() throws Exception {
        Path f = Files.write(dir.resolve("f"), new byte[HeapChannelIo.CHUNK + 10]);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            ByteBuffer dst = ByteBuffer.allocate(HeapChannelIo.CHUNK + 11);
            EOFException e = assertThrows(EOFException.class, () -> HeapChannelIo.readFully(ch, dst, 0));
            assertEquals("unexpected end of file at " + (HeapChannelIo.CHUNK + 10), e.getMessage());
            assertEquals(HeapChannelIo.CHUNK + 11, dst.limit());
            assertEquals(HeapChannelIo.CHUNK + 10, dst.position());
        }
    }
}
