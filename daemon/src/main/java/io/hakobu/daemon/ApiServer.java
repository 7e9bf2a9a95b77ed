package io.hakobu.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.hakobu.core.pipeline.ComponentStatus;
import io.hakobu.core.pipeline.Pipeline;
import io.hakobu.core.telemetry.Metrics;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executors;

/**
 * The node's HTTP API ({@code api.listen}): {@code GET /health} (200; 503 "failing" with the failed
 * components, or 503 "degraded" with components that run but cannot make progress: a buffer that
 * cannot write, a sink whose writes fail and are being retried), {@code /metrics} (Prometheus text)
 * and {@code /status} (JSON per component).
 * One small thread; it never touches the data path.
 */
final class ApiServer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;

    private ApiServer(HttpServer server) {
        this.server = server;
    }

    static ApiServer start(String listen, Pipeline pipeline, Metrics metrics) throws IOException {
        int colon = listen.lastIndexOf(':');
        String host = listen.substring(0, colon);
        int port = Integer.parseInt(listen.substring(colon + 1));
        HttpServer s;
        try {
            s = HttpServer.create(new InetSocketAddress(host.isEmpty() ? "0.0.0.0" : host, port), 16);
        } catch (IOException e) {
            throw new IOException("api.listen: cannot listen on " + listen + ": " + e.getMessage(), e);
        }
        s.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "hakobu-api");
            t.setDaemon(true);
            return t;
        }));
        s.createContext("/metrics", ex -> reply(ex, 200, "text/plain; version=0.0.4", metrics.renderPrometheus()));
        s.createContext("/status", ex -> reply(ex, 200, "application/json", statusJson(pipeline.status()).toString()));
        s.createContext("/health", ex -> {
            List<ComponentStatus> st = pipeline.status();
            ArrayNode failed = JSON.createArrayNode();
            ArrayNode degraded = JSON.createArrayNode();
            for (ComponentStatus c : st) {
                if (c.state() == ComponentStatus.State.FAILED) {
                    failed.addObject().put("component_id", c.id()).put("reason", String.valueOf(c.lastError()));
                } else if (c.condition() != null) {
                    degraded.addObject().put("component_id", c.id()).put("reason", c.condition());
                } else if (c.kind() == ComponentStatus.Kind.SINK && c.state() == ComponentStatus.State.RUNNING
                        && c.lastError() != null) {
                    // a sink retrying failed writes (unreachable server, access denied, missing bucket):
                    // it keeps running and keeps the data in its buffer, but someone should look
                    degraded.addObject().put("component_id", c.id()).put("reason", c.lastError());
                }
            }
            ObjectNode body = JSON.createObjectNode();
            boolean ok = failed.isEmpty() && degraded.isEmpty();
            body.put("status", !failed.isEmpty() ? "failing" : !degraded.isEmpty() ? "degraded" : "ok");
            if (!failed.isEmpty()) {
                body.set("failed", failed);
            }
            if (!degraded.isEmpty()) {
                body.set("degraded", degraded);
            }
            reply(ex, ok ? 200 : 503, "application/json", body.toString());
        });
        s.start();
        return new ApiServer(s);
    }

    private static ObjectNode statusJson(List<ComponentStatus> st) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode arr = root.putArray("components");
        for (ComponentStatus c : st) {
            ObjectNode o = arr.addObject();
            o.put("id", c.id());
            o.put("kind", c.kind().toString().toLowerCase());
            o.put("type", c.type());
            o.put("state", c.state().toString().toLowerCase());
            o.put("queued_events", c.queuedEvents());
            o.put("queued_bytes", c.queuedBytes());
            if (c.condition() != null) {
                o.put("condition", c.condition());
            }
            if (c.lastError() != null) {
                o.put("last_error", c.lastError());
            }
        }
        return root;
    }

    private static void reply(HttpExchange ex, int code, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(code, b.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(b);
        }
    }

    void stop() {
        server.stop(0);
    }
}
