package io.hakobu.daemon;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs {@code hakobu} as a separate JVM (the test class path), for process-level tests. */
public final class HakobuProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private HakobuProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code hakobu ARGS}; stdout and stderr are appended to {@code log}. */
    public static HakobuProcess start(Path log, String... args) throws IOException {
        return start(log, null, args);
    }

    public static HakobuProcess start(Path log, File stdin, String... args) throws IOException {
        return start(log, stdin, List.of(), args);
    }

    /** Starts {@code hakobu run -c CONFIG}; stdout and stderr are appended to {@code log}. */
    public static HakobuProcess run(Path log, Path config) throws IOException {
        return start(log, "run", "-c", config.toString());
    }

    /** Starts {@code hakobu ARGS} in a JVM with {@code jvmOptions} (system properties, say) as well. */
    public static HakobuProcess start(Path log, File stdin, List<String> jvmOptions, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-XX:+UseSerialGC");
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.hakobu.daemon.cli.Main");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        if (stdin != null) {
            pb.redirectInput(stdin);
        }
        return new HakobuProcess(pb.start(), log);
    }

    /**
     * Runs {@code hakobu ARGS} to its end (60 s at the most, then SIGKILL); output appended to
     * {@code log}. Returns the exit code, -1 if it did not end in time.
     */
    public static int exec(Path log, String... args) throws IOException, InterruptedException {
        try (HakobuProcess p = start(log, args)) {
            return p.waitFor(60);
        }
    }

    public Process process() {
        return process;
    }

    public Path log() {
        return log;
    }

    /** SIGKILL, and wait until the process is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, and the exit code (or -1 if it did not exit within the timeout). */
    public int terminate(long timeoutSeconds) throws InterruptedException {
        process.destroy();
        return process.waitFor(timeoutSeconds, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }

    public int waitFor(long timeoutSeconds) throws InterruptedException {
        return process.waitFor(timeoutSeconds, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                kill();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
