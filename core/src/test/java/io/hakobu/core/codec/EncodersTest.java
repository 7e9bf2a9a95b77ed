package io.hakobu.core.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hakobu.core.event.LogEntry;
import java.util.List;
import org.junit.jupiter.api.Test;

class EncodersTest {
    @Test
    void createsEveryFormatByName() {
        assertEquals(List.of("raw", "ndjson", "ltsv"), Encoders.FORMATS);
        assertInstanceOf(RawEncoder.class, Encoders.create("raw"));
        assertInstanceOf(NdjsonEncoder.class, Encoders.create("ndjson"));
        assertInstanceOf(LtsvEncoder.class, Encoders.create("ltsv"));
    }

    @Test
    void rejectsUnknownNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Encoders.create("json"));
        assertTrue(e.getMessage().contains("ndjson"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Encoders.create(null));
    }

    @Test
    void everyEncoderAppendsExactlyOneRecordPerEntry() {
        LogEntry e = new LogEntry().add("MESSAGE", "m").add("x", 1L);
        for (String format : Encoders.FORMATS) {
            ByteBuilder out = new ByteBuilder();
            out.write('>');
            Encoder enc = Encoders.create(format);
            enc.encode(e, out);
            enc.encode(e, out);
            String s = out.toString();
            assertEquals('>', s.charAt(0), format);
            assertEquals(2, s.chars().filter(c -> c == '\n').count(), format);
            assertTrue(s.endsWith("\n"), format);
        }
    }
}
