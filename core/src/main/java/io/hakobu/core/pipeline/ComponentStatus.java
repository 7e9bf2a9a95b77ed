package io.hakobu.core.pipeline;

/**
 * A snapshot of one pipeline component for {@code /health} and {@code /status}.
 *
 * @param id the component id ({@code sources.<id>} or {@code sinks.<id>})
 * @param kind source or sink
 * @param type the component's {@code type:} tag
 * @param state see {@link State}
 * @param lastError the most recent failure ({@code ExceptionClass: message}, or a short reason),
 *     null if none; for a sink it is cleared by the next successful write
 * @param queuedEvents entries waiting in the sink's buffer (0 for sources)
 * @param queuedBytes bytes waiting in the sink's buffer (0 for sources)
 * @param condition a problem the component is waiting out while it keeps running (e.g. "disk full
 *     writing buffer …"), null if none; {@code /health} reports it as degraded
 */
public record ComponentStatus(String id, Kind kind, String type, State state, String lastError,
        long queuedEvents, long queuedBytes, String condition) {

    public ComponentStatus(String id, Kind kind, String type, State state, String lastError, long queuedEvents,
            long queuedBytes) {
        this(id, kind, type, state, lastError, queuedEvents, queuedBytes, null);
    }

    public enum Kind {
        SOURCE, SINK
    }

    public enum State {
        /** Built, or its {@code start} has not returned yet. */
        STARTING,
        /** Running normally. A sink that is retrying a failed write is still running; see {@code lastError}. */
        RUNNING,
        /** Its run (source), start or runner (sink) failed; it does no more work. */
        FAILED,
        /** Finished: a source whose run returned (e.g. stdin at EOF), or a closed sink. */
        STOPPED
    }

    /** True unless the component failed (a finished source is healthy). */
    public boolean healthy() {
        return state != State.FAILED;
    }
}
