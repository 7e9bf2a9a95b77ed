package io.hakobu.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Feeds over a million random and mutated frames into {@link FrameDecoder} (and every BATCH that
 * still decodes into {@link BatchPayload#decode} and {@link BatchPayload#check}, which must agree):
 * the only exception allowed is
 * {@link ProtocolException}, and every input buffer is released (paranoid leak detection runs in
 * surefire too). Seeded, so a failure can be replayed.
 */
class FrameFuzzTest {
    static final int FRAMES = 1_050_000;
    static final int CHANNEL_FRAMES = 100_000;

    /**
     * The decoding logic itself ({@link FrameDecoder#decode}, then {@link BatchPayload#decode}) on
     * over a million inputs, with the cumulation kept by the test (fast: no pipeline).
     */
    @Test
    @Timeout(120)
    void millionRandomAndMutatedFramesIntoTheDecoder() {
        long seed = Long.getLong("fuzz.seed", 20261127L) + 1;
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Frame> samples = FrameCodecTest.samples();
        byte[][] wires = new byte[samples.size()][];
        for (int i = 0; i < wires.length; i++) {
            wires[i] = FrameCodecTest.bytes(samples.get(i));
        }
        BatchPayload payload = new BatchPayload();
        FrameDecoder decoder = new FrameDecoder(1 << 16);
        java.util.ArrayList<Object> out = new java.util.ArrayList<>();
        byte[] acc = new byte[1 << 17];
        int accLen = 0;
        long errors = 0;
        long decoded = 0;
        long payloadErrors = 0;
        long t0 = System.nanoTime();
        for (int n = 0; n < FRAMES; n++) {
            byte[] w = mutate(wires[rnd.nextInt(wires.length)], rnd);
            if (accLen + w.length > acc.length) {
                decoder = new FrameDecoder(1 << 16); // an incomplete frame swallowed too much: start over
                accLen = 0;
            }
            System.arraycopy(w, 0, acc, accLen, w.length);
            accLen += w.length;
            ByteBuf view = Unpooled.wrappedBuffer(acc, 0, accLen);
            try {
                decoder.decode(null, view, out);
            } catch (ProtocolException e) {
                errors++;
                decoder = new FrameDecoder(1 << 16);
                view.readerIndex(view.writerIndex());
            }
            int left = view.readableBytes();
            System.arraycopy(acc, view.readerIndex(), acc, 0, left);
            accLen = left;
            for (Object f : out) {
                decoded++;
                if (f instanceof Frame.Batch b) {
                    boolean decodes = true;
                    try {
                        payload.decode(b, 1 << 20);
                    } catch (ProtocolException e) {
                        payloadErrors++;
                        decodes = false;
                    }
                    // the aggregator's check refuses exactly what decoding refuses
                    boolean passes = true;
                    try {
                        payload.check(b, 1 << 20);
                    } catch (ProtocolException e) {
                        passes = false;
                    }
                    if (passes != decodes) {
                        throw new AssertionError("check " + (passes ? "passes" : "refuses") + " a batch that decoding "
                                + (decodes ? "takes" : "refuses") + " (input " + n + ", seed " + seed + ")");
                    }
                }
            }
            out.clear();
            if (rnd.nextInt(64) == 0) {
                decoder = new FrameDecoder(1 << 16);
                accLen = 0;
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("fuzz (decoder): %d inputs in %.1f s: %d frames decoded, %d protocol errors, %d payload errors (seed %d)%n",
                FRAMES, secs, decoded, errors, payloadErrors, seed);
        assertTrue(errors > FRAMES / 10, "mutations were caught");
        assertTrue(decoded > FRAMES / 10, "valid frames still decode");
    }

    /**
     * The same through an {@link EmbeddedChannel} (Netty's cumulation, fragmentation, exception
     * path): every buffer fed in is released.
     */
    @Test
    @Timeout(120)
    void mutatedFramesThroughAChannelReleaseEveryBuffer() {
        final int FRAMES = CHANNEL_FRAMES;
        long seed = Long.getLong("fuzz.seed", 20261127L);
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Frame> samples = FrameCodecTest.samples();
        byte[][] wires = new byte[samples.size()][];
        for (int i = 0; i < wires.length; i++) {
            wires[i] = FrameCodecTest.bytes(samples.get(i));
        }
        BatchPayload payload = new BatchPayload();
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1 << 16));
        long errors = 0;
        long decoded = 0;
        long payloadErrors = 0;
        long t0 = System.nanoTime();
        java.util.ArrayList<ByteBuf> live = new java.util.ArrayList<>();
        for (int n = 0; n < FRAMES; n++) {
            byte[] w = mutate(wires[rnd.nextInt(wires.length)], rnd);
            if (w.length == 0) {
                continue; // Unpooled.EMPTY_BUFFER is not reference counted
            }
            ByteBuf in = Unpooled.wrappedBuffer(w);
            live.add(in);
            try {
                // fragment: sometimes split the frame in two writes
                if (w.length > 2 && rnd.nextInt(4) == 0) {
                    int cut = 1 + rnd.nextInt(w.length - 1);
                    ByteBuf a = in.retainedSlice(0, cut);
                    ByteBuf b = in.retainedSlice(cut, w.length - cut);
                    in.release();
                    try {
                        ch.writeInbound(a);
                    } finally {
                        ch.writeInbound(b);
                    }
                } else {
                    ch.writeInbound(in);
                }
            } catch (ProtocolException e) {
                errors++;
                ch = reset(ch, live, n, seed);
            }
            Object f;
            while ((f = ch.readInbound()) != null) {
                decoded++;
                if (f instanceof Frame.Batch b) {
                    try {
                        payload.decode(b, 1 << 20);
                    } catch (ProtocolException e) {
                        payloadErrors++;
                    }
                }
            }
            if (rnd.nextInt(64) == 0) {
                // a fresh decoder now and then, so a frame left incomplete does not swallow the rest
                ch = reset(ch, live, n, seed);
            }
        }
        reset(ch, live, FRAMES, seed);
        ch.finishAndReleaseAll();
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("fuzz (channel): %d inputs in %.1f s: %d frames decoded, %d protocol errors, %d payload errors (seed %d)%n",
                FRAMES, secs, decoded, errors, payloadErrors, seed);
        assertTrue(errors > FRAMES / 10, "mutations were caught");
        assertTrue(decoded > FRAMES / 10, "valid frames still decode");
    }

    /** Closes the channel and checks that every buffer fed to it was released. */
    private static EmbeddedChannel reset(EmbeddedChannel ch, java.util.List<ByteBuf> live, int n, long seed) {
        // replacing the decoder removes the old one, which releases its cumulation
        ch.pipeline().remove(FrameDecoder.class);
        ch.checkException();
        Object left; // a removed ByteToMessageDecoder passes its unread bytes on: release them
        while ((left = ch.readInbound()) != null) {
            io.netty.util.ReferenceCountUtil.release(left);
        }
        ch.pipeline().addLast("decoder", new FrameDecoder(1 << 16));
        for (ByteBuf b : live) {
            assertEquals(0, b.refCnt(), "input buffer leaked before input " + n + " (seed " + seed + ")");
        }
        live.clear();
        return ch;
    }

    /** Random bytes, or a sample with flipped bytes, a cut, junk appended, or a changed length. */
    static byte[] mutate(byte[] w, SplittableRandom rnd) {
        int kind = rnd.nextInt(8);
        byte[] out;
        switch (kind) {
            case 0 -> {
                out = new byte[rnd.nextInt(64)];
                for (int i = 0; i < out.length; i++) {
                    out[i] = (byte) rnd.nextInt(256);
                }
                if (out.length >= 2 && rnd.nextBoolean()) {
                    out[0] = 0x48;
                    out[1] = 0x4B; // random body behind a valid magic
                }
            }
            case 1, 2 -> {
                out = w.clone();
                int flips = 1 + rnd.nextInt(4);
                for (int i = 0; i < flips; i++) {
                    out[rnd.nextInt(out.length)] = (byte) rnd.nextInt(256);
                }
            }
            case 3 -> out = java.util.Arrays.copyOf(w, rnd.nextInt(w.length));
            case 4 -> {
                out = java.util.Arrays.copyOf(w, w.length + 1 + rnd.nextInt(16));
                for (int i = w.length; i < out.length; i++) {
                    out[i] = (byte) rnd.nextInt(256);
                }
            }
            case 5 -> {
                out = w.clone();
                int len = rnd.nextInt(4) == 0 ? rnd.nextInt() : Math.max(0, w.length - 8 + rnd.nextInt(9) - 4);
                out[4] = (byte) (len >>> 24);
                out[5] = (byte) (len >>> 16);
                out[6] = (byte) (len >>> 8);
                out[7] = (byte) len;
            }
            case 6 -> {
                out = w.clone();
                if (out.length > 10) {
                    int at = 8 + rnd.nextInt(out.length - 8);
                    out[at] = (byte) (rnd.nextBoolean() ? 0xFF : 0x00);
                }
            }
            default -> out = w.clone(); // valid
        }
        return out;
    }
}
