package io.hakobu.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.hakobu.core.codec.ByteBuilder;
import io.hakobu.core.codec.JsonLineParser;
import io.hakobu.core.codec.LogfmtParser;
import io.hakobu.core.codec.LtsvParser;
import io.hakobu.core.codec.NdjsonEncoder;
import io.hakobu.core.codec.Parser;
import io.hakobu.core.codec.RawParser;
import io.hakobu.core.event.Fields;
import io.hakobu.core.event.LogEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * Line parsing and NDJSON encoding, one op = one line. Run with {@code bench/run-jmh.sh}, which adds
 * {@code -prof gc} so that {@code gc.alloc.rate.norm} gives the bytes allocated per line.
 *
 * <p>Every op takes the next of 1024 pre-generated lines (realistic, with varying values) and, like
 * a source, parses it into a fresh {@link LogEntry}: the entry's own allocation is part of the cost.
 * The {@code baseline*} benchmarks (a scan of the line for TAB, and decoding it to a {@code String})
 * run in the same fork, so figures can be quoted as ratios on a noisy machine.
 * {@code jsonJacksonStreaming} is the reference for {@link JsonLineParser}: the same entry built
 * from Jackson's streaming parser.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 2)
public class ParseBenchmark {

    private static final int LINES = 1024; // power of two

    private byte[][] ltsv;
    private byte[][] json;
    private byte[][] logfmt;
    private LogEntry[] ltsvEntries;
    private LogEntry[] jsonEntries;
    private int next;

    private final Parser rawParser = new RawParser();
    private final Parser ltsvParser = new LtsvParser(false);
    private final Parser jsonParser = new JsonLineParser(false);
    private final Parser logfmtParser = new LogfmtParser(false);
    private final JacksonLineParser jacksonParser = new JacksonLineParser();
    private final NdjsonEncoder encoder = new NdjsonEncoder();
    private final ByteBuilder out = new ByteBuilder(64 * 1024);

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(20231114);
        ltsv = new byte[LINES][];
        json = new byte[LINES][];
        logfmt = new byte[LINES][];
        ltsvEntries = new LogEntry[LINES];
        jsonEntries = new LogEntry[LINES];
        for (int i = 0; i < LINES; i++) {
            ltsv[i] = utf8(nginxLtsvLine(random, i));
            json[i] = utf8(applicationJsonLine(random, i));
            logfmt[i] = utf8(applicationLogfmtLine(random, i));
            ltsvEntries[i] = parse(ltsvParser, ltsv[i]);
            jsonEntries[i] = parse(jsonParser, json[i]);
            if (ltsvEntries[i].has(Fields.PARSE_ERROR) || jsonEntries[i].has(Fields.PARSE_ERROR)
                    || parse(logfmtParser, logfmt[i]).has(Fields.PARSE_ERROR)) {
                throw new IllegalStateException("generated line does not parse: " + i);
            }
        }
    }

    private int nextIndex() {
        int i = next;
        next = (i + 1) & (LINES - 1);
        return i;
    }

    private static LogEntry parse(Parser parser, byte[] line) {
        LogEntry entry = new LogEntry().backing(line);
        parser.parse(line, 0, line.length, entry);
        return entry;
    }

    // ---- baselines --------------------------------------------------------------------------

    /** The least any LTSV parser must do: look at every byte of the line once. */
    @Benchmark
    public int baselineScanTabs() {
        byte[] line = ltsv[nextIndex()];
        int tabs = 0;
        for (byte b : line) {
            if (b == '\t') {
                tabs++;
            }
        }
        return tabs;
    }

    /**
     * Decoding the line to one {@code String}, what a naive line reader does anyway. Faster than
     * {@link #baselineScanTabs}: the JDK checks for ASCII with a vectorized intrinsic and copies.
     */
    @Benchmark
    public String baselineNewString() {
        return new String(ltsv[nextIndex()], StandardCharsets.UTF_8);
    }

    // ---- parsers ----------------------------------------------------------------------------

    @Benchmark
    public LogEntry rawParse() {
        return parse(rawParser, ltsv[nextIndex()]);
    }

    @Benchmark
    public LogEntry ltsvParse() {
        return parse(ltsvParser, ltsv[nextIndex()]);
    }

    /**
     * As {@link #ltsvParse}, into an entry created with room for 16 fields: what a source that
     * sizes entries by the previous line would pay (the default of 8 grows once for L1-like lines).
     */
    @Benchmark
    public LogEntry ltsvParseSizedEntry() {
        byte[] line = ltsv[nextIndex()];
        LogEntry entry = new LogEntry(16).backing(line);
        ltsvParser.parse(line, 0, line.length, entry);
        return entry;
    }

    @Benchmark
    public LogEntry logfmtParse() {
        return parse(logfmtParser, logfmt[nextIndex()]);
    }

    @Benchmark
    public LogEntry jsonParse() {
        return parse(jsonParser, json[nextIndex()]);
    }

    @Benchmark
    public LogEntry jsonJacksonStreaming() {
        return parse(jacksonParser, json[nextIndex()]);
    }

    // ---- encoding ---------------------------------------------------------------------------

    /** Encoding an entry parsed from an LTSV line (slice values) to one NDJSON line. */
    @Benchmark
    public int ndjsonEncodeLtsvEntry() {
        out.reset();
        encoder.encode(ltsvEntries[nextIndex()], out);
        return out.length();
    }

    /** Encoding an entry parsed from a JSON line (slices, numbers, nested map and list). */
    @Benchmark
    public int ndjsonEncodeJsonEntry() {
        out.reset();
        encoder.encode(jsonEntries[nextIndex()], out);
        return out.length();
    }

    /** The whole per-line hot path of an LTSV file to NDJSON pipeline: parse, then encode. */
    @Benchmark
    public int ltsvParseThenEncode() {
        out.reset();
        encoder.encode(parse(ltsvParser, ltsv[nextIndex()]), out);
        return out.length();
    }

    // ---- line generators --------------------------------------------------------------------

    private static final String[] PATHS = {
        "/", "/index.html", "/api/v1/items?page=2&sort=desc", "/api/v1/cart", "/login", "/static/js/app.3f9a1c.js",
        "/images/logo.png", "/api/v1/orders/123456/items", "/search?q=%E6%97%A5%E6%9C%AC&lang=ja", "/healthz"};
    private static final String[] AGENTS = {
        "curl/8.4.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
        "Go-http-client/1.1", "kube-probe/1.28"};
    private static final String[] METHODS = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
    private static final int[] STATUSES = {200, 200, 200, 200, 304, 301, 404, 500};
    private static final String[] LEVELS = {"INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"};
    private static final String[] MESSAGES = {
        "request completed", "order placed", "cache miss for key", "payment failed: \\\"card declined\\\"",
        "retrying upstream call", "user logged in", "slow query detected"};

    /** An nginx access line in LTSV, like test vector L1 of PROTOCOLS.md §2 (about 220-330 bytes). */
    static String nginxLtsvLine(SplittableRandom r, int i) {
        String path = PATHS[r.nextInt(PATHS.length)];
        String method = METHODS[r.nextInt(METHODS.length)];
        return String.join("\t",
                String.format("time:14/Nov/2023:22:%02d:%02d +0000", i / 60 % 60, i % 60),
                "host:192.0.2." + (1 + r.nextInt(254)),
                "forwardedfor:" + (r.nextInt(4) == 0 ? "198.51.100." + r.nextInt(255) : "-"),
                "req:" + method + " " + path + " HTTP/1.1",
                "method:" + method,
                "uri:" + path,
                "status:" + STATUSES[r.nextInt(STATUSES.length)],
                "size:" + r.nextInt(50_000),
                "referer:" + (r.nextBoolean() ? "-" : "https://example.jp/"),
                "ua:" + AGENTS[r.nextInt(AGENTS.length)],
                String.format("reqtime:%.3f", r.nextDouble() * 0.5),
                "cache:" + (r.nextBoolean() ? "HIT" : "-"),
                "runtime:-",
                String.format("apptime:%.3f", r.nextDouble() * 0.4),
                "vhost:example.jp");
    }

    /** A structured application log line (logback/logstash-encoder style, about 300 bytes). */
    static String applicationJsonLine(SplittableRandom r, int i) {
        return "{\"@timestamp\":\"2023-11-14T22:13:" + String.format("%02d.%03d", i % 60, r.nextInt(1000)) + "Z\","
                + "\"level\":\"" + LEVELS[r.nextInt(LEVELS.length)] + "\","
                + "\"logger\":\"io.example.shop.OrderService\",\"thread\":\"http-nio-8080-exec-" + r.nextInt(200) + "\","
                + "\"message\":\"" + MESSAGES[r.nextInt(MESSAGES.length)] + "\","
                + "\"order_id\":" + r.nextInt(1_000_000) + ",\"amount\":" + (r.nextInt(100_000) / 100.0) + ","
                + "\"user\":{\"id\":" + r.nextInt(10_000) + ",\"country\":\"JP\",\"premium\":" + r.nextBoolean() + "},"
                + "\"tags\":[\"checkout\",\"web\"],\"retry\":null,"
                + "\"trace_id\":\"" + Long.toHexString(r.nextLong()) + Long.toHexString(r.nextLong()) + "\"}";
    }

    /** A logfmt application line (Go slog / logrus style, about 170 bytes). */
    static String applicationLogfmtLine(SplittableRandom r, int i) {
        return "time=2023-11-14T22:13:" + String.format("%02d.%03d", i % 60, r.nextInt(1000)) + "Z"
                + " level=" + LEVELS[r.nextInt(LEVELS.length)].toLowerCase()
                + " msg=\"" + MESSAGES[r.nextInt(MESSAGES.length)] + "\""
                + " method=" + METHODS[r.nextInt(METHODS.length)] + " path=" + PATHS[r.nextInt(PATHS.length)]
                + " status=" + STATUSES[r.nextInt(STATUSES.length)] + " duration=" + r.nextInt(900) + "ms"
                + (r.nextBoolean() ? " cached" : "") + " request_id=" + Long.toHexString(r.nextLong());
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The reference for {@link JsonLineParser}: the same mapping built from one reused Jackson
     * {@link JsonFactory} and a streaming {@link JsonParser} per line (Jackson interns member names
     * itself). Strict in the same ways: an object at the top level, nothing after it.
     */
    static final class JacksonLineParser implements Parser {
        private final JsonFactory factory = new JsonFactory();

        @Override
        public void parse(byte[] line, int off, int len, LogEntry entry) {
            List<Object> fields = new ArrayList<>();
            try (JsonParser p = factory.createParser(line, off, len)) {
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    throw new IOException("top level is not an object");
                }
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    fields.add(name);
                    fields.add(value(p));
                }
                if (p.nextToken() != null) {
                    throw new IOException("trailing data");
                }
            } catch (IOException e) {
                entry.addSlice(Fields.MESSAGE, off, len);
                entry.add(Fields.PARSE_ERROR, "json: " + e.getMessage());
                return;
            }
            for (int i = 0; i < fields.size(); i += 2) {
                entry.add((String) fields.get(i), fields.get(i + 1));
            }
        }

        private static Object value(JsonParser p) throws IOException {
            switch (p.currentToken()) {
                case VALUE_STRING:
                    return p.getText();
                case VALUE_NUMBER_INT:
                    return p.getLongValue();
                case VALUE_NUMBER_FLOAT:
                    return p.getDoubleValue();
                case VALUE_TRUE:
                    return Boolean.TRUE;
                case VALUE_FALSE:
                    return Boolean.FALSE;
                case VALUE_NULL:
                    return null;
                case START_OBJECT:
                    Map<String, Object> map = new LinkedHashMap<>();
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String name = p.currentName();
                        p.nextToken();
                        map.put(name, value(p));
                    }
                    return map;
                case START_ARRAY:
                    List<Object> list = new ArrayList<>();
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        list.add(value(p));
                    }
                    return list;
                default:
                    throw new IOException("unexpected " + p.currentToken());
            }
        }
    }
}
