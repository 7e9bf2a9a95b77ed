package io.hakobu.daemon.source;

import io.hakobu.core.codec.Parser;
import io.hakobu.core.codec.SyslogParser;
import io.hakobu.core.event.EntryId;
import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.util.Map;

/**
 * Builds entries from lines for the line-oriented sources (file, stdin): parse with the configured
 * format, add the static {@code fields}, then hakobu's metadata in a fixed order: {@code _HOSTNAME},
 * {@code _SOURCE}, {@code _FILE} (file sources), {@code __REALTIME_TIMESTAMP}, {@code __CURSOR},
 * {@code __ID}. One instance per source thread.
 */
public final class LineEntries {
    private final String hostname;
    private final String sourceId;
    private final Parser parser;
    private final String[] staticNames;
    private final String[] staticValues;
    private final TimestampExtractor timestamp;
    /** The parser when it is {@code syslog}: its messages carry their own time and host. */
    private final SyslogParser syslog;
    /** Field count of the previous entry: the next one is allocated at that size (no regrowth). */
    private int lastSize = 16;
    private final EntryMetadata metadata = new EntryMetadata();

    public LineEntries(String hostname, String sourceId, Parser parser, Map<String, String> staticFields) {
        this(hostname, sourceId, parser, staticFields, null);
    }

    /** @param timestamp where the event time comes from, or null for the time read */
    public LineEntries(String hostname, String sourceId, Parser parser, Map<String, String> staticFields,
                       TimestampExtractor.Config timestamp) {
        this.timestamp = timestamp == null ? null : TimestampExtractor.create(timestamp);
        this.hostname = hostname;
        this.sourceId = sourceId;
        this.parser = parser;
        this.syslog = parser instanceof SyslogParser s ? s : null;
        this.staticNames = staticFields.keySet().toArray(new String[0]);
        this.staticValues = staticFields.values().toArray(new String[0]);
    }

    private long eventTime(LogEntry e, long nowMicros) {
        if (timestamp == null) {
            if (syslog != null && syslog.timestampMicros() != SyslogParser.NO_TIMESTAMP) {
                return syslog.timestampMicros(); // the syslog message's own time
            }
            return nowMicros;
        }
        String text = e.getString(timestamp.field());
        if (text == null) {
            e.add(TimestampExtractor.ERROR_FIELD, "field '" + timestamp.field() + "' is missing");
            return nowMicros;
        }
        try {
            return timestamp.micros(text);
        } catch (IllegalArgumentException ex) {
            e.add(TimestampExtractor.ERROR_FIELD, ex.getMessage());
            return nowMicros;
        }
    }

    /**
     * Approximate heap footprint of an entry built from a line: the line itself, the entry and its
     * field arrays (about 40 bytes per field), and the metadata strings (cursor, id, timestamp).
     * Buffers bound their bytes with this, so it must not be optimistic.
     */
    public static int heapEstimate(int lineLength, int fields) {
        return 256 + lineLength + 40 * fields;
    }

    public String hostname() {
        return hostname;
    }

    /**
     * @param line the line's bytes (no terminator), copied
     * @param stream the stream identity (see {@link LogEntry#origin})
     * @param ids the id generator of that stream
     * @param cursorPrefix {@code __CURSOR} up to the offset, e.g. {@code "file:<dev>:<ino>:"}
     * @param position the position of the entry: the stream offset just after its line
     * @param file the file path for {@code _FILE}, or null
     * @param truncated whether the line was cut at the size limit
     */
    public LogEntry build(byte[] line, String stream, EntryId ids, String cursorPrefix, long position,
                          String file, boolean truncated, long nowMicros) {
        return build(line, 0, line.length, stream, ids, cursorPrefix, position, file, truncated, nowMicros);
    }

    /**
     * Like {@link #build(byte[], String, EntryId, String, long, String, boolean, long)} for the line
     * at {@code buf[off, off+len)}, which is copied (once: into the entry's own backing array).
     */
    public LogEntry build(byte[] buf, int off, int len, String stream, EntryId ids, String cursorPrefix, long position,
                          String file, boolean truncated, long nowMicros) {
        byte[] b = metadata.copyWithRoom(buf, off, len, ids, cursorPrefix, position); // __ID, __CURSOR as slices
        LogEntry e = new LogEntry(lastSize).backing(b);
        parser.parse(b, 0, len, e);
        for (int i = 0; i < staticNames.length; i++) {
            e.set(staticNames[i], staticValues[i]);
        }
        if (truncated) {
            e.add(Fields.TRUNCATED, Boolean.TRUE);
        }
        if (syslog == null || !e.has(Fields.HOSTNAME)) { // syslog: the message's HOSTNAME when it has one
            e.add(Fields.HOSTNAME, hostname);
        }
        e.add(Fields.SOURCE, sourceId);
        if (file != null) {
            e.add(Fields.FILE, file);
        }
        e.add(Fields.REALTIME_TIMESTAMP, eventTime(e, nowMicros));
        metadata.addTo(e);
        e.origin(stream, position);
        lastSize = e.size();
        e.sizeEstimate(heapEstimate(b.length, e.size()));
        return e;
    }
}
