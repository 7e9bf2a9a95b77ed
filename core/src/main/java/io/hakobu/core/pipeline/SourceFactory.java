package io.hakobu.core.pipeline;

import io.hakobu.core.config.ConfigMap;

/**
 * Registers one source type ({@code type: <name>}). Found through {@link java.util.ServiceLoader}.
 *
 * @param <C> the immutable config record of the source
 */
public interface SourceFactory<C> {
    /** The {@code type:} tag, e.g. {@code file}. */
    String type();

    /** One line for {@code hakobu check --list} and the startup log. */
    String description();

    /**
     * Reads and validates the source's keys (the pipeline has already taken {@code type}). Reports
     * every problem to {@code cfg} and never throws for bad input; returns {@code null} when the
     * config is unusable. Has no side effects (used by {@code hakobu check}).
     */
    C parse(ConfigMap cfg);

    Source create(String id, C config, NodeInfo node) throws Exception;
}
