package io.hakobu.core.pipeline;

/**
 * A producer of entries (file tail, stdin, journald, syslog, a protocol listener).
 *
 * <p>Lifecycle, driven by the pipeline:
 * <ol>
 *   <li>{@link #run(SourceContext)} is called once, on a thread of its own. The source reads,
 *       builds {@link Batch}es whose {@link BatchAck} it created, and hands them to
 *       {@link SourceContext#emit(Batch)}. It returns when {@link SourceContext#isStopping()}
 *       turns true (or when its input ends, e.g. stdin at EOF).</li>
 *   <li>After every source has returned and the sinks have drained (or the shutdown deadline
 *       passed), {@link #close()} is called: persist the final checkpoint, which covers exactly
 *       the acknowledged prefix, and release resources.</li>
 * </ol>
 * A source advances its checkpoint only over entries whose acknowledgement completed with a
 * {@linkplain DeliveryStatus#isFinal() final} status, in order (see {@link OrderedAcker}).
 */
public interface Source {
    void run(SourceContext ctx) throws Exception;

    default void close() throws Exception {
    }
}
