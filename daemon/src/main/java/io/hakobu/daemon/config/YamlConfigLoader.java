package io.hakobu.daemon.config;

import io.hakobu.core.config.ConfigNode;
import io.hakobu.core.config.ConfigProblems;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads a YAML configuration file into a {@link ConfigNode} tree that remembers file, line and
 * key path of every value, substituting {@code ${VAR}} and {@code ${VAR:-default}} from the
 * environment in scalar values (after parsing, so a variable can never inject YAML structure).
 * Duplicate keys and undefined variables are problems; nothing here throws for bad input.
 */
public final class YamlConfigLoader {
    private final Function<String, String> env;

    public YamlConfigLoader() {
        this(System::getenv);
    }

    public YamlConfigLoader(Function<String, String> env) {
        this.env = env;
    }

    /** The root node, or {@code null} when the file cannot be read or parsed (the reason is in {@code problems}). */
    public ConfigNode load(Path file, ConfigProblems problems) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            problems.add(file + ": cannot read configuration: no such file");
            return null;
        } catch (java.nio.file.AccessDeniedException e) {
            problems.add(file + ": cannot read configuration: permission denied");
            return null;
        } catch (java.nio.charset.MalformedInputException e) {
            problems.add(file + ": cannot read configuration: not valid UTF-8");
            return null;
        } catch (IOException e) {
            problems.add(file + ": cannot read configuration: " + e.getMessage());
            return null;
        }
        return parse(file.toString(), new StringReader(text), problems);
    }

    public ConfigNode parse(String fileName, Reader reader, ConfigProblems problems) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(true); // reported below with the line of each duplicate
        options.setMaxAliasesForCollections(50);
        options.setCodePointLimit(16 * 1024 * 1024);
        Node root;
        try {
            root = new Yaml(options).compose(reader);
        } catch (MarkedYAMLException e) {
            Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            int line = m == null ? 0 : m.getLine() + 1;
            problems.add(fileName + ":" + line + ": (yaml): " + e.getProblem());
            return null;
        } catch (YAMLException e) {
            problems.add(fileName + ": (yaml): " + e.getMessage());
            return null;
        }
        if (root == null) {
            return ConfigNode.map(fileName, 1, "", Map.of());
        }
        return convert(fileName, root, "", problems);
    }

    private ConfigNode convert(String file, Node node, String path, ConfigProblems problems) {
        int line = node.getStartMark().getLine() + 1;
        if (node instanceof MappingNode mapping) {
            Map<String, ConfigNode> entries = new LinkedHashMap<>();
            for (NodeTuple t : mapping.getValue()) {
                Node k = t.getKeyNode();
                int kline = k.getStartMark().getLine() + 1;
                if (!(k instanceof ScalarNode ks)) {
                    problems.add(file + ":" + kline + ": " + displayPath(path) + ": keys must be plain strings");
                    continue;
                }
                String key = ks.getValue();
                String childPath = path.isEmpty() ? key : path + "." + key;
                if (entries.containsKey(key)) {
                    problems.add(file + ":" + kline + ": " + childPath + ": duplicate key (first at line "
                            + entries.get(key).line() + ")");
                    continue;
                }
                entries.put(key, convert(file, t.getValueNode(), childPath, problems));
            }
            return ConfigNode.map(file, line, path, entries);
        }
        if (node instanceof SequenceNode seq) {
            List<ConfigNode> items = new ArrayList<>();
            int i = 0;
            for (Node item : seq.getValue()) {
                items.add(convert(file, item, path + "[" + i++ + "]", problems));
            }
            return ConfigNode.list(file, line, path, items);
        }
        ScalarNode scalar = (ScalarNode) node;
        if (Tag.NULL.equals(scalar.getTag()) && scalar.getScalarStyle().getChar() == null) {
            return ConfigNode.nullNode(file, line, path);
        }
        String value = substitute(scalar.getValue(), file, line, path, problems);
        return ConfigNode.scalar(file, line, path, value);
    }

    /** Replaces {@code ${VAR}} and {@code ${VAR:-default}}; {@code $$} is a literal {@code $}. */
    String substitute(String s, String file, int line, String path, ConfigProblems problems) {
        if (s.indexOf('$') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '$' && i + 1 < s.length() && s.charAt(i + 1) == '$') {
                out.append('$');
                i += 2;
                continue;
            }
            if (c == '$' && i + 1 < s.length() && s.charAt(i + 1) == '{') {
                int end = s.indexOf('}', i + 2);
                if (end < 0) {
                    problems.add(file + ":" + line + ": " + displayPath(path) + ": unterminated ${ in '" + s + "'");
                    return s;
                }
                String expr = s.substring(i + 2, end);
                String name = expr;
                String def = null;
                int d = expr.indexOf(":-");
                if (d >= 0) {
                    name = expr.substring(0, d);
                    def = expr.substring(d + 2);
                }
                if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    problems.add(file + ":" + line + ": " + displayPath(path) + ": invalid variable name '" + name
                            + "' in ${" + expr + "}");
                    return s;
                }
                String v = env.apply(name);
                if (v == null || (v.isEmpty() && def != null)) {
                    if (def == null) {
                        problems.add(file + ":" + line + ": " + displayPath(path) + ": environment variable " + name
                                + " is not set (use ${" + name + ":-default} for a default)");
                        v = "";
                    } else {
                        v = def;
                    }
                }
                out.append(v);
                i = end + 1;
                continue;
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    private static String displayPath(String path) {
        return path.isEmpty() ? "(top level)" : path;
    }
}
