package io.hakobu.daemon.config;

import io.hakobu.core.config.ConfigMap;
import io.hakobu.core.config.ConfigNode;
import io.hakobu.core.config.ConfigProblems;
import io.hakobu.core.pipeline.BufferConfig;
import io.hakobu.core.pipeline.SinkFactory;
import io.hakobu.core.pipeline.SourceFactory;
import io.hakobu.core.pipeline.WhenFull;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Turns a {@link ConfigNode} tree into a {@link HakobuConfig}, collecting every problem (unknown
 * keys, wrong types, bad durations and sizes, unknown component types, routes to unknown sources)
 * in one pass. Has no side effects: this is also what {@code hakobu check} runs.
 */
public final class ConfigParser {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private final ComponentRegistry registry;

    public ConfigParser(ComponentRegistry registry) {
        this.registry = registry;
    }

    /** The configuration, or {@code null} if there were problems (all of them are in {@code problems}). */
    public HakobuConfig parse(ConfigNode root, ConfigProblems problems) {
        int before = problems.size();
        ConfigMap top = ConfigMap.of(root, problems);

        ConfigMap node = top.map("node");
        String nodeName = node.string("name", null);
        if (nodeName == null || nodeName.isBlank()) {
            nodeName = Hostnames.local();
        }
        String dataDir = node.string("data_dir", "/var/lib/hakobu");
        Duration grace = node.duration("shutdown_grace", Duration.ofSeconds(10));
        node.finish();

        ConfigMap api = top.map("api");
        String listen = api.string("listen", null);
        if (listen != null && !listen.matches("[^\\s:]*:\\d{1,5}")) {
            api.problem("listen", "expected HOST:PORT such as 127.0.0.1:9880, got '" + listen + "'");
        }
        api.finish();

        Map<String, ConfigNode> sourceNodes = section(top, root, "sources", "source", problems);
        Map<String, HakobuConfig.SourceSpec> sources = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigNode> e : sourceNodes.entrySet()) {
            HakobuConfig.SourceSpec s = parseSource(e.getKey(), e.getValue(), problems);
            if (s != null) {
                sources.put(s.id(), s);
            }
        }

        List<String> sourceIds = new ArrayList<>(sourceNodes.keySet());
        Map<String, HakobuConfig.SinkSpec> sinks = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigNode> e : section(top, root, "sinks", "sink", problems).entrySet()) {
            HakobuConfig.SinkSpec s = parseSink(e.getKey(), e.getValue(), sourceIds, problems);
            if (s != null) {
                sinks.put(s.id(), s);
            }
        }
        top.finish();
        if (problems.size() > before) {
            return null;
        }
        return new HakobuConfig(root.file(), nodeName, Path.of(dataDir), listen, grace, sources, sinks);
    }

    /**
     * The components of the {@code sources} or {@code sinks} section, by id; empty (and a problem)
     * when the section is missing, empty or not a map.
     */
    private static Map<String, ConfigNode> section(ConfigMap top, ConfigNode root, String name, String what,
                                                   ConfigProblems problems) {
        ConfigNode n = top.raw(name);
        if (n == null || n.kind() == ConfigNode.Kind.NULL
                || (n.kind() == ConfigNode.Kind.MAP && n.entries().isEmpty())) {
            problems.add(n != null ? n : root, (n == null ? "'" + name + "' is missing" : "is empty")
                    + ": define at least one " + what);
            return Map.of();
        }
        if (n.kind() != ConfigNode.Kind.MAP) {
            problems.add(n, "expected a map of " + what + " ids to " + name + ", got " + n.describe());
            return Map.of();
        }
        return n.entries();
    }

    @SuppressWarnings("unchecked")
    private HakobuConfig.SourceSpec parseSource(String id, ConfigNode n, ConfigProblems problems) {
        checkId(id, n, problems);
        ConfigMap cfg = ConfigMap.of(n, problems);
        String type = cfg.requiredString("type");
        if (type == null) {
            return null;
        }
        SourceFactory<Object> f = (SourceFactory<Object>) registry.source(type);
        if (f == null) {
            cfg.problem("type", "unknown source type '" + type + "'; known types: "
                    + String.join(", ", registry.sources().keySet()));
            return null;
        }
        Object parsed = f.parse(cfg);
        return parsed == null ? null : new HakobuConfig.SourceSpec(id, type, f, parsed);
    }

    @SuppressWarnings("unchecked")
    private HakobuConfig.SinkSpec parseSink(String id, ConfigNode n, List<String> sourceIds, ConfigProblems problems) {
        checkId(id, n, problems);
        ConfigMap cfg = ConfigMap.of(n, problems);
        String type = cfg.requiredString("type");
        List<String> inputs = cfg.stringList("inputs", sourceIds);
        for (String in : inputs) {
            if (!sourceIds.contains(in)) {
                cfg.problem("inputs", "unknown source '" + in + "'; sources are: " + String.join(", ", sourceIds));
            }
        }
        BufferConfig buffer = parseBuffer(cfg.map("buffer"));
        if (type == null) {
            return null;
        }
        SinkFactory<Object> f = (SinkFactory<Object>) registry.sink(type);
        if (f == null) {
            cfg.problem("type", "unknown sink type '" + type + "'; known types: "
                    + String.join(", ", registry.sinks().keySet()));
            return null;
        }
        Object parsed = f.parse(cfg);
        return parsed == null ? null : new HakobuConfig.SinkSpec(id, type, f, parsed, List.copyOf(inputs), buffer);
    }

    private static BufferConfig parseBuffer(ConfigMap b) {
        BufferConfig d = BufferConfig.DEFAULT;
        String type = b.oneOf("type", "disk", "memory", "disk");
        boolean disk = !"memory".equals(type);
        long maxBytes = b.size("max_bytes", disk ? BufferConfig.DISK_DEFAULT_MAX_BYTES : d.maxBytes());
        long maxEvents = d.maxEvents();
        if (!disk) {
            maxEvents = b.integer("max_events", d.maxEvents(), 1, Integer.MAX_VALUE);
        } else if (b.has("max_events")) {
            b.problem("max_events", "applies to memory buffers only; a disk buffer is limited by max_bytes");
        }
        String whenFull = b.oneOf("when_full", "block", "block", "drop_newest");
        long segmentBytes = 0;
        if (b.has("segment_bytes")) {
            if (!disk) {
                b.problem("segment_bytes", "applies to disk buffers only");
            } else {
                segmentBytes = b.size("segment_bytes", 0);
                if (segmentBytes < 4096 || segmentBytes > (1L << 30)) {
                    b.problem("segment_bytes", "expected a size between 4KiB and 1GiB");
                    segmentBytes = 0;
                }
            }
        }
        Duration fsync = Duration.ZERO;
        if (b.has("fsync")) {
            if (!disk) {
                b.problem("fsync", "applies to disk buffers only");
            } else if (!"always".equals(b.string("fsync", "always"))) {
                fsync = b.duration("fsync", Duration.ZERO);
                if (fsync.isZero() || fsync.compareTo(Duration.ofMinutes(1)) > 0) {
                    b.problem("fsync", "expected 'always' or an interval between 1ms and 1m, e.g. 200ms");
                    fsync = Duration.ZERO;
                }
            }
        }
        b.finish();
        if (maxBytes < (disk ? 64 * 1024 : 1024)) {
            b.problem("max_bytes", "must be at least " + (disk ? "64KiB for a disk buffer" : "1KiB"));
            maxBytes = disk ? 64 * 1024 : 1024;
        }
        WhenFull wf = WhenFull.parse(whenFull);
        if (!disk) {
            return new BufferConfig(maxEvents, maxBytes, wf);
        }
        BufferConfig dc = BufferConfig.disk(maxBytes, wf, fsync);
        return segmentBytes == 0 ? dc : dc.withSegmentBytes(segmentBytes);
    }

    private static void checkId(String id, ConfigNode n, ConfigProblems problems) {
        if (!ID.matcher(id).matches()) {
            problems.add(n, "component ids must match " + ID.pattern());
        }
    }
}
