package io.hakobu.daemon.cli;

import io.hakobu.daemon.demo.Demo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Write sample LTSV access logs and JSON application logs, ship them through the pipeline into an"
                + " archive laid out by date/hour/host/source, show progress, and print a summary (lost, duplicated,"
                + " lines/s). Needs no server.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = "hakobu-demo", description = "working directory (default: ${DEFAULT-VALUE})")
    Path dir;

    @Option(names = "--lines", defaultValue = "100000", description = "lines to write in all (default: ${DEFAULT-VALUE})")
    long lines;

    @Override
    public Integer call() throws Exception {
        if (lines < 1 || lines > 100_000_000L) {
            System.err.println("hakobu demo: --lines must be between 1 and 100000000");
            return 1;
        }
        Demo.Result r = new Demo(dir.toAbsolutePath(), lines, System.out).run();
        return r.ok() ? 0 : 2;
    }
}
