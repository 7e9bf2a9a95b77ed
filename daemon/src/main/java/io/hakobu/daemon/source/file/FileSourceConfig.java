package io.hakobu.daemon.source.file;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Configuration of {@code type: file} (SPEC §3).
 *
 * @param include glob patterns of files to read ({@code *}, {@code ?}, {@code [..]}, {@code **})
 * @param exclude glob patterns matched against the full path or the file name; default {@code *.gz}
 * @param format raw | ltsv | json | logfmt
 * @param keepMessage also keep the whole line as MESSAGE for structured formats
 * @param readFrom beginning | end: where to start in files found at first start without a checkpoint
 * @param fields static fields added to every entry
 * @param maxLineBytes longer lines are cut and marked {@code _TRUNCATED=true}
 * @param globInterval how often to look for new files
 * @param pollInterval how long to wait when no file has new data
 * @param batchEvents most entries per batch
 * @param timestamp where the event time comes from, or null for the time read
 */
public record FileSourceConfig(
        List<String> include,
        List<String> exclude,
        String format,
        boolean keepMessage,
        String readFrom,
        Map<String, String> fields,
        long maxLineBytes,
        Duration globInterval,
        Duration pollInterval,
        int batchEvents,
        io.hakobu.daemon.source.TimestampExtractor.Config timestamp) {
}
