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
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-XX:+UseSerialGC");
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
