package io.hakobu.daemon.source.file;

import io.hakobu.daemon.source.TimestampExtractor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

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
 * @param globInterval how often to rescan the globs (notifications trigger earlier scans)
 * @param pollInterval how long to wait when no file has new data
 * @param batchEvents most entries per batch, and most entries one file may emit per round-robin turn
 * @param timestamp where the event time comes from, or null for the time read
 * @param fingerprintBytes how many first bytes of a file its fingerprint covers (identity check
 *     against inode reuse, and detection of a file rewritten in place)
 * @param rotateWait how long a rotated or deleted file, once read to its end, is kept open
 *     without growing before it is released (a writer may still append to its open descriptor)
 * @param forgetAfter how long the checkpoint remembers a file that is no longer watched
 * @param multiline how lines are joined into entries, or null for one entry per line
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
        TimestampExtractor.Config timestamp,
        int fingerprintBytes,
        Duration rotateWait,
        Duration forgetAfter,
        Multiline multiline) {

    public static final int DEFAULT_FINGERPRINT_BYTES = 256;
    public static final Duration DEFAULT_ROTATE_WAIT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_FORGET_AFTER = Duration.ofHours(24);

    /** The configuration before fingerprints, rotate_wait, forget_after and multiline: their defaults. */
    public FileSourceConfig(List<String> include, List<String> exclude, String format, boolean keepMessage, String readFrom,
                            Map<String, String> fields, long maxLineBytes, Duration globInterval, Duration pollInterval,
                            int batchEvents, TimestampExtractor.Config timestamp) {
        this(include, exclude, format, keepMessage, readFrom, fields, maxLineBytes, globInterval, pollInterval, batchEvents,
                timestamp, DEFAULT_FINGERPRINT_BYTES, DEFAULT_ROTATE_WAIT, DEFAULT_FORGET_AFTER, null);
    }

    public FileSourceConfig {
        Objects.requireNonNull(rotateWait, "rotateWait");
        Objects.requireNonNull(forgetAfter, "forgetAfter");
        if (fingerprintBytes < 1) {
            throw new IllegalArgumentException("fingerprintBytes must be at least 1: " + fingerprintBytes);
        }
    }

    public FileSourceConfig withMultiline(Multiline m) {
        return new FileSourceConfig(include, exclude, format, keepMessage, readFrom, fields, maxLineBytes, globInterval,
                pollInterval, batchEvents, timestamp, fingerprintBytes, rotateWait, forgetAfter, m);
    }

    public FileSourceConfig withRotation(int fingerprintBytes, Duration rotateWait, Duration forgetAfter) {
        return new FileSourceConfig(include, exclude, format, keepMessage, readFrom, fields, maxLineBytes, globInterval,
                pollInterval, batchEvents, timestamp, fingerprintBytes, rotateWait, forgetAfter, multiline);
    }

    /**
     * {@code multiline}: a line matching {@code start} begins an entry; other lines are appended to
     * the entry being built, joined with {@code \n}.
     *
     * @param start the start pattern ({@code find()}: anchor it with {@code ^} to match at the line start)
     * @param timeout an entry with no new line for this long is emitted
     * @param maxLines an entry that would get more lines is emitted, and the line starts a new one
     * @param maxBytes likewise for the joined size in bytes
     */
    public record Multiline(Pattern start, Duration timeout, int maxLines, long maxBytes) {
        public Multiline {
            Objects.requireNonNull(start, "start");
            Objects.requireNonNull(timeout, "timeout");
            if (maxLines < 1 || maxBytes < 1) {
                throw new IllegalArgumentException("maxLines and maxBytes must be positive");
            }
        }
    }
}
