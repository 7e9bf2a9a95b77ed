package io.hakobu.daemon.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Signal handling for {@code hakobu run}: SIGTERM and SIGINT request a graceful stop (so that the
 * process exits 0 after draining, not 143); SIGHUP must never kill the JVM (HotSpot's default
 * would): it is logged, since configuration reload is not built yet.
 */
final class Signals {
    private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

    private Signals() {
    }

    static void install(Runnable onStop, Runnable onHup) {
        Signal.handle(new Signal("TERM"), s -> onStop.run());
        Signal.handle(new Signal("INT"), s -> onStop.run());
        try {
            Signal.handle(new Signal("HUP"), s -> onHup.run());
        } catch (IllegalArgumentException e) {
            LOG.warn("event=sighup_handler_unavailable error=\"{}\"", e.getMessage());
        }
    }
}
