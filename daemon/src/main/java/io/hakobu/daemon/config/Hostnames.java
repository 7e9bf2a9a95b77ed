package io.hakobu.daemon.config;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/** The local host name, as journald would record it in {@code _HOSTNAME}. */
public final class Hostnames {
    private Hostnames() {
    }

    public static String local() {
        try {
            String s = Files.readString(Path.of("/etc/hostname")).trim();
            if (!s.isEmpty()) {
                return s;
            }
        } catch (IOException | RuntimeException ignored) {
            // fall back below
        }
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
