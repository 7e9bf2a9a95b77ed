package io.hakobu.protocol;

import io.netty.handler.codec.CorruptedFrameException;

/**
 * A violation of the protocol by the peer (or a refusal), with the {@link ErrorCode} to send back.
 * A {@link io.netty.handler.codec.DecoderException}, so {@code ByteToMessageDecoder} passes it on
 * unwrapped.
 */
public final class ProtocolException extends CorruptedFrameException {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;

    public ProtocolException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // thrown for bad input, often (fuzzing, hostile peers): no stack needed
    }
}
