package io.hakobu.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits the byte stream into {@link Frame}s. The header is checked (magic, flags, type and
 * length against {@code maxFrameBytes}) as soon as its 8 bytes are in, before anything is
 * allocated for the payload; the payload is decoded in place (no copy of the cumulation, except
 * a BATCH's data, which becomes a heap array).
 *
 * <p>The first error is thrown as a {@link ProtocolException}; from then on every byte received is
 * discarded (the handler sends an ERROR frame and closes). Not sharable: one per channel.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private final int maxFrameBytes;
    private boolean failed;

    public FrameDecoder(int maxFrameBytes) {
        if (maxFrameBytes < FrameCodec.HEADER_BYTES) {
            throw new IllegalArgumentException("maxFrameBytes " + maxFrameBytes);
        }
        this.maxFrameBytes = maxFrameBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        while (in.readableBytes() >= FrameCodec.HEADER_BYTES) {
            int at = in.readerIndex();
            int magic = in.getUnsignedShort(at);
            byte type = in.getByte(at + 2);
            int flags = in.getUnsignedByte(at + 3);
            long length = in.getUnsignedInt(at + 4);
            try {
                if (magic != FrameCodec.MAGIC) {
                    throw new ProtocolException(ErrorCode.MALFORMED, String.format(
                            "bad magic 0x%04x (expected 0x%04x \"HK\"): not a hakobu peer, or a TLS/plain-text mismatch",
                            magic, FrameCodec.MAGIC));
                }
                if (type < Frame.TYPE_HELLO || type > Frame.TYPE_HEARTBEAT) {
                    throw new ProtocolException(ErrorCode.MALFORMED, String.format("unknown frame type 0x%02x", type & 0xFF));
                }
                if (flags != 0) {
                    throw new ProtocolException(ErrorCode.MALFORMED, "reserved flags " + flags + " set in a "
                            + FrameCodec.typeName(type) + " frame");
                }
                if (length > maxFrameBytes - FrameCodec.HEADER_BYTES) {
                    throw new ProtocolException(ErrorCode.FRAME_TOO_LARGE, FrameCodec.typeName(type) + " frame of "
                            + (length + FrameCodec.HEADER_BYTES) + " bytes is above max_frame_bytes " + maxFrameBytes);
                }
            } catch (ProtocolException e) {
                fail(in);
                throw e;
            }
            if (in.readableBytes() < FrameCodec.HEADER_BYTES + length) {
                return; // wait for the rest (cumulation grows to at most maxFrameBytes)
            }
            in.skipBytes(FrameCodec.HEADER_BYTES);
            ByteBuf payload = in.readSlice((int) length);
            Frame f;
            try {
                f = FrameCodec.decode(type, payload);
            } catch (ProtocolException e) {
                fail(in);
                throw e;
            }
            out.add(f);
        }
    }

    private void fail(ByteBuf in) {
        failed = true;
        in.skipBytes(in.readableBytes());
    }
}
