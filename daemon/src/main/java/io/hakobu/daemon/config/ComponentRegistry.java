package io.hakobu.daemon.config;

import io.hakobu.core.pipeline.SinkFactory;
import io.hakobu.core.pipeline.SourceFactory;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The source and sink types found on the class path through {@link ServiceLoader}. */
public final class ComponentRegistry {
    private final Map<String, SourceFactory<?>> sources = new TreeMap<>();
    private final Map<String, SinkFactory<?>> sinks = new TreeMap<>();

    @SuppressWarnings("rawtypes")
    public static ComponentRegistry load() {
        ComponentRegistry r = new ComponentRegistry();
        for (SourceFactory f : ServiceLoader.load(SourceFactory.class)) {
            r.sources.put(f.type(), f);
        }
        for (SinkFactory f : ServiceLoader.load(SinkFactory.class)) {
            r.sinks.put(f.type(), f);
        }
        return r;
    }

    public SourceFactory<?> source(String type) {
        return sources.get(type);
    }

    public SinkFactory<?> sink(String type) {
        return sinks.get(type);
    }

    public Map<String, SourceFactory<?>> sources() {
        return sources;
    }

    public Map<String, SinkFactory<?>> sinks() {
        return sinks;
    }
}
