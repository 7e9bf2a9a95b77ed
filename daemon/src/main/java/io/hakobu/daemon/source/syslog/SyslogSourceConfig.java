package io.hakobu.daemon.source.syslog;

import java.util.List;
import java.util.Map;

/**
 * The configuration of a {@code type: syslog} source.
 *
 * @param listen where to listen (at least one)
 * @param maxMessageBytes longer messages are cut there and marked {@code _TRUNCATED}
 * @param maxPendingBytes received but not yet handed to the pipeline: above it stream
 *     connections stop reading and datagrams are dropped (counted)
 * @param keepMessage also keep the whole message as {@code SYSLOG_RAW}
 * @param fields static fields added to every entry
 * @param batchEvents most entries per batch
 * @param socketMode permissions of the unix socket files created (e.g. {@code 0666})
 */
public record SyslogSourceConfig(List<Listen> listen, int maxMessageBytes, long maxPendingBytes, boolean keepMessage,
                                 Map<String, String> fields, int batchEvents, int socketMode) {

    /** The transports, by their scheme in {@code listen}. */
    public enum Transport {
        UDP("udp", false),
        TCP("tcp", false),
        /** Unix domain datagram socket, {@code /dev/log} style. */
        UNIX("unix", true),
        /** Unix domain stream socket. */
        UNIX_STREAM("unix-stream", true);

        final String scheme;
        final boolean local;

        Transport(String scheme, boolean local) {
            this.scheme = scheme;
            this.local = local;
        }

        public String scheme() {
            return scheme;
        }

        static Transport ofScheme(String scheme) {
            for (Transport t : values()) {
                if (t.scheme.equals(scheme)) {
                    return t;
                }
            }
            return null;
        }
    }

    /**
     * One {@code listen} entry.
     *
     * @param uri as written, e.g. {@code tcp://127.0.0.1:5514}
     * @param host the address to bind (IP transports), without brackets
     * @param port the port (IP transports; 0 = any free port)
     * @param path the socket file (unix transports)
     */
    public record Listen(String uri, Transport transport, String host, int port, String path) {

        /**
         * Parses {@code udp://HOST:PORT}, {@code tcp://HOST:PORT} (an IPv6 host in brackets),
         * {@code unix:///abs/path} or {@code unix-stream:///abs/path}.
         *
         * @throws IllegalArgumentException with the reason
         */
        public static Listen parse(String uri) {
            int sep = uri.indexOf("://");
            if (sep <= 0) {
                throw new IllegalArgumentException("'" + uri + "' is not SCHEME://ADDRESS");
            }
            Transport t = Transport.ofScheme(uri.substring(0, sep));
            if (t == null) {
                throw new IllegalArgumentException("unknown scheme '" + uri.substring(0, sep) + "' in '" + uri
                        + "', expected udp, tcp, unix or unix-stream");
            }
            String rest = uri.substring(sep + 3);
            if (t.local) {
                if (!rest.startsWith("/") || rest.length() < 2) {
                    throw new IllegalArgumentException("'" + uri + "' needs an absolute socket path, e.g. "
                            + t.scheme + ":///run/hakobu/syslog.sock");
                }
                if (rest.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 107) {
                    throw new IllegalArgumentException("socket path in '" + uri + "' is longer than 107 bytes");
                }
                return new Listen(uri, t, null, 0, rest);
            }
            int colon = rest.lastIndexOf(':');
            if (colon <= 0 || colon == rest.length() - 1) {
                throw new IllegalArgumentException("'" + uri + "' needs HOST:PORT, e.g. " + t.scheme + "://0.0.0.0:514");
            }
            String host = rest.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            } else if (host.contains(":")) {
                throw new IllegalArgumentException("IPv6 address in '" + uri + "' must be in brackets, e.g. [::1]:514");
            }
            int port;
            try {
                port = Integer.parseInt(rest.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("invalid port in '" + uri + "'");
            }
            return new Listen(uri, t, host, port, null);
        }
    }
}
