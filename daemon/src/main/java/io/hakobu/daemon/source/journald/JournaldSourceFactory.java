package io.hakobu.daemon.source.journald;

import io.hakobu.core.config.ConfigMap;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Source;
import io.hakobu.core.pipeline.SourceFactory;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/** {@code type: journald}: reads the systemd journal through {@code journalctl -o export}, checkpointed by cursor. */
public final class JournaldSourceFactory implements SourceFactory<JournaldSourceConfig> {
    private static final Pattern MATCH = Pattern.compile("[A-Z0-9_]{1,64}=.*", Pattern.DOTALL);

    @Override
    public String type() {
        return "journald";
    }

    @Override
    public String description() {
        return "reads the systemd journal (or a journal directory) with every field, checkpointed by journal cursor";
    }

    @Override
    public JournaldSourceConfig parse(ConfigMap cfg) {
        String directory = cfg.string("directory", null);
        if (directory != null && !directory.startsWith("/")) {
            cfg.problem("directory", "must be an absolute path");
        }
        List<String> units = cfg.stringList("units", List.of());
        List<String> identifiers = cfg.stringList("identifiers", List.of());
        List<String> matches = cfg.stringList("matches", List.of());
        for (String m : matches) {
            if (!m.equals("+") && !MATCH.matcher(m).matches()) {
                cfg.problem("matches", "'" + m + "' is not a journal match: expected FIELD=value (FIELD in A-Z, 0-9, _) or +");
            }
        }
        if (!matches.isEmpty() && (matches.get(0).equals("+") || matches.get(matches.size() - 1).equals("+"))) {
            cfg.problem("matches", "'+' must stand between two groups of matches");
        }
        for (String u : units) {
            if (u.isBlank()) {
                cfg.problem("units", "a unit name must not be empty");
            }
        }
        for (String i : identifiers) {
            if (i.isBlank()) {
                cfg.problem("identifiers", "an identifier must not be empty");
            }
        }
        boolean sinceNow = cfg.bool("since_now", false);
        boolean currentBoot = cfg.bool("current_boot_only", false);
        String journalctl = cfg.string("journalctl", "journalctl");
        long maxField = cfg.size("max_field_bytes", 1L << 20);
        if (maxField < 64 || maxField > (256L << 20)) {
            cfg.problem("max_field_bytes", "expected a size between 64B and 256MiB");
            maxField = 1L << 20;
        }
        long maxEntry = cfg.size("max_entry_bytes", 4L << 20);
        if (maxEntry < maxField || maxEntry > (512L << 20)) {
            cfg.problem("max_entry_bytes", "expected a size between max_field_bytes and 512MiB");
            maxEntry = Math.max(maxField, 4L << 20);
        }
        int batch = (int) cfg.integer("batch_events", 1024, 1, 65536);
        Duration poll = cfg.duration("poll_interval", Duration.ofMillis(100));
        cfg.finish();
        return new JournaldSourceConfig(directory, units, identifiers, matches, sinceNow, currentBoot, journalctl,
                (int) maxField, (int) maxEntry, batch, poll);
    }

    @Override
    public Source create(String id, JournaldSourceConfig config, NodeInfo node) {
        return new JournaldSource(id, config, node);
    }
}
