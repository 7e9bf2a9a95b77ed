package io.hakobu.daemon;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What the process tests need around a {@code hakobu} process: free ports, its log, and its HTTP
 * API ({@code api: listen}).
 */
public final class DaemonTesting {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private DaemonTesting() {
    }

    /** A port free for both TCP and UDP on 127.0.0.1 right now. */
    public static int freePort() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                int port = s.getLocalPort();
                try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                    return d.getLocalPort();
                } catch (IOException taken) {
                    // UDP side in use: try another
                }
            }
        }
        throw new IOException("no free port");
    }

    /** The text of a log (or any file) so far; empty while it does not exist or cannot be read. */
    public static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** How many lines of {@code file} contain {@code text} so far. */
    public static long linesContaining(Path file, String text) {
        return read(file).lines().filter(l -> l.contains(text)).count();
    }

    /** Polls until {@code log} contains {@code text}. */
    public static void awaitLog(Duration timeout, Path log, String text) throws InterruptedException {
        Await.until(timeout, "'" + text + "' in " + log, () -> read(log).contains(text));
    }

    /** GET {@code path} from the API on 127.0.0.1:{@code port}. */
    public static HttpResponse<String> httpGet(int port, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The sum of the samples of metric {@code name} (any labels) on the API at {@code port}; -1 when it does not answer. */
    public static long metricSum(int port, String name) {
        try {
            long sum = 0;
            for (String line : httpGet(port, "/metrics").body().split("\n")) {
                if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                    sum += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return sum;
        } catch (Exception e) {
            return -1;
        }
    }
}
