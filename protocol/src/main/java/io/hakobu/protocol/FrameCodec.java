package io.hakobu.protocol;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Byte layout of every frame (see {@code protocol/PROTOCOL.md}). All integers big-endian.
 *
 * <pre>
 * frame     = magic:u16 (0x484B, "HK")  type:u8  flags:u8 (0)  length:u32  payload{length}
 * HELLO     = version:u16  capabilities:u32  node:str  token:str
 * WELCOME   = version:u16  capabilities:u32  node:str  max_frame_bytes:u32
 * BATCH     = stream:str  first_seq:u64  last_seq:u64  entries:u32  compression:u8  raw_length:u32  data{rest}
 * ACK       = stream:str  seq:u64
 * ERROR     = code:u16  message:str
 * HEARTBEAT = value:u64
 * str       = length:u16  utf8{length}
 * </pre>
 * Stateless and thread-safe.
 */
public final class FrameCodec {
    public static final int MAGIC = 0x484B;
    public static final int HEADER_BYTES = 8;
    public static final int MAX_NODE_BYTES = 255;
    public static final int MAX_TOKEN_BYTES = 4096;
    public static final int MAX_STREAM_BYTES = 1024;
    public static final int MAX_MESSAGE_BYTES = 4096;
    /** The smallest {@code max_frame_bytes} a peer may announce or configure. */
    public static final int MIN_MAX_FRAME_BYTES = 64 * 1024;

    private FrameCodec() {
    }

    // ---- encoding ---------------------------------------------------------------------------

    /** Writes the whole frame (header and payload) to {@code out}. */
    public static void encode(Frame f, ByteBuf out) {
        int start = out.writerIndex();
        out.writeShort(MAGIC);
        out.writeByte(f.type());
        out.writeByte(0);
        out.writeInt(0); // length, patched below
        if (f instanceof Frame.Hello h) {
            out.writeShort(h.version());
            out.writeInt(h.capabilities());
            writeString(out, h.node(), MAX_NODE_BYTES, false);
            writeString(out, h.token(), MAX_TOKEN_BYTES, false);
        } else if (f instanceof Frame.Welcome w) {
            out.writeShort(w.version());
            out.writeInt(w.capabilities());
            writeString(out, w.node(), MAX_NODE_BYTES, false);
            out.writeInt(w.maxFrameBytes());
        } else if (f instanceof Frame.Batch b) {
            writeString(out, b.stream(), MAX_STREAM_BYTES, false);
            out.writeLong(b.firstSeq());
            out.writeLong(b.lastSeq());
            out.writeInt(b.entries());
            out.writeByte(b.compression());
            out.writeInt(b.rawLength());
            out.writeBytes(b.data());
        } else if (f instanceof Frame.Ack a) {
            writeString(out, a.stream(), MAX_STREAM_BYTES, false);
            out.writeLong(a.seq());
        } else if (f instanceof Frame.Error e) {
            out.writeShort(e.code().code());
            writeString(out, e.message(), MAX_MESSAGE_BYTES, true);
        } else if (f instanceof Frame.Heartbeat h) {
            out.writeLong(h.value());
        } else {
            throw new IllegalArgumentException("unknown frame " + f);
        }
        out.setInt(start + 4, out.writerIndex() - start - HEADER_BYTES);
    }

    /** The size of the encoded BATCH frame (header included), without encoding it. */
    public static int batchFrameBytes(String stream, int dataBytes) {
        return HEADER_BYTES + 2 + utf8Length(stream) + 8 + 8 + 4 + 1 + 4 + dataBytes;
    }

    private static void writeString(ByteBuf out, String s, int max, boolean truncate) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        int n = b.length;
        if (n > max) {
            if (!truncate) {
                throw new IllegalArgumentException("string of " + n + " bytes is above the limit of " + max + ": " + s);
            }
            n = max;
            while (n > 0 && (b[n] & 0xC0) == 0x80) {
                n--; // do not cut inside a UTF-8 sequence
            }
        }
        out.writeShort(n);
        out.writeBytes(b, 0, n);
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    // ---- decoding ---------------------------------------------------------------------------

    /**
     * Decodes the payload of a frame of {@code type}; {@code p} holds exactly the payload and is
     * fully consumed. Never retains {@code p}.
     *
     * @throws ProtocolException for anything malformed
     */
    public static Frame decode(byte type, ByteBuf p) {
        try {
            Frame f = switch (type) {
                case Frame.TYPE_HELLO -> new Frame.Hello(p.readUnsignedShort(), p.readInt(),
                        readString(p, MAX_NODE_BYTES, "node"), readString(p, MAX_TOKEN_BYTES, "token"));
                case Frame.TYPE_WELCOME -> {
                    int version = p.readUnsignedShort();
                    int caps = p.readInt();
                    String node = readString(p, MAX_NODE_BYTES, "node");
                    int max = p.readInt();
                    if (max < MIN_MAX_FRAME_BYTES) {
                        throw new ProtocolException(ErrorCode.MALFORMED, "WELCOME max_frame_bytes " + Integer.toUnsignedString(max)
                                + " is below " + MIN_MAX_FRAME_BYTES + " or above 2^31-1");
                    }
                    yield new Frame.Welcome(version, caps, node, max);
                }
                case Frame.TYPE_BATCH -> decodeBatch(p);
                case Frame.TYPE_ACK -> {
                    String stream = readString(p, MAX_STREAM_BYTES, "stream");
                    long seq = p.readLong();
                    if (seq < 0) {
                        throw new ProtocolException(ErrorCode.MALFORMED, "ACK seq " + Long.toUnsignedString(seq) + " is above 2^63-1");
                    }
                    yield new Frame.Ack(stream, seq);
                }
                case Frame.TYPE_ERROR -> new Frame.Error(ErrorCode.of(p.readUnsignedShort()),
                        readString(p, MAX_MESSAGE_BYTES, "message"));
                case Frame.TYPE_HEARTBEAT -> new Frame.Heartbeat(p.readLong());
                default -> throw new ProtocolException(ErrorCode.MALFORMED,
                        String.format("unknown frame type 0x%02x", type & 0xFF));
            };
            if (p.isReadable()) {
                throw new ProtocolException(ErrorCode.MALFORMED, p.readableBytes() + " bytes after the end of a "
                        + typeName(type) + " frame");
            }
            return f;
        } catch (IndexOutOfBoundsException e) {
            throw new ProtocolException(ErrorCode.MALFORMED, typeName(type) + " frame is truncated: its length ends inside a field");
        }
    }

    private static Frame.Batch decodeBatch(ByteBuf p) {
        String stream = readString(p, MAX_STREAM_BYTES, "stream");
        if (stream.isEmpty()) {
            throw new ProtocolException(ErrorCode.MALFORMED, "BATCH stream id is empty");
        }
        long first = p.readLong();
        long last = p.readLong();
        if (first < 0 || last < first) {
            throw new ProtocolException(ErrorCode.MALFORMED, "BATCH sequence range " + first + ".." + last + " is invalid");
        }
        int entries = p.readInt();
        if (entries <= 0) {
            throw new ProtocolException(ErrorCode.MALFORMED, "BATCH entry count " + Integer.toUnsignedString(entries)
                    + " must be between 1 and 2^31-1");
        }
        byte compression = p.readByte();
        int raw = p.readInt();
        int dataLength = p.readableBytes();
        if (compression == Frame.COMPRESSION_NONE) {
            if (raw != dataLength) {
                throw new ProtocolException(ErrorCode.MALFORMED, "BATCH without compression announces " + Integer.toUnsignedString(raw)
                        + " bytes but carries " + dataLength);
            }
        } else if (compression == Frame.COMPRESSION_ZSTD) {
            if (raw < 0) {
                throw new ProtocolException(ErrorCode.MALFORMED, "BATCH raw_length " + Integer.toUnsignedString(raw) + " is above 2^31-1");
            }
        } else {
            throw new ProtocolException(ErrorCode.MALFORMED, "BATCH compression " + (compression & 0xFF) + " is unknown (0 none, 1 zstd)");
        }
        byte[] data = new byte[dataLength]; // bounded by the frame length, checked before the frame was read
        p.readBytes(data);
        return new Frame.Batch(stream, first, last, entries, compression, raw, data);
    }

    private static String readString(ByteBuf p, int max, String what) {
        int n = p.readUnsignedShort();
        if (n > max) {
            throw new ProtocolException(ErrorCode.MALFORMED, what + " is " + n + " bytes, above the limit of " + max);
        }
        if (n > p.readableBytes()) {
            throw new IndexOutOfBoundsException();
        }
        ByteBuffer bb = p.nioBuffer(p.readerIndex(), n);
        p.skipBytes(n);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bb).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException(ErrorCode.MALFORMED, what + " is not valid UTF-8");
        }
    }

    public static String typeName(byte type) {
        return switch (type) {
            case Frame.TYPE_HELLO -> "HELLO";
            case Frame.TYPE_WELCOME -> "WELCOME";
            case Frame.TYPE_BATCH -> "BATCH";
            case Frame.TYPE_ACK -> "ACK";
            case Frame.TYPE_ERROR -> "ERROR";
            case Frame.TYPE_HEARTBEAT -> "HEARTBEAT";
            default -> String.format("0x%02x", type & 0xFF);
        };
    }
}
