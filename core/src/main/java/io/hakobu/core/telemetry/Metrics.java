package io.hakobu.core.telemetry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The node's metric registry. Names follow {@code hakobu_<what>_<unit>}; every series carries
 * {@code component_id} and {@code component_type} labels (SPEC §5). Rendered as Prometheus text.
 */
public final class Metrics {
    private final Map<String, ComponentMetrics> components = new ConcurrentHashMap<>();

    public ComponentMetrics component(String id, String type) {
        return components.computeIfAbsent(id + "\0" + type, k -> new ComponentMetrics(id, type));
    }

    public List<ComponentMetrics> components() {
        return new ArrayList<>(components.values());
    }

    /** Prometheus text exposition format 0.0.4. */
    public String renderPrometheus() {
        Map<String, List<String>> byName = new TreeMap<>();
        for (ComponentMetrics c : components.values()) {
            c.forEachCounter((name, labels, counter) -> byName.computeIfAbsent(name + " counter", k -> new ArrayList<>())
                    .add("hakobu_" + name + "{" + labels + "} " + counter.get()));
            c.forEachGauge((name, labels, gauge) -> byName.computeIfAbsent(name + " gauge", k -> new ArrayList<>())
                    .add("hakobu_" + name + "{" + labels + "} " + gauge.getAsLong()));
        }
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, List<String>> e : byName.entrySet()) {
            String[] nt = e.getKey().split(" ");
            sb.append("# TYPE hakobu_").append(nt[0]).append(' ').append(nt[1]).append('\n');
            e.getValue().stream().sorted().forEach(l -> sb.append(l).append('\n'));
        }
        return sb.toString();
    }

    interface CounterVisitor {
        void visit(String name, String labels, Counter counter);
    }

    interface GaugeVisitor {
        void visit(String name, String labels, LongSupplier gauge);
    }
}
