package io.hakobu.core.buffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The acknowledged position of a disk buffer: {@code {"version":1,"acked_seq":N,"saved_at":"…"}},
 * replaced atomically (tmp file, rename).
 *
 * <p>The ledger need not be durable at every save: an older ledger after a power loss only makes
 * the sink see entries again, which the sinks deduplicate by {@code __ID}/position. It is synced on
 * close. A ledger that cannot be read is reported and treated as "nothing acknowledged" (everything
 * still on disk is delivered again), never as a reason to stop.
 */
final class Ledger {
    private static final Logger log = LoggerFactory.getLogger(Ledger.class);
    private static final Pattern ACKED = Pattern.compile("\"acked_seq\"\\s*:\\s*(-?\\d+)");

    private final Path path;

    Ledger(Path path) {
        this.path = path;
    }

    /** The acknowledged sequence number, 0 when there is no ledger (or it is unreadable). */
    long load() {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            log.warn("event=buffer_ledger_unreadable path={} error=\"{}\" action=redeliver_all", path, e.toString());
            return 0;
        }
        Matcher m = ACKED.matcher(text);
        if (!m.find()) {
            log.warn("event=buffer_ledger_unreadable path={} error=\"no acked_seq\" action=redeliver_all", path);
            return 0;
        }
        return Math.max(0, Long.parseLong(m.group(1)));
    }

    static long read(Path path) {
        return new Ledger(path).load();
    }

    void save(long ackedSeq, boolean durable) throws IOException {
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        byte[] body = ("{\"version\":1,\"acked_seq\":" + ackedSeq + ",\"saved_at\":\"" + Instant.now() + "\"}\n")
                .getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer bb = ByteBuffer.wrap(body);
            while (bb.hasRemaining()) {
                ch.write(bb);
            }
            if (durable) {
                ch.force(true);
            }
        }
        try {
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
        }
        if (durable) {
            DiskBuffer.fsyncDir(path.getParent());
        }
    }
}
