package io.hakobu.protocol;

import java.util.Objects;

/**
 * The frames of the hakobu protocol, version {@value #VERSION}. Byte layouts are in
 * {@code protocol/PROTOCOL.md}; {@link FrameCodec} reads and writes them.
 */
public sealed interface Frame {
    /** The protocol version this code speaks. */
    int VERSION = 1;
    /** Capability bit: the sender can read and write zstd-compressed batches. */
    int CAP_ZSTD = 1;

    byte TYPE_HELLO = 0x01;
    byte TYPE_WELCOME = 0x02;
    byte TYPE_BATCH = 0x03;
    byte TYPE_ACK = 0x04;
    byte TYPE_ERROR = 0x05;
    byte TYPE_HEARTBEAT = 0x06;

    byte COMPRESSION_NONE = 0;
    byte COMPRESSION_ZSTD = 1;

    byte type();

    /** Client to server, first frame of a connection. */
    record Hello(int version, int capabilities, String node, String token) implements Frame {
        public Hello {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(token, "token");
        }

        @Override
        public byte type() {
            return TYPE_HELLO;
        }

        @Override
        public String toString() {
            return "Hello[version=" + version + ", capabilities=" + capabilities + ", node=" + node
                    + ", token=" + (token.isEmpty() ? "none" : "<" + token.length() + " chars>") + "]";
        }
    }

    /** Server to client, the answer to an accepted {@link Hello}. */
    record Welcome(int version, int capabilities, String node, int maxFrameBytes) implements Frame {
        public Welcome {
            Objects.requireNonNull(node, "node");
        }

        @Override
        public byte type() {
            return TYPE_WELCOME;
        }
    }

    /**
     * Client to server: the records {@code [firstSeq, lastSeq]} of {@code stream}, holding
     * {@code entries} entries, as {@code data} (compressed with {@code compression};
     * {@code rawLength} bytes once decompressed).
     */
    record Batch(String stream, long firstSeq, long lastSeq, int entries, byte compression, int rawLength, byte[] data)
            implements Frame {
        public Batch {
            Objects.requireNonNull(stream, "stream");
            Objects.requireNonNull(data, "data");
        }

        @Override
        public byte type() {
            return TYPE_BATCH;
        }

        @Override
        public String toString() {
            return "Batch[stream=" + stream + ", seq=" + firstSeq + ".." + lastSeq + ", entries=" + entries
                    + ", compression=" + compression + ", raw=" + rawLength + ", data=" + data.length + "]";
        }
    }

    /** Server to client: every record of {@code stream} up to {@code seq} is durable. */
    record Ack(String stream, long seq) implements Frame {
        public Ack {
            Objects.requireNonNull(stream, "stream");
        }

        @Override
        public byte type() {
            return TYPE_ACK;
        }
    }

    /** Either direction, the last frame before the sender closes the connection. */
    record Error(ErrorCode code, String message) implements Frame {
        public Error {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(message, "message");
        }

        @Override
        public byte type() {
            return TYPE_ERROR;
        }
    }

    /** Client to server, echoed back by the server with the same value. */
    record Heartbeat(long value) implements Frame {
        @Override
        public byte type() {
            return TYPE_HEARTBEAT;
        }
    }
}
