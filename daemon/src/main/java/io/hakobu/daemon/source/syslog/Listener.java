package io.hakobu.daemon.source.syslog;

import io.hakobu.core.event.EntryId;
import io.hakobu.core.telemetry.ComponentMetrics;
import io.hakobu.core.telemetry.Counter;
import io.netty.channel.Channel;

/**
 * One bound {@code listen} entry and its entry identity.
 *
 * <p>Syslog cannot be replayed, so there is no checkpoint; what matters is that {@code __ID}s are
 * unique. Every listener is a stream of its own, {@code syslog:<listen uri>:<start ms>} (the
 * start time makes streams of different runs distinct), and an entry's position is its number
 * on that listener, counted from 1 on the source thread in the order entries are emitted: the
 * positions grow along the stream, as sinks expect. {@code __CURSOR} is
 * {@code <stream>:<position>}.
 */
final class Listener {
    final SyslogSourceConfig.Listen config;
    final String stream;
    final EntryId ids;
    final String cursorPrefix;
    final Counter messages;
    final Counter bytes;
    /** The last position given out; source thread only. */
    long position;
    volatile Channel channel;

    Listener(SyslogSourceConfig.Listen config, String node, String sourceId, long startMillis, ComponentMetrics metrics) {
        this.config = config;
        this.stream = "syslog:" + config.uri() + ":" + startMillis;
        this.ids = new EntryId(node, sourceId, stream);
        this.cursorPrefix = stream + ":";
        String transport = config.transport().scheme();
        this.messages = metrics.counter("messages_received_total", "transport", transport);
        this.bytes = metrics.counter("bytes_received_total", "transport", transport);
    }
}
