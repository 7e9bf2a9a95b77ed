package io.hakobu.core.codec;

import io.hakobu.core.event.LogEntry;

/**
 * Turns one log line into fields of an entry. Byte-level and pure; one instance per thread
 * (parsers may cache field names).
 *
 * <p>Never throws for bad input and never drops it: a line that does not parse as the format is
 * kept as {@code MESSAGE} (the whole line) plus {@code _PARSE_ERROR} (the reason).
 */
public interface Parser {
    /**
     * Parses {@code line[off, off+len)} (without its line terminator) into {@code entry}. The caller
     * has set {@code entry.backing(line)}, so the parser may add slice values of {@code line}.
     */
    void parse(byte[] line, int off, int len, LogEntry entry);
}
