package io.hakobu.core.codec;

import io.hakobu.core.event.LogEntry;

/**
 * The {@code ndjson} encoding: the entry's JSON form (SPEC §2), one compact object per line,
 * followed by {@code '\n'}.
 *
 * <p>Fields are written in entry order; a name repeated in the entry is written once, at its
 * first position, with an array of all its values (see {@link JsonWriter#writeEntry}). Strings are
 * escaped per RFC 8259 and the output is always valid UTF-8: invalid UTF-8 in slice values
 * becomes U+FFFD. Raw bytes are {@code {"base64":"…"}}. The full value mapping is described on
 * {@link JsonWriter}.
 *
 * <p>Hot path: slice values are copied straight from the entry's backing bytes (no String is
 * made), with plain ASCII and valid multi-byte runs copied in blocks. Stateless and thread-safe.
 */
public final class NdjsonEncoder implements Encoder {
    @Override
    public void encode(LogEntry entry, ByteBuilder out) {
        JsonWriter.writeEntry(entry, out);
        out.write('\n');
    }
}
