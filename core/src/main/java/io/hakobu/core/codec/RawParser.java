package io.hakobu.core.codec;

import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;

/**
 * The {@code raw} format: the line, less a trailing {@code '\r'}, becomes {@code MESSAGE}. The value
 * is a slice of the line (no copy, no decoding until somebody asks for the text), so any bytes,
 * including invalid UTF-8, are kept as they are. Never fails.
 *
 * <p>Stateless, so one instance may be shared, but {@link Parsers#create} still returns a new one.
 */
public final class RawParser implements Parser {

    @Override
    public void parse(byte[] line, int off, int len, LogEntry entry) {
        entry.addSlice(Fields.MESSAGE, off, Parsers.stripCr(line, off, len) - off);
    }
}
