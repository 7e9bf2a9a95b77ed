package io.hakobu.daemon.demo;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Generates realistic sample lines: nginx LTSV access logs and JSON application logs. Every line
 * carries {@code seq}, a sequence number unique within its file, so that the demo (and tests) can
 * count loss and duplicates.
 */
public final class SampleLogs {
    private static final DateTimeFormatter NGINX_TIME =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT);
    private static final String[] PATHS = {"/", "/index.html", "/api/v1/items?page=2", "/api/v1/cart", "/login",
        "/static/app.js", "/static/style.css", "/search?q=hakobu", "/healthz", "/api/v1/orders/42"};
    private static final String[] METHODS = {"GET", "GET", "GET", "GET", "POST", "PUT", "DELETE"};
    private static final int[] STATUS = {200, 200, 200, 200, 200, 304, 301, 404, 500, 502};
    private static final String[] UA = {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
        "curl/8.4.0", "Go-http-client/1.1", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X)"};
    private static final String[] LEVELS = {"info", "info", "info", "debug", "warn", "error"};
    private static final String[] MSGS = {"request handled", "cache miss", "user signed in", "payment authorized",
        "retrying upstream call", "slow query", "order created", "session expired"};

    private final SplittableRandom random;
    private final String nowNginx;

    public SampleLogs(long seed) {
        this.random = new SplittableRandom(seed);
        this.nowNginx = ZonedDateTime.now(ZoneOffset.UTC).format(NGINX_TIME);
    }

    /** One nginx access line in LTSV (no newline). */
    public String accessLine(long seq) {
        String path = PATHS[random.nextInt(PATHS.length)];
        String method = METHODS[random.nextInt(METHODS.length)];
        return "time:" + nowNginx
                + "\thost:192.0.2." + (1 + random.nextInt(254))
                + "\tforwardedfor:-"
                + "\treq:" + method + " " + path + " HTTP/1.1"
                + "\tmethod:" + method
                + "\turi:" + path
                + "\tstatus:" + STATUS[random.nextInt(STATUS.length)]
                + "\tsize:" + random.nextInt(20000)
                + "\treferer:-"
                + "\tua:" + UA[random.nextInt(UA.length)]
                + "\treqtime:0.0" + (10 + random.nextInt(89))
                + "\tvhost:shop.example.jp"
                + "\tseq:" + seq;
    }

    /** One JSON application log line (no newline). */
    public String appLine(long seq) {
        return "{\"level\":\"" + LEVELS[random.nextInt(LEVELS.length)] + "\",\"msg\":\""
                + MSGS[random.nextInt(MSGS.length)] + "\",\"user_id\":" + random.nextInt(100000)
                + ",\"latency_ms\":" + (random.nextInt(5000) / 10.0) + ",\"tags\":[\"shop\",\"v2\"],\"seq\":" + seq + "}";
    }
}
