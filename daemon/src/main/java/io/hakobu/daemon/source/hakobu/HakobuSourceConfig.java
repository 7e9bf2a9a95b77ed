package io.hakobu.daemon.source.hakobu;

import io.netty.handler.ssl.SslContext;

/**
 * {@code type: hakobu} source (aggregator side of the native protocol).
 *
 * @param host listen address
 * @param port listen port (0: any free port)
 * @param ssl TLS context, or null for plain TCP
 * @param token the shared token read from {@code auth.token_file}, or null (no authentication)
 * @param maxFrameBytes largest frame accepted (checked before anything is allocated)
 * @param maxPendingBytes batches decoded but not yet handed to the pipeline; above it connections stop reading
 * @param idleTimeoutMillis a connection silent this long is closed
 * @param ioThreads event loop threads for connections
 */
public record HakobuSourceConfig(String host, int port, SslContext ssl, String token, int maxFrameBytes, long maxPendingBytes,
        long idleTimeoutMillis, int ioThreads) {

    /** Largest decompressed batch: 4x the frame limit, at most 1 GiB. */
    public int maxRawBytes() {
        return (int) Math.min(1L << 30, 4L * maxFrameBytes);
    }
}
