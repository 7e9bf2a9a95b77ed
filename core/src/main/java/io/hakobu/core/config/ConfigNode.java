package io.hakobu.core.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One node of a parsed configuration file, with where it came from: the file, the 1-based line
 * and the dotted key path ({@code sinks.archive.batch.timeout}). Immutable.
 */
public final class ConfigNode {
    public enum Kind { MAP, LIST, SCALAR, NULL }

    private final Kind kind;
    private final String file;
    private final int line;
    private final String path;
    private final Map<String, ConfigNode> map;
    private final List<ConfigNode> list;
    private final String scalar;

    private ConfigNode(Kind kind, String file, int line, String path, Map<String, ConfigNode> map,
                       List<ConfigNode> list, String scalar) {
        this.kind = kind;
        this.file = file;
        this.line = line;
        this.path = path;
        this.map = map;
        this.list = list;
        this.scalar = scalar;
    }

    public static ConfigNode map(String file, int line, String path, Map<String, ConfigNode> entries) {
        return new ConfigNode(Kind.MAP, file, line, path,
                Collections.unmodifiableMap(new LinkedHashMap<>(entries)), null, null);
    }

    public static ConfigNode list(String file, int line, String path, List<ConfigNode> items) {
        return new ConfigNode(Kind.LIST, file, line, path, null, List.copyOf(items), null);
    }

    public static ConfigNode scalar(String file, int line, String path, String value) {
        return new ConfigNode(Kind.SCALAR, file, line, path, null, null, Objects.requireNonNull(value));
    }

    public static ConfigNode nullNode(String file, int line, String path) {
        return new ConfigNode(Kind.NULL, file, line, path, null, null, null);
    }

    public Kind kind() {
        return kind;
    }

    public String file() {
        return file;
    }

    public int line() {
        return line;
    }

    public String path() {
        return path;
    }

    /** Entries of a MAP node, in file order. */
    public Map<String, ConfigNode> entries() {
        if (kind != Kind.MAP) {
            throw new IllegalStateException(path + " is " + kind);
        }
        return map;
    }

    public List<ConfigNode> items() {
        if (kind != Kind.LIST) {
            throw new IllegalStateException(path + " is " + kind);
        }
        return list;
    }

    public String scalar() {
        if (kind != Kind.SCALAR) {
            throw new IllegalStateException(path + " is " + kind);
        }
        return scalar;
    }

    /** A human word for the node's kind, for error messages. */
    public String describe() {
        switch (kind) {
            case MAP: return "a map";
            case LIST: return "a list";
            case NULL: return "null";
            default: return "'" + scalar + "'";
        }
    }

    /** {@code FILE:LINE: path: message}. */
    public String problem(String message) {
        return file + ":" + line + ": " + (path.isEmpty() ? "(top level)" : path) + ": " + message;
    }

    @Override
    public String toString() {
        return kind + "@" + file + ":" + line + " " + path;
    }
}
