package io.hakobu.core.pipeline;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The acknowledgement a batch carries from its source to every sink it is routed to.
 *
 * <p>It is an explicit countdown: the pipeline {@linkplain #retain(int) retains} one share per sink
 * before handing the batch out, and each sink {@linkplain #complete(DeliveryStatus) completes} its
 * share exactly once. When the last share completes, the callback runs once with the merged
 * (worst) status. A batch routed nowhere is completed with {@code DELIVERED} by the pipeline.
 *
 * <p>Thread-safe; the callback runs on the thread that completes the last share.
 */
public final class BatchAck {
    private final AtomicInteger pending = new AtomicInteger(1);
    private final AtomicReference<DeliveryStatus> status = new AtomicReference<>(DeliveryStatus.DELIVERED);
    private final Consumer<DeliveryStatus> onDone;

    /** A new acknowledgement holding one share, owned by whoever created it. */
    public BatchAck(Consumer<DeliveryStatus> onDone) {
        this.onDone = Objects.requireNonNull(onDone, "onDone");
    }

    /** An acknowledgement nobody listens to (tests, fire-and-forget sources like UDP syslog). */
    public static BatchAck none() {
        return new BatchAck(s -> { });
    }

    /** Adds {@code n} shares; must be called while the caller still holds a share. */
    public BatchAck retain(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n < 0");
        }
        int before = pending.getAndAdd(n);
        if (before <= 0) {
            pending.getAndAdd(-n);
            throw new IllegalStateException("retain after completion");
        }
        return this;
    }

    /** Completes one share with the given status. */
    public void complete(DeliveryStatus s) {
        Objects.requireNonNull(s, "status");
        status.accumulateAndGet(s, DeliveryStatus::merge);
        int left = pending.decrementAndGet();
        if (left == 0) {
            onDone.accept(status.get());
        } else if (left < 0) {
            throw new IllegalStateException("BatchAck completed more often than retained");
        }
    }

    public boolean isDone() {
        return pending.get() == 0;
    }

    /** The merged status so far. */
    public DeliveryStatus status() {
        return status.get();
    }
}
