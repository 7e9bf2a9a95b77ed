package io.hakobu.daemon.cli;

import io.hakobu.core.config.ConfigNode;
import io.hakobu.core.config.ConfigProblems;
import io.hakobu.daemon.config.ComponentRegistry;
import io.hakobu.daemon.config.ConfigParser;
import io.hakobu.daemon.config.HakobuConfig;
import io.hakobu.daemon.config.YamlConfigLoader;
import java.nio.file.Path;

/** Loads and validates a configuration file for the commands. */
final class ConfigFiles {
    private ConfigFiles() {
    }

    /** The configuration, or null with every problem in {@code problems}. */
    static HakobuConfig load(Path file, ConfigProblems problems) {
        ConfigNode root = new YamlConfigLoader().load(file, problems);
        if (root == null) {
            return null;
        }
        return new ConfigParser(ComponentRegistry.load()).parse(root, problems);
    }
}
