package io.hakobu.daemon.source.syslog;

import io.netty.channel.Channel;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bounded handoff between the Netty event loops, which receive and frame messages, and the
 * source's own thread, which parses them and emits batches (and blocks there when a sink is full).
 *
 * <p>Bounded in bytes with two watermarks:
 * <ul>
 *   <li>stream connections (TCP, unix stream) always hand over what they framed (at most one read
 *       beyond the limit per connection), and stop reading ({@code autoRead = false}) once the
 *       pending bytes reach the high watermark ({@code max_pending_bytes}); they are resumed when
 *       the source thread has drained below the low watermark (half of it). The sender then waits
 *       in its own socket buffer: nothing is lost.</li>
 *   <li>datagrams (UDP, unix datagram) cannot be paused without losing them uncounted in the
 *       kernel, so they keep being read and are dropped, and counted by the caller, when the
 *       pending bytes would pass the high watermark.</li>
 * </ul>
 *
 * <p>Messages travel in chunks (what one read of a channel produced): an event loop reserves room
 * for each message ({@link #reserveStream}, {@link #reserveDatagram}) as it frames it, and
 * {@link #publish}es the chunk when the read completes, so the queue and the source thread's
 * wake-ups are paid per read, not per message.
 *
 * <p>Thread-safe: reserved and published from event loops, polled by one source thread.
 */
final class Handoff {
    /** Bookkeeping cost of a message beyond its bytes (the object, its array header). */
    static final int OVERHEAD = 64;

    private final LinkedBlockingQueue<List<Received>> queue = new LinkedBlockingQueue<>();
    /** The chunk being taken apart by the source thread, and the index of its next message. */
    private List<Received> current;
    private int next;
    private final AtomicLong pendingBytes = new AtomicLong();
    private final Set<Channel> paused = ConcurrentHashMap.newKeySet();
    private final long high;
    private final long low;

    Handoff(long maxPendingBytes) {
        this.high = maxPendingBytes;
        this.low = maxPendingBytes / 2;
    }

    private static long cost(Received r) {
        return r.bytes().length + OVERHEAD;
    }

    /**
     * Reserves room for a message of a stream connection; always granted. Returns true when the
     * connection must stop reading (then call {@link #pause}). The message must be published.
     */
    boolean reserveStream(Received r) {
        return pendingBytes.addAndGet(cost(r)) >= high;
    }

    /**
     * Reserves room for a datagram if it fits below the high watermark (one datagram always fits
     * an empty handoff); false when it must be dropped (and not published).
     */
    boolean reserveDatagram(Received r) {
        long c = cost(r);
        while (true) {
            long before = pendingBytes.get();
            if (before > 0 && before + c > high) {
                return false;
            }
            if (pendingBytes.compareAndSet(before, before + c)) {
                return true;
            }
        }
    }

    /** Hands reserved messages to the source thread, in order; the list is not touched afterwards. */
    void publish(List<Received> chunk) {
        if (!chunk.isEmpty()) {
            queue.add(chunk);
        }
    }

    /**
     * Stops reading {@code channel} until the pending bytes fall below the low watermark. Called on
     * the channel's event loop.
     */
    void pause(Channel channel) {
        channel.config().setAutoRead(false);
        paused.add(channel);
        if (pendingBytes.get() <= low) {
            resumeAll(); // drained meanwhile: do not wait for a poll that may never come
        }
    }

    /** The next message, waiting up to {@code millis}; null if none. Source thread only. */
    Received poll(long millis) throws InterruptedException {
        if (current == null || next == current.size()) {
            current = millis <= 0 ? queue.poll() : queue.poll(millis, TimeUnit.MILLISECONDS);
            next = 0;
            if (current == null) {
                return null;
            }
        }
        Received r = current.get(next);
        current.set(next++, null); // let it go as soon as it is taken
        long now = pendingBytes.addAndGet(-cost(r));
        if (now <= low && !paused.isEmpty()) {
            resumeAll();
        }
        return r;
    }

    private void resumeAll() {
        for (Channel ch : paused) {
            if (paused.remove(ch)) {
                ch.eventLoop().execute(() -> ch.config().setAutoRead(true));
            }
        }
    }

    /** Forgets a closed connection. */
    void closed(Channel channel) {
        paused.remove(channel);
    }

    long pendingBytes() {
        return pendingBytes.get();
    }
}
