package io.hakobu.core.telemetry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The metrics of one component. Counters are created once and then incremented without lookups:
 * keep the returned {@link Counter} in a field.
 */
public final class ComponentMetrics {
    private final String id;
    private final String type;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, LongSupplier> gauges = new ConcurrentHashMap<>();
    /** Rendered series by key (see {@link #series}); a key's entry goes when its gauge is removed. */
    private final Map<String, Metrics.Series> rendered = new ConcurrentHashMap<>();

    ComponentMetrics(String id, String type) {
        this.id = id;
        this.type = type;
    }

    public String id() {
        return id;
    }

    public String type() {
        return type;
    }

    /**
     * The counter {@code hakobu_<name>} with extra labels given as key, value pairs
     * (e.g. {@code counter("events_dropped_total", "reason", "buffer_full")}).
     */
    public Counter counter(String name, String... labels) {
        return counters.computeIfAbsent(key(name, labels), k -> new Counter());
    }

    /** Registers (or replaces) a gauge read when metrics are rendered. */
    public void gauge(String name, LongSupplier value, String... labels) {
        gauges.put(key(name, labels), value);
    }

    /**
     * Removes a gauge if {@code value} is still the one registered under that name and labels (a
     * gauge registered again since stays). For series that come and go, like per-file gauges.
     */
    public void removeGauge(String name, LongSupplier value, String... labels) {
        String key = key(name, labels);
        if (gauges.remove(key, value) && !counters.containsKey(key)) {
            rendered.remove(key); // made again if the gauge comes back
        }
    }

    /** Current value of a counter, 0 if it was never created (for tests and status output). */
    public long count(String name, String... labels) {
        Counter c = counters.get(key(name, labels));
        return c == null ? 0 : c.get();
    }

    public long gaugeValue(String name, String... labels) {
        LongSupplier g = gauges.get(key(name, labels));
        return g == null ? 0 : g.getAsLong();
    }

    private static String key(String name, String[] labels) {
        if (labels.length % 2 != 0) {
            throw new IllegalArgumentException("labels must be key, value pairs");
        }
        StringBuilder sb = new StringBuilder(name);
        for (int i = 0; i < labels.length; i += 2) {
            sb.append('\0').append(labels[i]).append('\0').append(labels[i + 1]);
        }
        return sb.toString();
    }

    void forEachCounter(Metrics.CounterVisitor v) {
        counters.forEach((k, c) -> v.visit(series(k, " counter"), c));
    }

    void forEachGauge(Metrics.GaugeVisitor v) {
        gauges.forEach((k, g) -> v.visit(series(k, " gauge"), g));
    }

    /**
     * The rendered name and labels of the series with this key, made once per series (a render
     * used to split and escape every key again: about 2 ms per scrape).
     */
    private Metrics.Series series(String key, String type) {
        Metrics.Series s = rendered.get(key);
        if (s == null || !s.family().endsWith(type)) {
            String name = nameOf(key);
            s = new Metrics.Series(name + type, "hakobu_" + name + "{" + labelsOf(key) + "} ");
            rendered.put(key, s);
        }
        return s;
    }

    private static String nameOf(String key) {
        int i = key.indexOf('\0');
        return i < 0 ? key : key.substring(0, i);
    }

    private String labelsOf(String key) {
        StringBuilder sb = new StringBuilder();
        sb.append("component_id=\"").append(escape(id)).append("\",component_type=\"").append(escape(type)).append('"');
        String[] parts = key.split("\0", -1);
        for (int i = 1; i + 1 < parts.length; i += 2) {
            sb.append(',').append(parts[i]).append("=\"").append(escape(parts[i + 1])).append('"');
        }
        return sb.toString();
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
