package io.hakobu.daemon.sink.hakobu;

import io.hakobu.protocol.ForwardClient;
import io.netty.handler.ssl.SslContext;
import java.util.List;

/**
 * {@code type: hakobu} sink (agent side of the native protocol).
 *
 * @param endpoints aggregators, {@code host:port}
 * @param strategy failover (in order, stay on the one that works) or round_robin (next one per connection)
 * @param zstd compress batches with zstd
 * @param ssl TLS context, or null for plain TCP
 * @param token shared token from {@code auth.token_file}, or null
 * @param window most BATCH frames sent and not yet acknowledged
 * @param batchMaxBytes most (uncompressed, estimated) bytes per BATCH frame
 * @param batchMaxEvents most entries per BATCH frame
 * @param writesInFlight runner writes (up to 64 buffer batches each) handed over and not yet acknowledged
 * @param lingerMillis wait this long for more when less than {@code batchMaxBytes} is buffered
 * @param failbackMillis under failover, return to the first endpoint after this long on another (0: never)
 */
public record HakobuSinkConfig(List<ForwardClient.Endpoint> endpoints, ForwardClient.Strategy strategy, boolean zstd, SslContext ssl,
        String token, int window, long batchMaxBytes, int batchMaxEvents, long connectTimeoutMillis, long heartbeatIntervalMillis,
        long heartbeatTimeoutMillis, long backoffMinMillis, long backoffMaxMillis, long ackTimeoutMillis,
        int writesInFlight, long lingerMillis, long failbackMillis) {
}
