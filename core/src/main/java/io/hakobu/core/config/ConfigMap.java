package io.hakobu.core.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A typed, validating reader over one MAP {@link ConfigNode}. Every getter records what it read;
 * problems (wrong type, bad value, missing required key) go to the shared {@link ConfigProblems}
 * and the getter returns the default, so that one pass reports everything. {@link #finish()}
 * reports every key nobody read as unknown, with a suggestion when a known key is close.
 */
public final class ConfigMap {
    private final ConfigNode node;
    private final ConfigProblems problems;
    private final Set<String> known = new HashSet<>();

    public ConfigMap(ConfigNode node, ConfigProblems problems) {
        if (node.kind() != ConfigNode.Kind.MAP) {
            throw new IllegalArgumentException("not a map: " + node);
        }
        this.node = node;
        this.problems = problems;
    }

    /** The map at {@code node}, or an empty map (and a problem) when it is something else. */
    public static ConfigMap of(ConfigNode node, ConfigProblems problems) {
        if (node.kind() == ConfigNode.Kind.MAP) {
            return new ConfigMap(node, problems);
        }
        if (node.kind() != ConfigNode.Kind.NULL) {
            problems.add(node, "expected a map, got " + node.describe());
        }
        return new ConfigMap(ConfigNode.map(node.file(), node.line(), node.path(), Map.of()), problems);
    }

    public ConfigNode node() {
        return node;
    }

    public ConfigProblems problems() {
        return problems;
    }

    public String path() {
        return node.path();
    }

    /** Reports a problem at {@code key}'s node if present, else at this map. */
    public void problem(String key, String message) {
        ConfigNode n = node.entries().get(key);
        if (n != null) {
            problems.add(n, message);
        } else {
            problems.add(ConfigNode.nullNode(node.file(), node.line(), child(key)), message);
        }
    }

    public boolean has(String key) {
        known.add(key);
        ConfigNode n = node.entries().get(key);
        return n != null && n.kind() != ConfigNode.Kind.NULL;
    }

    /** The raw node, or null; marks the key as known. */
    public ConfigNode raw(String key) {
        known.add(key);
        return node.entries().get(key);
    }

    /** Declares keys that are valid but read elsewhere. */
    public void accept(String... keys) {
        known.addAll(Arrays.asList(keys));
    }

    public String string(String key, String defaultValue) {
        ConfigNode n = raw(key);
        if (n == null || n.kind() == ConfigNode.Kind.NULL) {
            return defaultValue;
        }
        if (n.kind() != ConfigNode.Kind.SCALAR) {
            problems.add(n, "expected a string, got " + n.describe());
            return defaultValue;
        }
        return n.scalar();
    }

    public String requiredString(String key) {
        String s = string(key, null);
        if (s == null && (raw(key) == null || raw(key).kind() == ConfigNode.Kind.NULL)) {
            problem(key, "is required");
        } else if (s != null && s.isEmpty()) {
            problem(key, "must not be empty");
            return null;
        }
        return s;
    }

    public boolean bool(String key, boolean defaultValue) {
        ConfigNode n = raw(key);
        if (n == null || n.kind() == ConfigNode.Kind.NULL) {
            return defaultValue;
        }
        if (n.kind() == ConfigNode.Kind.SCALAR) {
            String s = n.scalar().toLowerCase(Locale.ROOT);
            if (s.equals("true") || s.equals("yes") || s.equals("on")) {
                return true;
            }
            if (s.equals("false") || s.equals("no") || s.equals("off")) {
                return false;
            }
        }
        problems.add(n, "expected true or false, got " + n.describe());
        return defaultValue;
    }

    public long integer(String key, long defaultValue, long min, long max) {
        ConfigNode n = raw(key);
        if (n == null || n.kind() == ConfigNode.Kind.NULL) {
            return defaultValue;
        }
        if (n.kind() == ConfigNode.Kind.SCALAR) {
            try {
                long v = Long.parseLong(n.scalar().trim().replace("_", ""));
                if (v < min || v > max) {
                    problems.add(n, "expected an integer between " + min + " and " + max + ", got " + v);
                    return defaultValue;
                }
                return v;
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        problems.add(n, "expected an integer, got " + n.describe());
        return defaultValue;
    }

    public Duration duration(String key, Duration defaultValue) {
        ConfigNode n = raw(key);
        if (n == null || n.kind() == ConfigNode.Kind.NULL) {
            return defaultValue;
        }
        if (n.kind() != ConfigNode.Kind.SCALAR) {
            problems.add(n, "expected a duration like 250ms, 5s, 10m, 1h or 2d, got " + n.describe());
            return defaultValue;
        }
        try {
            return Units.parseDuration(n.scalar());
        } catch (IllegalArgumentException e) {
            problems.add(n, e.getMessage());
            return defaultValue;
        }
    }

    public long size(String key, long defaultValue) {
        ConfigNode n = raw(key);
        if (n == null || n.kind() == ConfigNode.Kind.NULL) {
            return defaultValue;
        }
        if (n.kind() != ConfigNode.Kind.SCALAR) {
            problems.add(n, "expected a size like 64KiB, 256MiB or 1GiB, got " + n.describe());
            return defaultValue;
        }
        try {
            return Units.parseSize(n.scalar());
        } catch (IllegalArgumentException | ArithmeticException e) {
            problems.add(n, e.getMessage());
            return defaultValue;
        }
    }

    /** One of {@code allowed} (case-sensitive, as written in the docs). */
    public String oneOf(String key, String defaultValue, String... allowed) {
        String s = string(key, null);
        if (s == null) {
            return defaultValue;
        }
        for (String a : allowed) {
            if (a.equals(s)) {
                return s;
            }
        }
        problems.add(raw(key), "expected one of " + String.join(", ", allowed) + ", got '" + s + "'");
        return defaultValue;
    }

    /** A list of strings; a single string is taken as a one-element list. */
    public List<String> stringList(String key, List<String> defaultValue) {
        ConfigNode n = raw(key);
        if (n == null || n.kind() == ConfigNode.Kind.NULL) {
            return defaultValue;
        }
        if (n.kind() == ConfigNode.Kind.SCALAR) {
            return List.of(n.scalar());
        }
        if (n.kind() != ConfigNode.Kind.LIST) {
            problems.add(n, "expected a list of strings, got " + n.describe());
            return defaultValue;
        }
        List<String> out = new ArrayList<>();
        for (ConfigNode item : n.items()) {
            if (item.kind() != ConfigNode.Kind.SCALAR) {
                problems.add(item, "expected a string, got " + item.describe());
            } else {
                out.add(item.scalar());
            }
        }
        return List.copyOf(out);
    }

    /** A map of string to string (e.g. static {@code fields}). */
    public Map<String, String> stringMap(String key) {
        ConfigNode n = raw(key);
        if (n == null || n.kind() == ConfigNode.Kind.NULL) {
            return Map.of();
        }
        if (n.kind() != ConfigNode.Kind.MAP) {
            problems.add(n, "expected a map of names to values, got " + n.describe());
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigNode> e : n.entries().entrySet()) {
            if (e.getValue().kind() != ConfigNode.Kind.SCALAR) {
                problems.add(e.getValue(), "expected a string, got " + e.getValue().describe());
            } else {
                out.put(e.getKey(), e.getValue().scalar());
            }
        }
        return out;
    }

    /** A nested map; an absent key gives an empty map whose {@link #path()} is still right. */
    public ConfigMap map(String key) {
        ConfigNode n = raw(key);
        if (n == null) {
            return new ConfigMap(ConfigNode.map(node.file(), node.line(), child(key), Map.of()), problems);
        }
        return of(n, problems);
    }

    /** Reports every key that no getter asked for. Call after reading everything. */
    public void finish() {
        for (Map.Entry<String, ConfigNode> e : node.entries().entrySet()) {
            if (!known.contains(e.getKey())) {
                String hint = suggestion(e.getKey());
                problems.add(e.getValue(), "unknown key" + (hint == null ? "" : " (did you mean '" + hint + "'?)")
                        + "; expected one of: " + known.stream().sorted().collect(Collectors.joining(", ")));
            }
        }
    }

    private String suggestion(String key) {
        String best = null;
        int bestDist = 3;
        for (String k : known) {
            int d = distance(key, k);
            if (d < bestDist) {
                bestDist = d;
                best = k;
            }
        }
        return best;
    }

    private String child(String key) {
        return node.path().isEmpty() ? key : node.path() + "." + key;
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
