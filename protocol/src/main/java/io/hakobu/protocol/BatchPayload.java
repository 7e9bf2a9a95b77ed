package io.hakobu.protocol;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import io.hakobu.core.buffer.CorruptRecordException;
import io.hakobu.core.buffer.RecordCodec;
import io.hakobu.core.codec.ByteBuilder;
import io.hakobu.core.event.LogEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * The data of a BATCH frame: records, each {@code length:u32be} followed by a
 * {@link RecordCodec} payload ({@code seq:u64 count:u32 source:str entry{count}}), compressed as
 * a whole with zstd or not at all. Record sequence numbers increase strictly; the frame's
 * {@code first_seq}/{@code last_seq} are the first and last record's, and its entry count is the
 * sum of the records'.
 *
 * <p>Not thread-safe (it keeps a {@link RecordCodec}, scratch buffers and zstd contexts, reused
 * for every frame so that compressing allocates no native memory per frame): one per connection
 * or per sink thread.
 */
public final class BatchPayload {
    /**
     * A run of entries from one source, identified by its sequence number in the stream; or, with
     * {@code encoded}, a record already in {@link RecordCodec} form (a disk buffer record, whose
     * embedded sequence number must be {@code seq}), copied into the frame as it is. A decoded
     * record also says where its payload is: {@code raw[rawOffset, rawOffset+rawLength)}, the
     * array its entries are backed by (null and 0 for records to encode). A record that was only
     * {@linkplain #check checked} has no entries (null), and says how many fields they hold.
     */
    public record Record(long seq, String sourceId, List<LogEntry> entries, byte[] encoded, byte[] raw, int rawOffset,
                         int rawLength, long fields) {
        public Record(long seq, String sourceId, List<LogEntry> entries) {
            this(seq, sourceId, entries, null, null, 0, 0, 0);
        }

        public Record(long seq, String sourceId, List<LogEntry> entries, byte[] encoded) {
            this(seq, sourceId, entries, encoded, null, 0, 0, 0);
        }

        /** A record from an encoded payload. */
        public static Record encoded(long seq, String sourceId, byte[] payload) {
            if (RecordCodec.seqOf(payload, 0) != seq) {
                throw new IllegalArgumentException("payload holds record " + RecordCodec.seqOf(payload, 0) + ", not " + seq);
            }
            return new Record(seq, sourceId, List.of(), payload);
        }

        /** Its entry count. */
        public int size() {
            if (encoded != null) {
                return RecordCodec.countOf(encoded, 0);
            }
            return entries != null ? entries.size() : RecordCodec.countOf(raw, rawOffset);
        }
    }

    public static final int ZSTD_LEVEL = 1;

    private final RecordCodec codec = new RecordCodec();
    private final ByteBuilder scratch = new ByteBuilder(64 * 1024);
    private byte[] compressed = new byte[0];
    private ZstdCompressCtx compressor;
    private ZstdDecompressCtx decompressor;

    /**
     * Encodes {@code records} (non-empty, increasing seq) as one BATCH frame of {@code stream}.
     */
    public Frame.Batch encode(String stream, List<Record> records, boolean zstd) {
        if (records.isEmpty()) {
            throw new IllegalArgumentException("no records");
        }
        scratch.reset();
        long entries = 0;
        long prev = -1;
        for (Record r : records) {
            if (r.seq() <= prev) {
                throw new IllegalArgumentException("record seq " + r.seq() + " after " + prev);
            }
            prev = r.seq();
            int at = scratch.length();
            scratch.write(0).write(0).write(0).write(0); // length, patched below
            if (r.encoded() != null) {
                scratch.write(r.encoded());
            } else {
                codec.encode(r.seq(), r.sourceId(), r.entries(), 0, r.entries().size(), scratch);
            }
            int len = scratch.length() - at - 4;
            byte[] a = scratch.array();
            a[at] = (byte) (len >>> 24);
            a[at + 1] = (byte) (len >>> 16);
            a[at + 2] = (byte) (len >>> 8);
            a[at + 3] = (byte) len;
            entries += r.size();
        }
        if (entries <= 0 || entries > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("entry count " + entries);
        }
        int raw = scratch.length();
        byte[] data;
        byte compression;
        if (zstd) {
            int bound = (int) Math.min(Integer.MAX_VALUE - 16, Zstd.compressBound(raw));
            if (compressed.length < bound) {
                compressed = new byte[bound];
            }
            if (compressor == null) {
                compressor = new ZstdCompressCtx().setLevel(ZSTD_LEVEL);
            }
            int n;
            try {
                n = compressor.compressByteArray(compressed, 0, bound, scratch.array(), 0, raw);
            } catch (ZstdException e) {
                throw new IllegalStateException("zstd compression failed: " + e.getMessage(), e);
            }
            data = java.util.Arrays.copyOf(compressed, n);
            if (compressed.length > (16 << 20)) {
                compressed = new byte[0]; // give back memory after a huge frame
            }
            compression = Frame.COMPRESSION_ZSTD;
        } else {
            data = scratch.toByteArray();
            compression = Frame.COMPRESSION_NONE;
        }
        return new Frame.Batch(stream, records.get(0).seq(), records.get(records.size() - 1).seq(), (int) entries,
                compression, raw, data);
    }

    /**
     * Decompresses and decodes a batch, checking it against its header. The entries keep the
     * decompressed frame (or the frame's own data, uncompressed) as their backing bytes.
     *
     * @param maxRawBytes the largest decompressed size accepted (checked before allocating)
     * @throws ProtocolException {@link ErrorCode#BAD_COMPRESSION} or {@link ErrorCode#BAD_PAYLOAD}
     */
    public List<Record> decode(Frame.Batch b, int maxRawBytes) {
        return read(b, maxRawBytes, true);
    }

    /**
     * Decompresses a batch and checks it exactly as {@link #decode} does, record by record
     * ({@link RecordCodec#check}), without making entries: the records come back with
     * {@code entries} null and their place in the decompressed frame, for a receiver that stores
     * them as they are.
     *
     * @throws ProtocolException {@link ErrorCode#BAD_COMPRESSION} or {@link ErrorCode#BAD_PAYLOAD}
     */
    public List<Record> check(Frame.Batch b, int maxRawBytes) {
        return read(b, maxRawBytes, false);
    }

    private List<Record> read(Frame.Batch b, int maxRawBytes, boolean decode) {
        byte[] raw;
        if (b.compression() == Frame.COMPRESSION_ZSTD) {
            if (b.rawLength() > maxRawBytes) {
                throw new ProtocolException(ErrorCode.BAD_PAYLOAD, "BATCH announces " + b.rawLength()
                        + " decompressed bytes, above the limit of " + maxRawBytes);
            }
            raw = new byte[b.rawLength()];
            if (decompressor == null) {
                decompressor = new ZstdDecompressCtx();
            }
            long n;
            try {
                n = decompressor.decompressByteArray(raw, 0, raw.length, b.data(), 0, b.data().length);
            } catch (RuntimeException e) {
                // one-shot decompression starts afresh each call: the context stays usable
                throw new ProtocolException(ErrorCode.BAD_COMPRESSION, "zstd data does not decompress: " + e.getMessage());
            }
            if (n != raw.length) {
                throw new ProtocolException(ErrorCode.BAD_COMPRESSION, "zstd data decompresses to " + n
                        + " bytes, the frame announced " + raw.length);
            }
        } else {
            raw = b.data();
        }
        List<Record> out = new ArrayList<>();
        int pos = 0;
        long entries = 0;
        long prev = -1;
        while (pos < raw.length) {
            if (raw.length - pos < 4) {
                throw new ProtocolException(ErrorCode.BAD_PAYLOAD, "BATCH data ends inside a record length");
            }
            int len = ((raw[pos] & 0xFF) << 24) | ((raw[pos + 1] & 0xFF) << 16) | ((raw[pos + 2] & 0xFF) << 8) | (raw[pos + 3] & 0xFF);
            pos += 4;
            if (len < 12 || len > raw.length - pos) {
                throw new ProtocolException(ErrorCode.BAD_PAYLOAD, "record length " + Integer.toUnsignedString(len)
                        + " at byte " + (pos - 4) + " is out of range");
            }
            int at = pos;
            pos += len;
            Record r;
            try {
                if (decode) {
                    RecordCodec.Decoded d = codec.decode(raw, at, len); // the entries of every record share the frame's array
                    r = new Record(d.seq(), d.sourceId(), d.entries(), null, raw, at, len, 0);
                } else {
                    RecordCodec.Checked c = codec.check(raw, at, len);
                    r = new Record(c.seq(), c.sourceId(), null, null, raw, at, len, c.fields());
                }
            } catch (CorruptRecordException | RuntimeException e) {
                throw new ProtocolException(ErrorCode.BAD_PAYLOAD, "record " + out.size() + " does not decode: " + e.getMessage());
            }
            if (r.seq() <= prev || r.seq() < b.firstSeq() || r.seq() > b.lastSeq()) {
                throw new ProtocolException(ErrorCode.BAD_PAYLOAD, "record seq " + r.seq() + " is out of order or outside "
                        + b.firstSeq() + ".." + b.lastSeq());
            }
            if (out.isEmpty() && r.seq() != b.firstSeq()) {
                throw new ProtocolException(ErrorCode.BAD_PAYLOAD, "first record seq " + r.seq() + " is not first_seq " + b.firstSeq());
            }
            prev = r.seq();
            entries += r.size();
            out.add(r);
        }
        if (out.isEmpty()) {
            throw new ProtocolException(ErrorCode.BAD_PAYLOAD, "BATCH holds no record");
        }
        if (prev != b.lastSeq()) {
            throw new ProtocolException(ErrorCode.BAD_PAYLOAD, "last record seq " + prev + " is not last_seq " + b.lastSeq());
        }
        if (entries != b.entries()) {
            throw new ProtocolException(ErrorCode.BAD_PAYLOAD, "BATCH announces " + b.entries() + " entries, its records hold " + entries);
        }
        return out;
    }
}
