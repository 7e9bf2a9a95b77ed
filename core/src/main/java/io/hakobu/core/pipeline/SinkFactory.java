package io.hakobu.core.pipeline;

import io.hakobu.core.config.ConfigMap;

/**
 * Registers one sink type. Found through {@link java.util.ServiceLoader}.
 *
 * @param <C> the immutable config record of the sink
 * @see SourceFactory
 */
public interface SinkFactory<C> {
    String type();

    String description();

    /** As {@link SourceFactory#parse}; the pipeline has already taken {@code type}, {@code inputs} and {@code buffer}. */
    C parse(ConfigMap cfg);

    Sink create(String id, C config, NodeInfo node) throws Exception;

    /**
     * {@code hakobu check --online}: checks that the sink can reach and write its destination
     * (credentials, bucket, permissions) without delivering entries (a probe it removes again is fine).
     *
     * @return a one-line description of what was checked, or null when this sink type has
     *     nothing to check online (the default)
     * @throws Exception describing why the destination cannot be used
     */
    default String checkOnline(String id, C config, NodeInfo node) throws Exception {
        return null;
    }
}
