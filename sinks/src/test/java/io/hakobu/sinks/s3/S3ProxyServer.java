package io.hakobu.sinks.s3;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real S3Proxy (filesystem blob store) in a child JVM on 127.0.0.1, from the
 * jar-with-dependencies Maven copies into {@code target/s3proxy/} (system property
 * {@code s3proxy.jar}). Its ~170 jars stay off the test classpath. The store lives in a directory,
 * so {@link #stop()} then {@link #start()} is a server outage that keeps the bucket.
 */
final class S3ProxyServer implements AutoCloseable {
    static final String ACCESS_KEY = "hakobu-access";
    static final String SECRET_KEY = "hakobu-secret-key";
    private static final long START_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(90);

    private final Path dir;
    private final int port;
    private Process process;

    S3ProxyServer(Path dir) throws IOException {
        this.dir = dir;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            this.port = s.getLocalPort();
        }
    }

    static Path jar() {
        String p = System.getProperty("s3proxy.jar");
        Path jar = p != null ? Path.of(p) : Path.of(System.getProperty("user.home"),
                ".m2/repository/org/gaul/s3proxy/4.1.0/s3proxy-4.1.0-jar-with-dependencies.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("S3Proxy jar not found at " + jar + " (maven-dependency-plugin copies it"
                    + " in generate-test-resources)");
        }
        return jar;
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + port);
    }

    int port() {
        return port;
    }

    Path blobDir() {
        return dir.resolve("blobs");
    }

    S3ProxyServer start() throws IOException, InterruptedException {
        Files.createDirectories(blobDir());
        Path props = dir.resolve("s3proxy.conf");
        Files.writeString(props, String.join("\n",
                "s3proxy.endpoint=" + uri(),
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "s3proxy.ignore-unknown-headers=true",
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + blobDir(),
                ""));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        process = new ProcessBuilder(List.of(java.toString(), "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-jar", jar().toString(), "--properties", props.toString()))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("s3proxy.log").toFile())
                .start();
        long deadline = System.nanoTime() + START_TIMEOUT_NANOS;
        while (!accepts()) {
            if (!process.isAlive()) {
                throw new IOException("S3Proxy exited with " + process.exitValue() + ": "
                        + Files.readString(dir.resolve("s3proxy.log")));
            }
            if (System.nanoTime() > deadline) {
                stop();
                throw new IOException("S3Proxy did not listen on " + uri() + " within 90 s");
            }
            Thread.onSpinWait();
            process.waitFor(50, TimeUnit.MILLISECONDS); // poll interval; returns early if it dies
        }
        return this;
    }

    private boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    void stop() throws InterruptedException {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(20, TimeUnit.SECONDS);
            }
            process = null;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (accepts() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
