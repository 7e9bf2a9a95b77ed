package io.hakobu.core.pipeline;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns acknowledgements that complete in any order into an in-order checkpoint position (the
 * role of Vector's {@code OrderedFinalizer}).
 *
 * <p>A source {@linkplain #register(Object) registers} the position reached after each batch, in
 * emission order, and puts the returned {@link BatchAck} in the batch. Acks complete out of order
 * on sink threads; {@link #acknowledged()} is always the newest registered position such that
 * every batch registered up to and including it has completed with a
 * {@linkplain DeliveryStatus#isFinal() final} status. That is the position a source may
 * checkpoint: after a crash it re-reads from there, so every entry is delivered at least once.
 *
 * <p>A batch that completes with {@link DeliveryStatus#ERRORED} (the pipeline's sink runners never
 * do this; they retry) was not delivered and never will be in this run: the acknowledged position
 * stays before it for good and {@link #isBlocked()} turns true. Later registrations are then no
 * longer tracked, so memory stays bounded.
 *
 * <h2>Threads and memory</h2>
 * {@link #register} may be called from any thread, but the order of registration is the order of
 * the checkpoint, so a source registers from the thread that emits (or otherwise serialises the
 * two). Acks may complete on any thread. Completing threads never block one another: whichever
 * completes an ack first takes the job of advancing the prefix (a "work in progress" counter
 * hands it over), and the {@code listener} is called by that thread, never concurrently, with
 * strictly newer positions each time. Keep the listener short (record the position; persist it
 * from the source's own thread), since it runs on a sink runner thread.
 *
 * <p>Each registration costs one small node until its prefix completes. Their number is bounded by
 * what the pipeline holds: the batches in the buffers of the sinks the source feeds, plus the
 * batches being written (at most one write per sink), plus the batch being emitted.
 *
 * @param <P> the position type (e.g. a byte offset or a journal cursor); must not be null
 */
public final class OrderedAcker<P> {
    private static final Logger log = LoggerFactory.getLogger(OrderedAcker.class);

    private static final int PENDING = 0;
    private static final int DONE = 1;
    private static final int FAILED = 2;

    /** One registration; also the ack's completion callback. A node of an intrusive MPSC list. */
    private static final class Slot<P> implements Consumer<DeliveryStatus> {
        final OrderedAcker<P> owner;
        P position;
        volatile int state;
        volatile Slot<P> next;

        Slot(OrderedAcker<P> owner, P position) {
            this.owner = owner;
            this.position = position;
        }

        @Override
        public void accept(DeliveryStatus status) {
            state = status.isFinal() ? DONE : FAILED;
            owner.advance();
        }
    }

    private final Consumer<? super P> listener;
    /** Newest registered slot (producers swap themselves in). */
    private final AtomicReference<Slot<P>> tail;
    /** The last slot consumed from the list; only touched by the thread holding {@link #wip}. */
    private Slot<P> head;
    private final AtomicInteger wip = new AtomicInteger();
    private final AtomicLong outstanding = new AtomicLong();
    private volatile P acknowledged;
    private volatile boolean blocked;

    /** An acker whose progress is read with {@link #acknowledged()}. */
    public OrderedAcker() {
        this(p -> { });
    }

    /**
     * @param listener called with each newer acknowledged position (see the class javadoc for its
     *     thread); an exception it throws is logged and otherwise ignored
     */
    public OrderedAcker(Consumer<? super P> listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        Slot<P> stub = new Slot<>(this, null);
        stub.state = DONE;
        this.head = stub;
        this.tail = new AtomicReference<>(stub);
    }

    /**
     * Registers the position reached once this batch is done and returns the batch's ack (one
     * share, owned by the caller, which normally hands it to {@link SourceContext#emit}).
     */
    public BatchAck register(P position) {
        Objects.requireNonNull(position, "position");
        if (blocked) {
            return BatchAck.none();
        }
        Slot<P> slot = new Slot<>(this, position);
        outstanding.incrementAndGet();
        Slot<P> prev = tail.getAndSet(slot);
        prev.next = slot; // linked before the ack escapes, so its completion finds it
        return new BatchAck(slot);
    }

    /**
     * The newest position whose batch and all earlier ones completed with a final status, or null
     * if none has yet.
     */
    public P acknowledged() {
        return acknowledged;
    }

    /** Registrations not yet covered by {@link #acknowledged()} (a snapshot). */
    public long outstanding() {
        return outstanding.get();
    }

    /** True once a registered batch completed as {@link DeliveryStatus#ERRORED}; the position is then stuck before it. */
    public boolean isBlocked() {
        return blocked;
    }

    /** True when every registered batch has completed and the position covers all of them. */
    public boolean isDrained() {
        return outstanding.get() == 0;
    }

    private void advance() {
        if (wip.getAndIncrement() != 0) {
            return; // the thread in the loop below will see our completion
        }
        int missed = 1;
        do {
            drainCompletedPrefix();
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    /** Runs only while holding {@link #wip}: a single consumer of the slot list at a time. */
    private void drainCompletedPrefix() {
        Slot<P> h = head;
        P newest = null;
        long consumed = 0;
        for (Slot<P> n = h.next; n != null; n = h.next) {
            int s = n.state;
            if (s == PENDING && !blocked) {
                break;
            }
            if (s == FAILED && !blocked) {
                blocked = true;
                log.warn("status=blocked position={} reason=\"a batch completed as ERRORED; the checkpoint stays before it\"",
                        n.position);
            }
            if (!blocked) {
                newest = n.position;
            }
            n.position = null; // n becomes the new stub; let the position be collected
            h = n;
            consumed++;
        }
        head = h;
        if (consumed > 0) {
            outstanding.addAndGet(-consumed);
        }
        if (newest != null) {
            acknowledged = newest;
            try {
                listener.accept(newest);
            } catch (RuntimeException e) {
                log.warn("status=listener_failed position={} error=\"{}\"", newest, e.toString(), e);
            }
        }
    }
}
