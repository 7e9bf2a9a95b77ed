package io.hakobu.sinks.file;

import io.hakobu.core.codec.Encoders;
import io.hakobu.core.config.ConfigMap;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Sink;
import io.hakobu.core.pipeline.SinkFactory;

/**
 * {@code type: file}: appends entries to local files named by a path template, exactly once
 * across crashes. Keys: {@code path} (required), {@code encoding} (raw | ndjson | ltsv, default
 * ndjson), {@code fsync} (default true), {@code max_open_files} (default 256).
 */
public final class FileSinkFactory implements SinkFactory<FileSinkConfig> {
    static final String DEFAULT_ENCODING = "ndjson";
    static final int DEFAULT_MAX_OPEN_FILES = 256;
    static final int MAX_MAX_OPEN_FILES = 65_536;

    @Override
    public String type() {
        return "file";
    }

    @Override
    public String description() {
        return "appends entries to files named by a template such as /var/log/remote/{_HOSTNAME}/{_SOURCE}.log"
                + " (raw, ndjson or ltsv), exactly-once across crashes";
    }

    @Override
    public FileSinkConfig parse(ConfigMap cfg) {
        String path = cfg.requiredString("path");
        PathTemplate template = null;
        if (path != null) {
            try {
                template = PathTemplate.parse(path);
            } catch (IllegalArgumentException e) {
                cfg.problem("path", e.getMessage());
            }
        }
        String encoding = cfg.oneOf("encoding", DEFAULT_ENCODING, Encoders.FORMATS.toArray(new String[0]));
        boolean fsync = cfg.bool("fsync", true);
        int maxOpenFiles = (int) cfg.integer("max_open_files", DEFAULT_MAX_OPEN_FILES, 1, MAX_MAX_OPEN_FILES);
        cfg.finish();
        if (template == null) {
            return null;
        }
        return new FileSinkConfig(template, encoding, fsync, maxOpenFiles);
    }

    @Override
    public Sink create(String id, FileSinkConfig config, NodeInfo node) {
        return new FileSink(id, config, node);
    }
}
