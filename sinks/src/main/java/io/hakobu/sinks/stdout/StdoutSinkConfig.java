package io.hakobu.sinks.stdout;

/**
 * Configuration of {@code type: stdout}.
 *
 * @param encoding raw | ndjson | ltsv (default ndjson), see {@link io.hakobu.core.codec.Encoders}
 */
public record StdoutSinkConfig(String encoding) {
}
