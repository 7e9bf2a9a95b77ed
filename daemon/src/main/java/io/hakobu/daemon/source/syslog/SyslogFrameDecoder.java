package io.hakobu.daemon.source.syslog;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits a syslog stream (TCP, unix stream) into messages, RFC 6587, detecting the framing of
 * every frame by its first byte:
 * <ul>
 *   <li><b>octet counting</b> ({@code MSG-LEN SP SYSLOG-MSG}): a first byte {@code 1}–{@code 9},
 *       at most 9 digits, then a space. Binary and newline safe.</li>
 *   <li><b>LF framing</b> (non-transparent, the message ends at {@code '\n'}): anything else,
 *       including digits not followed by a space ("a bad octet count"), so such input is kept as
 *       a line rather than dropped. A trailing {@code '\r'} is left to the parser.</li>
 * </ul>
 * A message longer than {@code maxMessageBytes} is cut there ({@link Frame#truncated()}): the rest
 * of an octet-counted frame is skipped by its count, the rest of a line up to its LF. Bytes left
 * when the connection closes become a last message (truncated if its octet count promised more).
 *
 * <p>Emits {@link Frame}s holding heap copies: no {@code ByteBuf} leaves the Netty pipeline. One
 * instance per connection (stateful).
 */
final class SyslogFrameDecoder extends ByteToMessageDecoder {

    /**
     * One framed message; {@code truncated} when it was cut at the size limit, {@code length} its
     * length as received (before the cut, without framing).
     */
    record Frame(byte[] bytes, boolean truncated, long length) {
        Frame(byte[] bytes, boolean truncated) {
            this(bytes, truncated, bytes.length);
        }
    }

    private static final int MAX_COUNT_DIGITS = 9;

    private final int maxMessageBytes;
    /** Bytes of an oversize octet-counted frame still to skip. */
    private long skip;
    /** Whether the rest of an oversize line is being skipped, up to its LF. */
    private boolean skipLine;

    SyslogFrameDecoder(int maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable()) {
            if (!decodeOne(in, out)) {
                return;
            }
        }
    }

    /** Decodes or skips one thing; false when more bytes are needed. */
    private boolean decodeOne(ByteBuf in, List<Object> out) {
        if (skip > 0) {
            int n = (int) Math.min(skip, in.readableBytes());
            in.skipBytes(n);
            skip -= n;
            return skip == 0;
        }
        int r = in.readerIndex();
        int w = in.writerIndex();
        if (skipLine) {
            int lf = in.indexOf(r, w, (byte) '\n');
            if (lf < 0) {
                in.skipBytes(w - r);
                return false;
            }
            in.readerIndex(lf + 1);
            skipLine = false;
            return true;
        }
        byte first = in.getByte(r);
        if (first >= '1' && first <= '9') {
            long count = 0;
            int i = r;
            while (i < w && i - r < MAX_COUNT_DIGITS) {
                byte c = in.getByte(i);
                if (c < '0' || c > '9') {
                    break;
                }
                count = count * 10 + (c - '0');
                i++;
            }
            if (i == w) {
                return false; // the count may go on
            }
            if (in.getByte(i) == ' ') {
                int start = i + 1;
                int available = w - start;
                if (count <= maxMessageBytes) {
                    if (available < count) {
                        return false;
                    }
                    out.add(new Frame(copy(in, start, (int) count), false));
                    in.readerIndex(start + (int) count);
                    return true;
                }
                if (available < maxMessageBytes) {
                    return false;
                }
                out.add(new Frame(copy(in, start, maxMessageBytes), true, count));
                in.readerIndex(start + maxMessageBytes);
                skip = count - maxMessageBytes;
                return true;
            }
            // digits not followed by a space: not an octet count, read it as a line
        }
        int lf = in.indexOf(r, Math.min(w, r + maxMessageBytes + 1), (byte) '\n');
        if (lf >= 0) {
            out.add(new Frame(copy(in, r, lf - r), false));
            in.readerIndex(lf + 1);
            return true;
        }
        if (w - r > maxMessageBytes) {
            out.add(new Frame(copy(in, r, maxMessageBytes), true));
            in.readerIndex(r + maxMessageBytes);
            skipLine = true;
            return true;
        }
        return false;
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        decode(ctx, in, out);
        if (in.isReadable() && skip == 0 && !skipLine) {
            // an unterminated last line, or an octet-counted frame cut short by the close
            int r = in.readerIndex();
            int n = Math.min(in.readableBytes(), maxMessageBytes);
            boolean cut = in.readableBytes() > maxMessageBytes || startsWithCount(in);
            byte[] rest = copy(in, r, n);
            in.skipBytes(in.readableBytes());
            out.add(new Frame(rest, cut));
        } else {
            in.skipBytes(in.readableBytes());
        }
    }

    /** Whether the readable bytes start like an octet-counted frame ({@code digits SP}). */
    private static boolean startsWithCount(ByteBuf in) {
        int r = in.readerIndex();
        int w = in.writerIndex();
        byte first = in.getByte(r);
        if (first < '1' || first > '9') {
            return false;
        }
        for (int i = r + 1; i < w && i - r <= MAX_COUNT_DIGITS; i++) {
            byte c = in.getByte(i);
            if (c == ' ') {
                return true;
            }
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return false;
    }

    private static byte[] copy(ByteBuf in, int from, int length) {
        byte[] b = new byte[length];
        in.getBytes(from, b);
        return b;
    }
}
