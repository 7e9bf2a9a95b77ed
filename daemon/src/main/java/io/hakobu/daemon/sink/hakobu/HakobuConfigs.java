package io.hakobu.daemon.sink.hakobu;

import io.hakobu.core.config.ConfigMap;
import io.hakobu.protocol.Tls;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Config pieces shared by the {@code hakobu} source and sink: addresses, {@code tls}, {@code auth}. */
public final class HakobuConfigs {
    private HakobuConfigs() {
    }

    public record HostPort(String host, int port) { }

    /** {@code host:port}, {@code [v6]:port}. */
    public static HostPort hostPort(String s, boolean allowZeroPort) {
        String host;
        String port;
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            if (end < 0 || end + 1 >= s.length() || s.charAt(end + 1) != ':') {
                throw new IllegalArgumentException("expected HOST:PORT or [IPv6]:PORT, got '" + s + "'");
            }
            host = s.substring(1, end);
            port = s.substring(end + 2);
        } else {
            int c = s.lastIndexOf(':');
            if (c <= 0 || s.indexOf(':') != c) {
                throw new IllegalArgumentException("expected HOST:PORT or [IPv6]:PORT, got '" + s + "'");
            }
            host = s.substring(0, c);
            port = s.substring(c + 1);
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a port number in '" + s + "'");
        }
        if (p < (allowZeroPort ? 0 : 1) || p > 65535) {
            throw new IllegalArgumentException("port " + p + " in '" + s + "' is out of range (" + (allowZeroPort ? 0 : 1) + "-65535)");
        }
        return new HostPort(host, p);
    }

    /** {@code auth: {token_file: PATH}}: the token (file content without surrounding white space), or null. */
    public static String token(ConfigMap cfg) {
        if (!cfg.has("auth")) {
            cfg.accept("auth");
            return null;
        }
        ConfigMap auth = cfg.map("auth");
        String file = auth.requiredString("token_file");
        auth.finish();
        if (file == null) {
            return null;
        }
        try {
            String t = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
            if (t.isEmpty()) {
                auth.problem("token_file", "'" + file + "' is empty: expected a token");
                return null;
            }
            if (t.getBytes(StandardCharsets.UTF_8).length > 4096) {
                auth.problem("token_file", "the token in '" + file + "' is longer than 4096 bytes");
                return null;
            }
            return t;
        } catch (IOException | RuntimeException e) {
            auth.problem("token_file", "cannot read '" + file + "': " + e);
            return null;
        }
    }

    /** Server {@code tls: {cert, key, ca, client_auth: none|require}}, or null without {@code tls}. */
    public static SslContext serverTls(ConfigMap cfg) {
        if (!cfg.has("tls")) {
            cfg.accept("tls");
            return null;
        }
        ConfigMap t = cfg.map("tls");
        Path cert = file(t, "cert", true);
        Path key = file(t, "key", true);
        Path ca = file(t, "ca", false);
        String auth = t.oneOf("client_auth", "none", "none", "require");
        boolean require = "require".equals(auth);
        if (require && ca == null && !t.has("ca")) {
            t.problem("client_auth", "'require' needs tls.ca: the CA that signs the agents' certificates");
        }
        t.finish();
        if (cert == null || key == null || (require && ca == null)) {
            return null;
        }
        try {
            return new Tls(cert, key, ca, require, false).serverContext();
        } catch (Exception e) {
            t.problem("cert", "cannot load the certificate, key or CA (PEM; the key must be PKCS#8): " + Tls.describe(e));
            return null;
        }
    }

    /** Agent {@code tls: {ca, cert, key, verify_hostname: true}}, or null without {@code tls}. */
    public static SslContext clientTls(ConfigMap cfg) {
        if (!cfg.has("tls")) {
            cfg.accept("tls");
            return null;
        }
        ConfigMap t = cfg.map("tls");
        Path ca = file(t, "ca", false);
        Path cert = file(t, "cert", false);
        Path key = file(t, "key", false);
        boolean verify = t.bool("verify_hostname", true);
        if ((cert == null) != (key == null) && t.has("cert") != t.has("key")) {
            t.problem(cert == null ? "cert" : "key", "tls.cert and tls.key go together (the agent's client certificate)");
        }
        t.finish();
        try {
            return new Tls(cert, key, ca, false, verify).clientContext();
        } catch (Exception e) {
            t.problem(cert != null ? "cert" : "ca", "cannot load the certificate, key or CA (PEM; the key must be PKCS#8): " + Tls.describe(e));
            return null;
        }
    }

    private static Path file(ConfigMap t, String key, boolean required) {
        String s = required ? t.requiredString(key) : t.string(key, null);
        if (s == null) {
            return null;
        }
        Path p = Path.of(s);
        if (!Files.isReadable(p) || Files.isDirectory(p)) {
            t.problem(key, "'" + s + "' is not a readable file");
            return null;
        }
        return p;
    }
}
