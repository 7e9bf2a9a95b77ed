package io.hakobu.daemon.source.syslog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 6587 framing without sockets: octet counting and LF framing, detected per frame. */
class SyslogFrameDecoderTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Feeds {@code input} in pieces of {@code piece} bytes, then closes; returns the frames. */
    private static List<SyslogFrameDecoder.Frame> decode(int max, String input, int piece) {
        EmbeddedChannel ch = new EmbeddedChannel(new SyslogFrameDecoder(max));
        byte[] all = b(input);
        for (int i = 0; i < all.length; i += piece) {
            ch.writeInbound(Unpooled.wrappedBuffer(all, i, Math.min(piece, all.length - i)));
        }
        ch.finish();
        List<SyslogFrameDecoder.Frame> out = new ArrayList<>();
        SyslogFrameDecoder.Frame f;
        while ((f = ch.readInbound()) != null) {
            out.add(f);
        }
        return out;
    }

    private static List<String> texts(List<SyslogFrameDecoder.Frame> frames) {
        return frames.stream().map(f -> new String(f.bytes(), StandardCharsets.ISO_8859_1)).toList();
    }

    @Test
    void octetCountingAndLfFramingMixedPerFrame() {
        String input = "20 <13>1 - - - - - - hi<13>Nov  5 09:07:03 host app: a\n"
                + "12 line1\nline2<14>x\r\n";
        for (int piece : new int[] {1, 3, 7, 1000}) {
            List<SyslogFrameDecoder.Frame> frames = decode(1024, input, piece);
            assertEquals(List.of("<13>1 - - - - - - hi", "<13>Nov  5 09:07:03 host app: a", "line1\nline2<", "14>x\r"),
                    texts(frames), "piece " + piece);
            assertTrue(frames.stream().noneMatch(SyslogFrameDecoder.Frame::truncated));
        }
    }

    @Test
    void oversizeOctetCountedFrameIsCutAndTheRestSkipped() {
        String big = "x".repeat(100);
        for (int piece : new int[] {1, 9, 1000}) {
            List<SyslogFrameDecoder.Frame> frames = decode(10, "100 " + big + "5 after", piece);
            assertEquals(List.of("xxxxxxxxxx", "after"), texts(frames));
            assertTrue(frames.get(0).truncated());
            assertFalse(frames.get(1).truncated());
        }
    }

    @Test
    void oversizeLineIsCutAndSkippedToItsLf() {
        List<SyslogFrameDecoder.Frame> frames = decode(10, "<13>" + "y".repeat(50) + "\n<13>ok\n", 4);
        assertEquals(List.of("<13>yyyyyy", "<13>ok"), texts(frames));
        assertTrue(frames.get(0).truncated());
    }

    @Test
    void badOctetCountIsReadAsALine() {
        assertEquals(List.of("12abc garbage", "1234567890123 x", "99"), texts(decode(1024, "12abc garbage\n1234567890123 x\n99", 5)));
    }

    @Test
    void connectionClosedInsideAnOctetCountedFrame() {
        List<SyslogFrameDecoder.Frame> frames = decode(1024, "50 <13>1 - - - - - - cut short", 1000);
        assertEquals(1, frames.size());
        assertTrue(frames.get(0).truncated());
        assertEquals("50 <13>1 - - - - - - cut short", texts(frames).get(0));
    }

    @Test
    void emptyLinesAreEmptyMessagesAndNothingLeaks() {
        EmbeddedChannel ch = new EmbeddedChannel(new SyslogFrameDecoder(64));
        ch.writeInbound(Unpooled.wrappedBuffer(b("\n\n")));
        SyslogFrameDecoder.Frame f = ch.readInbound();
        assertEquals(0, f.bytes().length);
        f = ch.readInbound();
        assertEquals(0, f.bytes().length);
        assertNull(ch.readInbound());
        assertFalse(ch.finishAndReleaseAll());
    }
}
