package io.hakobu.core.config;

import java.util.ArrayList;
import java.util.List;

/** Collects every problem found in a configuration, so that all can be reported at once. */
public final class ConfigProblems {
    private final List<String> problems = new ArrayList<>();

    public void add(ConfigNode where, String message) {
        problems.add(where.problem(message));
    }

    /** A problem not tied to a node (e.g. the file cannot be read). */
    public void add(String fullMessage) {
        problems.add(fullMessage);
    }

    public boolean isEmpty() {
        return problems.isEmpty();
    }

    public List<String> all() {
        return List.copyOf(problems);
    }

    public int size() {
        return problems.size();
    }

    /** Throws a {@link ConfigException} listing every problem, if there is any. */
    public void throwIfAny() {
        if (!problems.isEmpty()) {
            throw new ConfigException(all());
        }
    }
}
