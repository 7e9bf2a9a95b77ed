package io.hakobu.bench;

import io.hakobu.core.codec.SyslogParser;
import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Syslog message parsing ({@link SyslogParser}), one op = one message, as {@link ParseBenchmark}
 * does for the line formats: every op parses the next of 1024 pre-generated messages into a fresh
 * entry sized like the source sizes them. {@code baselineScanBytes} (look at every byte once) runs
 * in the same fork, so figures can be quoted as ratios on a noisy machine.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 2)
public class SyslogParseBenchmark {
    private static final int LINES = 1024; // power of two
    private static final String[] APPS = {"sshd", "nginx", "postfix/smtpd", "CRON", "systemd", "kernel", "app-server"};
    private static final String[] HOSTS = {"web-01", "web-02.example.com", "db-master", "10.0.3.17"};

    private byte[][] rfc5424;
    private byte[][] rfc3164;
    private int next;
    private final SyslogParser parser = new SyslogParser(false);

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(5424);
        rfc5424 = new byte[LINES][];
        rfc3164 = new byte[LINES][];
        for (int i = 0; i < LINES; i++) {
            String app = APPS[random.nextInt(APPS.length)];
            String host = HOSTS[random.nextInt(HOSTS.length)];
            int pri = 8 * random.nextInt(24) + random.nextInt(8);
            int pid = 100 + random.nextInt(30000);
            String text = "request id=" + random.nextInt(1_000_000) + " user=u" + random.nextInt(5000)
                    + " handled in " + random.nextInt(900) + "ms status=" + (random.nextInt(10) == 0 ? 500 : 200);
            // what rsyslog forwards with RSYSLOG_SyslogProtocol23Format (and logger --rfc5424 sends)
            rfc5424[i] = utf8("<" + pri + ">1 2024-11-05T09:07:" + two(random.nextInt(60)) + "." + random.nextInt(1_000_000)
                    + "+09:00 " + host + " " + app + " " + pid + " - [timeQuality tzKnown=\"1\" isSynced=\"1\" syncAccuracy=\""
                    + random.nextInt(100000) + "\"] " + text);
            // what glibc's syslog() writes to /dev/log, relayed with a HOSTNAME
            rfc3164[i] = utf8("<" + pri + ">Nov  " + (random.nextInt(9) + 1) + " 09:"
                    + two(random.nextInt(60)) + ":" + two(random.nextInt(60)) + " " + host + " " + app + "[" + pid + "]: " + text);
            if (parse(rfc5424[i]).has(Fields.PARSE_ERROR) || parse(rfc3164[i]).has(Fields.PARSE_ERROR)) {
                throw new IllegalStateException("generated message does not parse: " + i);
            }
        }
    }

    private static String two(int n) {
        return n < 10 ? "0" + n : Integer.toString(n);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private int nextIndex() {
        int i = next;
        next = (i + 1) & (LINES - 1);
        return i;
    }

    private LogEntry parse(byte[] line) {
        LogEntry entry = new LogEntry(16).backing(line);
        parser.parse(line, 0, line.length, entry);
        return entry;
    }

    /** The least any parser must do: look at every byte of the message once. */
    @Benchmark
    public int baselineScanBytes() {
        byte[] line = rfc5424[nextIndex()];
        int spaces = 0;
        for (byte b : line) {
            if (b == ' ') {
                spaces++;
            }
        }
        return spaces;
    }

    /** RFC 5424 with structured data (three parameters) and an RFC 3339 timestamp. */
    @Benchmark
    public LogEntry syslog5424Parse() {
        return parse(rfc5424[nextIndex()]);
    }

    /** RFC 3164 with HOSTNAME and {@code tag[pid]:}; a BSD date (year inferred, local zone). */
    @Benchmark
    public LogEntry syslog3164Parse() {
        return parse(rfc3164[nextIndex()]);
    }
}
