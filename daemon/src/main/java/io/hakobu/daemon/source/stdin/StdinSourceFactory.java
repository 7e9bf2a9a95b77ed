package io.hakobu.daemon.source.stdin;

import io.hakobu.core.codec.Parsers;
import io.hakobu.core.config.ConfigMap;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Source;
import io.hakobu.core.pipeline.SourceFactory;
import io.hakobu.daemon.source.TimestampExtractor;
import java.util.Map;

/** {@code type: stdin}: one entry per line of standard input; the source ends at end of input. */
public final class StdinSourceFactory implements SourceFactory<StdinSourceFactory.Config> {

    /** @param format raw | ltsv | json | logfmt; the other keys as for files */
    public record Config(String format, boolean keepMessage, Map<String, String> fields, long maxLineBytes, int batchEvents,
                         TimestampExtractor.Config timestamp) {
    }

    @Override
    public String type() {
        return "stdin";
    }

    @Override
    public String description() {
        return "reads lines from standard input until it ends";
    }

    @Override
    public Config parse(ConfigMap cfg) {
        String format = cfg.oneOf("format", "raw", Parsers.FORMATS.toArray(new String[0]));
        boolean keep = cfg.bool("keep_message", false);
        Map<String, String> fields = cfg.stringMap("fields");
        long maxLine = cfg.size("max_line_bytes", 1L << 20);
        int batch = (int) cfg.integer("batch_events", 1024, 1, 65536);
        TimestampExtractor.Config timestamp = TimestampExtractor.parseConfig(cfg);
        cfg.finish();
        return new Config(format, keep, fields, maxLine, batch, timestamp);
    }

    @Override
    public Source create(String id, Config config, NodeInfo node) {
        return new StdinSource(id, config, node, System.in);
    }
}
