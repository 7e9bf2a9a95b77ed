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
}
