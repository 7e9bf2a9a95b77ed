package io.hakobu.daemon.config;

import io.hakobu.core.pipeline.BufferConfig;
import io.hakobu.core.pipeline.SinkFactory;
import io.hakobu.core.pipeline.SourceFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A validated configuration (SPEC §3): the node, the API listener, and the sources and sinks with
 * their parsed component configs. Build one with {@link ConfigParser}.
 */
public record HakobuConfig(
        String file,
        String nodeName,
        Path dataDir,
        String apiListen,
        Duration shutdownGrace,
        Map<String, SourceSpec> sources,
        Map<String, SinkSpec> sinks) {

    public record SourceSpec(String id, String type, SourceFactory<Object> factory, Object config) {
    }

    public record SinkSpec(String id, String type, SinkFactory<Object> factory, Object config,
                           List<String> inputs, BufferConfig buffer) {
    }
}
