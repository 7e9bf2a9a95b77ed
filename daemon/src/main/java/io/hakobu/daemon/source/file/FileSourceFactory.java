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
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

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
        int fingerprint = (int) cfg.integer("fingerprint_bytes", FileSourceConfig.DEFAULT_FINGERPRINT_BYTES, 1, 65536);
        Duration rotateWait = cfg.duration("rotate_wait", FileSourceConfig.DEFAULT_ROTATE_WAIT);
        Duration forgetAfter = cfg.duration("forget_after", FileSourceConfig.DEFAULT_FORGET_AFTER);
        FileSourceConfig.Multiline multiline = cfg.has("multiline") ? parseMultiline(cfg.map("multiline"), maxLine) : null;
        cfg.finish();
        if (include.isEmpty()) {
            return null;
        }
        return new FileSourceConfig(include, exclude, format, keepMessage, readFrom, fields, maxLine, glob, poll, batch,
                timestamp, fingerprint, rotateWait, forgetAfter, multiline);
    }

    /**
     * {@code multiline: {start_pattern: REGEX, timeout: 1s, max_lines: 1000, max_bytes: <max_line_bytes>}}
     * ({@code start} is accepted for {@code start_pattern}, as SPEC §3 writes it).
     */
    static FileSourceConfig.Multiline parseMultiline(ConfigMap m, long maxLineBytes) {
        boolean both = m.has("start") && m.has("start_pattern");
        if (both) {
            m.problem("start", "give start_pattern or its alias start, not both");
        }
        String key = m.has("start") && !m.has("start_pattern") ? "start" : "start_pattern";
        String regex = m.string(key, null);
        Pattern start = null;
        if (regex == null || regex.isEmpty()) {
            m.problem("start_pattern", "is required: a regular expression matching the first line of an entry");
        } else {
            try {
                start = Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                m.problem(key, "not a valid regular expression: " + e.getDescription() + " near index " + e.getIndex());
            }
        }
        Duration timeout = m.duration("timeout", Duration.ofSeconds(1));
        if (timeout.isNegative() || timeout.isZero()) {
            m.problem("timeout", "must be positive");
            timeout = Duration.ofSeconds(1);
        }
        int maxLines = (int) m.integer("max_lines", 1000, 1, 1_000_000);
        long maxBytes = m.size("max_bytes", maxLineBytes);
        if (maxBytes < 64 || maxBytes > (256L << 20)) {
            m.problem("max_bytes", "expected a size between 64B and 256MiB");
            maxBytes = maxLineBytes;
        }
        m.finish();
        return start == null ? null : new FileSourceConfig.Multiline(start, timeout, maxLines, maxBytes);
    }

    @Override
    public Source create(String id, FileSourceConfig config, NodeInfo node) {
        return new FileSource(id, config, node);
    }
}
