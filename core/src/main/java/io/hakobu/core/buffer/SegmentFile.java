package io.hakobu.core.buffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The on-disk format of one buffer segment, and the scan that checks it.
 *
 * <h2>Format</h2>
 * <pre>
 * segment = header record*
 * header  = "HKBSEG01" (8 bytes)  base-seq:u64be         16 bytes
 * record  = length:u32be  crc32c:u32be  payload{length}   see {@link RecordCodec} for the payload
 * </pre>
 * The CRC32C covers the payload, whose first 8 bytes are the record's sequence number. Records in
 * a segment have consecutive sequence numbers starting at the header's base; a segment file is
 * named after its base ({@code %020d.seg}), so names sort in record order.
 *
 * <h2>Scan</h2>
 * {@link #scan} reads a segment record by record and checks length, CRC and sequence. When a
 * record fails, it searches forward, byte by byte, for the next position where a well-formed
 * record with a higher sequence number starts (a length that fits, a matching CRC, a sequence in
 * range). If one exists the bad bytes are <em>damage in the middle</em>; if none does they are a
 * <em>torn tail</em>, the expected result of a crash during a write.
 */
public final class SegmentFile {
    public static final byte[] MAGIC = "HKBSEG01".getBytes(StandardCharsets.US_ASCII);
    public static final int HEADER_BYTES = 16;
    public static final int FRAME_BYTES = 8;
    /** No record is larger than this; a length beyond it is damage. */
    public static final int MAX_RECORD_BYTES = 256 << 20;
    public static final String SUFFIX = ".seg";

    private SegmentFile() { }

    public static String name(long baseSeq) {
        return String.format("%020d%s", baseSeq, SUFFIX);
    }

    /** The base sequence a segment file name encodes, or -1 if it is not a segment name. */
    public static long baseOf(String fileName) {
        if (!fileName.endsWith(SUFFIX) || fileName.length() != 20 + SUFFIX.length()) {
            return -1;
        }
        try {
            return Long.parseLong(fileName.substring(0, 20));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public static byte[] header(long baseSeq) {
        byte[] h = new byte[HEADER_BYTES];
        System.arraycopy(MAGIC, 0, h, 0, MAGIC.length);
        for (int i = 0; i < 8; i++) {
            h[8 + i] = (byte) (baseSeq >>> (56 - 8 * i));
        }
        return h;
    }

    public static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    /** One good record found by a scan. */
    public record RecordInfo(long offset, long seq, int length, int entries) {
        /** Offset just past this record. */
        public long end() {
            return offset + FRAME_BYTES + length;
        }
    }

    /** A run of bad bytes found by a scan. */
    public record Damage(long offset, long length, String reason) { }

    /**
     * What a scan found.
     *
     * @param headerOk false when the file is shorter than a header or the magic is wrong
     * @param baseSeq the header's base sequence (from the name when the header is bad)
     * @param records the good records, in order
     * @param damage bad runs followed by a good record (damage in the middle)
     * @param tornTailOffset where the torn tail starts, or -1 when the file ends on a record boundary
     * @param size the file size
     */
    public record Scan(boolean headerOk, long baseSeq, List<RecordInfo> records, List<Damage> damage,
            long tornTailOffset, String tornTailReason, long size) {
        /** Offset just past the last good record (or the header). */
        public long validEnd() {
            return records.isEmpty() ? HEADER_BYTES : records.get(records.size() - 1).end();
        }

        public long lastSeq() {
            return records.isEmpty() ? baseSeq - 1 : records.get(records.size() - 1).seq();
        }

        public long entries() {
            long n = 0;
            for (RecordInfo r : records) {
                n += r.entries();
            }
            return n;
        }

        public boolean clean() {
            return headerOk && damage.isEmpty() && tornTailOffset < 0;
        }

        /** Sequence numbers skipped between good records (records lost to damage in the middle). */
        public long missingRecords() {
            long missing = 0;
            long expect = baseSeq;
            for (RecordInfo r : records) {
                missing += r.seq() - expect;
                expect = r.seq() + 1;
            }
            return missing;
        }
    }

    /**
     * Scans {@code path} (see the class javadoc). Reads the whole file; never modifies it.
     *
     * @param nameBase the base sequence from the file name (used when the header is unreadable)
     */
    public static Scan scan(Path path, long nameBase) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER_BYTES) {
                return new Scan(false, nameBase, List.of(), List.of(), size > 0 ? 0 : -1, "short header", size);
            }
            byte[] h = new byte[HEADER_BYTES];
            HeapChannelIo.readFully(ch, ByteBuffer.wrap(h), 0);
            for (int i = 0; i < MAGIC.length; i++) {
                if (h[i] != MAGIC[i]) {
                    return new Scan(false, nameBase, List.of(), List.of(), -1, "bad magic", size);
                }
            }
            long base = RecordCodec.readLongBe(h, 8);
            if (size > Integer.MAX_VALUE) {
                throw new IOException(path + ": segment larger than 2 GiB");
            }
            byte[] all = new byte[(int) size];
            HeapChannelIo.readFully(ch, ByteBuffer.wrap(all), 0);
            return scanBytes(all, base);
        }
    }

    static Scan scanBytes(byte[] all, long base) {
        int size = all.length;
        List<RecordInfo> records = new ArrayList<>();
        List<Damage> damage = new ArrayList<>();
        int pos = HEADER_BYTES;
        long expect = base;
        while (pos < size) {
            String why = check(all, pos, expect, true);
            if (why == null) {
                int len = RecordCodec.readIntBe(all, pos);
                long seq = RecordCodec.seqOf(all, pos + FRAME_BYTES);
                records.add(new RecordInfo(pos, seq, len, RecordCodec.countOf(all, pos + FRAME_BYTES)));
                pos += FRAME_BYTES + len;
                expect = seq + 1;
                continue;
            }
            int next = resync(all, pos + 1, expect);
            if (next < 0) {
                return new Scan(true, base, records, damage, pos, why, size);
            }
            damage.add(new Damage(pos, next - pos, why));
            pos = next;
        }
        return new Scan(true, base, records, damage, -1, null, size);
    }

    /** Why the record at {@code pos} is not good, or null when it is. */
    private static String check(byte[] all, int pos, long minSeq, boolean exact) {
        int size = all.length;
        if (size - pos < FRAME_BYTES) {
            return "partial frame header";
        }
        int len = RecordCodec.readIntBe(all, pos);
        if (len < RecordCodec.COUNT_OFFSET + 4 || len > MAX_RECORD_BYTES) {
            return "bad length " + Integer.toUnsignedString(len);
        }
        if ((long) len > size - pos - FRAME_BYTES) {
            return "record of " + len + " bytes runs past the end of the file";
        }
        int crc = RecordCodec.readIntBe(all, pos + 4);
        long seq = RecordCodec.seqOf(all, pos + FRAME_BYTES);
        // Sequence first: cheap, and it is what rejects most positions while resyncing. A segment
        // cannot hold more records than it has bytes, which bounds plausible sequence numbers.
        if (seq < minSeq || seq - minSeq > size) {
            if (!exact) {
                return "implausible sequence";
            }
            return crc(all, pos + FRAME_BYTES, len) == crc
                    ? "sequence " + seq + " where " + minSeq + " was expected" : "CRC mismatch";
        }
        if (crc(all, pos + FRAME_BYTES, len) != crc) {
            return "CRC mismatch";
        }
        return null;
    }

    private static int resync(byte[] all, int from, long minSeq) {
        for (int p = from; p + FRAME_BYTES <= all.length; p++) {
            if (check(all, p, minSeq, false) == null) {
                return p;
            }
        }
        return -1;
    }
}
