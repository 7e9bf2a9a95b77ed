package io.hakobu.daemon.source.file;

import io.hakobu.core.codec.Parsers;
import io.hakobu.core.config.ConfigMap;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Source;
import io.hakobu.core.pipeline.SourceFactory;
import io.hakobu.daemon.source.TimestampExtractor;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** {@code type: file}: reads files matched by globs to their end and follows appends, with checkpoints. */
public final class FileSourceFactory implements SourceFactory<FileSourceConfig> {
    @Override
    public String type() {
        return "file";
    }

    @Override
    public String description() {
        return "tails files matched by include globs (ltsv, json, logfmt, raw), checkpointed per file identity";
    }

    @Override
    public FileSourceConfig parse(ConfigMap cfg) {
        List<String> include = cfg.stringList("include", List.of());
        if (include.isEmpty()) {
            cfg.problem("include", "is required: a list of glob patterns such as [\"/var/log/nginx/*.log\"]");
        }
        for (String p : include) {
            if (!p.startsWith("/")) {
                cfg.problem("include", "pattern '" + p + "' must be an absolute path");
            }
        }
        List<String> exclude = cfg.stringList("exclude", List.of("*.gz"));
        String format = cfg.oneOf("format", "raw", Parsers.FORMATS.toArray(new String[0]));
        boolean keepMessage = cfg.bool("keep_message", false);
        String readFrom = cfg.oneOf("read_from", "beginning", "beginning", "end");
        Map<String, String> fields = cfg.stringMap("fields");
        long maxLine = cfg.size("max_line_bytes", 1L << 20);
        if (maxLine < 64 || maxLine > (256L << 20)) {
            cfg.problem("max_line_bytes", "expected a size between 64B and 256MiB");
            maxLine = 1L << 20;
        }
        Duration glob = cfg.duration("glob_interval", Duration.ofSeconds(1));
        Duration poll = cfg.duration("poll_interval", Duration.ofMillis(100));
        int batch = (int) cfg.integer("batch_events", 1024, 1, 65536);
        TimestampExtractor.Config timestamp = TimestampExtractor.parseConfig(cfg);
        cfg.finish();
        if (include.isEmpty()) {
            return null;
        }
        return new FileSourceConfig(include, exclude, format, keepMessage, readFrom, fields, maxLine, glob, poll, batch,
                timestamp);
    }

    @Override
    public Source create(String id, FileSourceConfig config, NodeInfo node) {
        return new FileSource(id, config, node);
    }
}
