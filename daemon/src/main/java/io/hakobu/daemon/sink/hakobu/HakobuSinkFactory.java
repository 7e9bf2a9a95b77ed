package io.hakobu.daemon.sink.hakobu;

import io.hakobu.core.config.ConfigMap;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.core.pipeline.Sink;
import io.hakobu.core.pipeline.SinkFactory;
import io.hakobu.protocol.ForwardClient;
import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@code type: hakobu}: forwards entries to aggregators over the native protocol. */
public final class HakobuSinkFactory implements SinkFactory<HakobuSinkConfig> {

    @Override
    public String type() {
        return "hakobu";
    }

    @Override
    public String description() {
        return "forwards entries to hakobu aggregators (acknowledged once durable there, idempotent resend, failover, TLS)";
    }

    @Override
    public HakobuSinkConfig parse(ConfigMap cfg) {
        int before = cfg.problems().size();
        List<String> eps = cfg.stringList("endpoints", List.of());
        List<ForwardClient.Endpoint> endpoints = new ArrayList<>();
        if (eps.isEmpty()) {
            cfg.problem("endpoints", "is required: a list such as [\"agg-1:24240\", \"agg-2:24240\"]");
        }
        for (String e : eps) {
            try {
                HakobuConfigs.HostPort hp = HakobuConfigs.hostPort(e, false);
                endpoints.add(new ForwardClient.Endpoint(hp.host(), hp.port()));
            } catch (IllegalArgumentException ex) {
                cfg.problem("endpoints", ex.getMessage());
            }
        }
        String strategy = cfg.oneOf("strategy", "failover", "failover", "round_robin");
        String compression = cfg.oneOf("compression", "zstd", "zstd", "none");
        SslContext ssl = HakobuConfigs.clientTls(cfg);
        String token = HakobuConfigs.token(cfg);
        int window = (int) cfg.integer("window", 32, 1, 1024);
        long batchBytes = cfg.size("batch_max_bytes", 1L << 20);
        if (batchBytes < 1024 || batchBytes > (256L << 20)) {
            cfg.problem("batch_max_bytes", "expected a size between 1KiB and 256MiB");
        }
        int batchEvents = (int) cfg.integer("batch_max_events", 8192, 1, 1 << 20);
        long connect = millis(cfg, "connect_timeout", Duration.ofSeconds(5), 100);
        long hbInterval = millis(cfg, "heartbeat_interval", Duration.ofSeconds(5), 100);
        long hbTimeout = millis(cfg, "heartbeat_timeout", Duration.ofSeconds(20), 200);
        if (hbTimeout <= hbInterval) {
            cfg.problem("heartbeat_timeout", "expected more than heartbeat_interval (" + hbInterval + " ms)");
        }
        long bMin = millis(cfg, "backoff_min", Duration.ofMillis(200), 1);
        long bMax = millis(cfg, "backoff_max", Duration.ofSeconds(30), 1);
        if (bMax < bMin) {
            cfg.problem("backoff_max", "expected at least backoff_min (" + bMin + " ms)");
        }
        long ackTimeout = millis(cfg, "ack_timeout", Duration.ofSeconds(60), 1000);
        int writesInFlight = (int) cfg.integer("writes_in_flight", 2, 1, 64);
        long linger = cfg.duration("linger", Duration.ofMillis(10)).toMillis();
        if (linger > 60_000) {
            cfg.problem("linger", "expected at most 1m");
            linger = 10;
        }
        long failback = cfg.duration("failback", Duration.ofMinutes(5)).toMillis();
        if (failback != 0 && failback < 1000) {
            cfg.problem("failback", "expected 0s (never) or at least 1s");
        }
        cfg.finish();
        if (endpoints.isEmpty() || cfg.problems().size() > before) {
            return null;
        }
        return new HakobuSinkConfig(List.copyOf(endpoints),
                "round_robin".equals(strategy) ? ForwardClient.Strategy.ROUND_ROBIN : ForwardClient.Strategy.FAILOVER,
                "zstd".equals(compression), ssl, token, window, batchBytes, batchEvents, connect, hbInterval, hbTimeout, bMin, bMax, ackTimeout,
                writesInFlight, linger, failback);
    }

    private static long millis(ConfigMap cfg, String key, Duration def, long min) {
        long v = cfg.duration(key, def).toMillis();
        if (v < min) {
            cfg.problem(key, "expected at least " + min + "ms");
            return def.toMillis();
        }
        return v;
    }

    @Override
    public Sink create(String id, HakobuSinkConfig config, NodeInfo node) {
        return new HakobuSink(id, config, node);
    }
}
