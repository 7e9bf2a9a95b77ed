package io.hakobu.core.telemetry;

import java.util.ArrayList;
import java.util.Comparator;
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

    /** Prometheus text exposition format 0.0.4: families by name, each family's series by labels. */
    public String renderPrometheus() {
        Map<String, List<Sample>> families = new TreeMap<>();
        for (ComponentMetrics c : components.values()) {
            c.forEachCounter((series, counter) -> families.computeIfAbsent(series.family(), k -> new ArrayList<>())
                    .add(new Sample(series.prefix(), counter.get())));
            c.forEachGauge((series, gauge) -> families.computeIfAbsent(series.family(), k -> new ArrayList<>())
                    .add(new Sample(series.prefix(), gauge.getAsLong())));
        }
        StringBuilder sb = new StringBuilder(16 * 1024);
        for (Map.Entry<String, List<Sample>> e : families.entrySet()) {
            String family = e.getKey(); // "<name> <type>"
            sb.append("# TYPE hakobu_").append(family).append('\n');
            List<Sample> samples = e.getValue();
            samples.sort(Comparator.comparing(Sample::prefix));
            for (Sample s : samples) {
                sb.append(s.prefix()).append(s.value()).append('\n');
            }
        }
        return sb.toString();
    }

    /**
     * A series as rendered: {@code family} is {@code "<name> <type>"} (name without the
     * {@code hakobu_} prefix), {@code prefix} the sample line up to its value,
     * {@code hakobu_<name>{<labels>} }.
     */
    record Series(String family, String prefix) {
    }

    private record Sample(String prefix, long value) {
    }

    interface CounterVisitor {
        void visit(Series series, Counter counter);
    }

    interface GaugeVisitor {
        void visit(Series series, LongSupplier gauge);
    }
}
