package io.hakobu.core.pipeline;

import java.nio.file.Path;
import java.util.Objects;

/** This node's identity and state directory ({@code node.name}, {@code node.data_dir}). */
public record NodeInfo(String name, Path dataDir) {
    public NodeInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dataDir, "dataDir");
    }
}
