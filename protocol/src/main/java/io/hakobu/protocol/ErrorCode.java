package io.hakobu.protocol;

/** The reason code of an {@link Frame.Error} frame (see {@code protocol/PROTOCOL.md}). */
public enum ErrorCode {
    /** Malformed frame: bad magic, unknown type, bad field, truncated payload, trailing bytes. */
    MALFORMED(1, "malformed"),
    /** A frame that is valid on its own but not allowed here (e.g. BATCH before HELLO). */
    WRONG_ORDER(2, "wrong_order"),
    /** The peer speaks another protocol version. */
    VERSION_MISMATCH(3, "version_mismatch"),
    /** Missing or wrong token. */
    AUTH_FAILED(4, "auth_failed"),
    /** The frame's length is above the receiver's {@code max_frame_bytes}. */
    FRAME_TOO_LARGE(5, "frame_too_large"),
    /** The batch payload does not decode (bad record, count mismatch, bad sequence numbers). */
    BAD_PAYLOAD(6, "bad_payload"),
    /** The compressed data does not decompress to the announced length. */
    BAD_COMPRESSION(7, "bad_compression"),
    /** A capability (e.g. zstd) used without being negotiated. */
    UNSUPPORTED(8, "unsupported"),
    /** The receiver is stopping; reconnect later (or elsewhere). */
    SHUTTING_DOWN(9, "shutting_down"),
    /** No frame from the peer for too long. */
    TIMEOUT(10, "timeout"),
    /** An unexpected failure in the receiver. */
    INTERNAL(11, "internal");

    private final int code;
    private final String label;

    ErrorCode(int code, String label) {
        this.code = code;
        this.label = label;
    }

    public int code() {
        return code;
    }

    /** The metric label / log word. */
    public String label() {
        return label;
    }

    /** The enum for a wire code; unknown codes map to {@link #INTERNAL} (newer peers). */
    public static ErrorCode of(int code) {
        for (ErrorCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return INTERNAL;
    }
}
