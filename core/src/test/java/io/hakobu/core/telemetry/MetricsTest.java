package io.hakobu.core.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MetricsTest {
    @Test
    void rendersFamiliesByNameAndSeriesByLabelsWithCurrentValues() {
        Metrics m = new Metrics();
        ComponentMetrics sink = m.component("out", "file");
        ComponentMetrics src = m.component("in", "hakobu");
        Counter dropped = sink.counter("events_dropped_total", "reason", "buffer_full");
        Counter out = sink.counter("events_out_total");
        Counter in = src.counter("events_in_total");
        AtomicLong disk = new AtomicLong(7);
        sink.gauge("buffer_disk_bytes", disk::get);
        src.counter("events_dropped_total", "reason", "a \"quoted\" \\ value\nnext");
        out.add(3);
        in.add(5);
        dropped.add(1);

        String first = m.renderPrometheus();
        assertEquals("""
                # TYPE hakobu_buffer_disk_bytes gauge
                hakobu_buffer_disk_bytes{component_id="out",component_type="file"} 7
                # TYPE hakobu_events_dropped_total counter
                hakobu_events_dropped_total{component_id="in",component_type="hakobu",reason="a \\"quoted\\" \\\\ value\\nnext"} 0
                hakobu_events_dropped_total{component_id="out",component_type="file",reason="buffer_full"} 1
                # TYPE hakobu_events_in_total counter
                hakobu_events_in_total{component_id="in",component_type="hakobu"} 5
                # TYPE hakobu_events_out_total counter
                hakobu_events_out_total{component_id="out",component_type="file"} 3
                """, first);

        // rendered again: the values are read anew, the series text is the one made before
        out.add(10);
        disk.set(1 << 20);
        String second = m.renderPrometheus();
        assertEquals(first.replace("} 3\n", "} 13\n").replace("} 7\n", "} 1048576\n"), second);
    }

    @Test
    void aRemovedGaugeIsNotRenderedAndMayComeBack() {
        Metrics m = new Metrics();
        ComponentMetrics c = m.component("in", "file");
        java.util.function.LongSupplier a = () -> 1;
        java.util.function.LongSupplier b = () -> 2;
        c.gauge("file_lag_bytes", a, "path", "/var/log/a.log");
        String line = "hakobu_file_lag_bytes{component_id=\"in\",component_type=\"file\",path=\"/var/log/a.log\"}";
        assertEquals("# TYPE hakobu_file_lag_bytes gauge\n" + line + " 1\n", m.renderPrometheus());
        c.removeGauge("file_lag_bytes", b, "path", "/var/log/a.log"); // not the one registered: stays
        assertEquals("# TYPE hakobu_file_lag_bytes gauge\n" + line + " 1\n", m.renderPrometheus());
        c.removeGauge("file_lag_bytes", a, "path", "/var/log/a.log");
        assertEquals("", m.renderPrometheus());
        c.gauge("file_lag_bytes", b, "path", "/var/log/a.log");
        assertEquals("# TYPE hakobu_file_lag_bytes gauge\n" + line + " 2\n", m.renderPrometheus());
    }
}
