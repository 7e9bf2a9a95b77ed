package io.hakobu.core.buffer;

/** A disk-buffer record (or segment) that fails its checks: framing, CRC, or payload structure. */
public final class CorruptRecordException extends Exception {
    private static final long serialVersionUID = 1L;

    public CorruptRecordException(String message) {
        super(message);
    }
}
