package io.hakobu.sinks.stdout;

import io.hakobu.core.codec.Encoders;
import io.hakobu.core.config.ConfigMap;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Sink;
import io.hakobu.core.pipeline.SinkFactory;

/** {@code type: stdout}: writes every entry to standard output, one line each. */
public final class StdoutSinkFactory implements SinkFactory<StdoutSinkConfig> {
    @Override
    public String type() {
        return "stdout";
    }

    @Override
    public String description() {
        return "writes entries to standard output (ndjson, ltsv or raw), for debugging and pipes";
    }

    @Override
    public StdoutSinkConfig parse(ConfigMap cfg) {
        String encoding = cfg.oneOf("encoding", "ndjson", Encoders.FORMATS.toArray(new String[0]));
        cfg.finish();
        return new StdoutSinkConfig(encoding);
    }

    @Override
    public Sink create(String id, StdoutSinkConfig config, NodeInfo node) {
        return new StdoutSink(id, config, System.out);
    }
}
