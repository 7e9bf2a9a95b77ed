package io.hakobu.daemon.source.syslog;

import io.hakobu.core.config.ConfigMap;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Source;
import io.hakobu.core.pipeline.SourceFactory;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code type: syslog}: listens on UDP, TCP and unix domain (datagram and stream) sockets for
 * RFC 5424 and RFC 3164 messages.
 */
public final class SyslogSourceFactory implements SourceFactory<SyslogSourceConfig> {

    @Override
    public String type() {
        return "syslog";
    }

    @Override
    public String description() {
        return "listens for syslog (RFC 5424, RFC 3164) over udp, tcp (octet counting or LF framing), unix datagram and stream sockets";
    }

    @Override
    public SyslogSourceConfig parse(ConfigMap cfg) {
        List<String> uris = cfg.stringList("listen", List.of());
        List<SyslogSourceConfig.Listen> listen = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        if (uris.isEmpty()) {
            cfg.problem("listen", "is required: a list such as [\"udp://127.0.0.1:514\", \"tcp://127.0.0.1:601\", "
                    + "\"unix:///run/hakobu/syslog.sock\"]");
        }
        for (String uri : uris) {
            try {
                SyslogSourceConfig.Listen l = SyslogSourceConfig.Listen.parse(uri);
                String key = l.path() != null ? l.path() : l.transport().scheme() + "://" + l.host() + ":" + l.port();
                if ((l.path() != null || l.port() != 0) && !seen.add(key)) {
                    cfg.problem("listen", "'" + uri + "' is listed twice (or its socket path is)");
                }
                listen.add(l);
            } catch (IllegalArgumentException e) {
                cfg.problem("listen", e.getMessage());
            }
        }
        long maxMessage = cfg.size("max_message_bytes", 64 * 1024);
        if (maxMessage < 480 || maxMessage > (16L << 20)) {
            cfg.problem("max_message_bytes", "expected a size between 480B and 16MiB");
            maxMessage = 64 * 1024;
        }
        long maxPending = cfg.size("max_pending_bytes", 8L << 20);
        if (maxPending < (64 << 10) || maxPending > (1L << 30)) {
            cfg.problem("max_pending_bytes", "expected a size between 64KiB and 1GiB");
            maxPending = 8L << 20;
        }
        boolean keep = cfg.bool("keep_message", false);
        Map<String, String> fields = cfg.stringMap("fields");
        int batch = (int) cfg.integer("batch_events", 1024, 1, 65536);
        String modeText = cfg.string("socket_mode", "0666");
        int mode = 0666;
        if (!modeText.matches("0?[0-7]{3}")) {
            cfg.problem("socket_mode", "expected octal permissions such as \"0666\" or \"0660\", got '" + modeText + "'");
        } else {
            mode = Integer.parseInt(modeText, 8);
        }
        cfg.finish();
        if (listen.isEmpty() || listen.size() != uris.size()) {
            return null;
        }
        return new SyslogSourceConfig(List.copyOf(listen), (int) maxMessage, maxPending, keep, fields, batch, mode);
    }

    @Override
    public Source create(String id, SyslogSourceConfig config, NodeInfo node) {
        return new SyslogSource(id, config, node);
    }
}
