package io.hakobu.core.codec;

import io.hakobu.core.event.LogEntry;

/** Writes one entry, with its record terminator (e.g. {@code \n}), to a {@link ByteBuilder}. Pure; thread-confined. */
public interface Encoder {
    void encode(LogEntry entry, ByteBuilder out);
}
