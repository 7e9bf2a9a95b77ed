package io.hakobu.daemon.source.syslog;

/**
 * One message as received, handed from an event loop to the source thread.
 *
 * @param bytes the message (heap copy, without framing), at most {@code max_message_bytes}
 * @param truncated whether it was cut at {@code max_message_bytes}
 * @param listener the listener it came through
 * @param peer the sender's {@code ip:port} (IP transports), else null
 * @param receivedMicros when it was received, microseconds since the epoch
 */
record Received(byte[] bytes, boolean truncated, Listener listener, String peer, long receivedMicros) {
}
