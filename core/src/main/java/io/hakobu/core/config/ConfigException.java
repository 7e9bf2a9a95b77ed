package io.hakobu.core.config;

import java.util.List;

/** An invalid configuration; the message has one {@code FILE:LINE: key.path: message} per line. */
public final class ConfigException extends RuntimeException {
    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
