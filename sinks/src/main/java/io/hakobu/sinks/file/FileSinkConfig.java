package io.hakobu.sinks.file;

import java.util.Objects;

/**
 * Configuration of {@code type: file} (SPEC §3).
 *
 * @param path where entries go: a {@link PathTemplate} such as
 *     {@code /var/log/remote/{_HOSTNAME}/{_SOURCE}.log} (required); a relative path is taken
 *     relative to {@code node.data_dir}
 * @param encoding raw | ndjson | ltsv (default {@value FileSinkFactory#DEFAULT_ENCODING}), see
 *     {@link io.hakobu.core.codec.Encoders}
 * @param fsync whether each write is fsynced before it is acknowledged (default true). Without
 *     it the sink stays exactly-once across a crash of the process, but not across a power loss
 *     or kernel crash
 * @param maxOpenFiles most files kept open at once (default
 *     {@value FileSinkFactory#DEFAULT_MAX_OPEN_FILES}); the least recently written is closed first
 */
public record FileSinkConfig(PathTemplate path, String encoding, boolean fsync, int maxOpenFiles) {
    public FileSinkConfig {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(encoding, "encoding");
        if (maxOpenFiles < 1) {
            throw new IllegalArgumentException("maxOpenFiles < 1");
        }
    }
}
