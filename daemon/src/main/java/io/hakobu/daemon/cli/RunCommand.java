package io.hakobu.daemon.cli;

import io.hakobu.core.config.ConfigProblems;
import io.hakobu.daemon.Daemon;
import io.hakobu.daemon.config.HakobuConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run in the foreground until SIGTERM/SIGINT (graceful: stop sources, drain, persist checkpoints)."
                + " Also stops by itself when every source has ended (e.g. stdin at end of input).")
final class RunCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

    @Option(names = {"-c", "--config"}, required = true, description = "configuration file (YAML)")
    Path config;

    @Override
    public Integer call() throws InterruptedException {
        ConfigProblems problems = new ConfigProblems();
        HakobuConfig cfg = ConfigFiles.load(config, problems);
        if (!problems.isEmpty()) {
            problems.all().forEach(System.err::println);
            System.err.println("hakobu: configuration has " + problems.size() + " problem(s); not starting");
            return 1;
        }
        CountDownLatch stopRequested = new CountDownLatch(1);
        Signals.install(() -> {
            LOG.info("event=signal action=graceful_stop");
            stopRequested.countDown();
        }, () -> LOG.warn("event=sighup action=ignored reason=\"configuration reload is not supported yet; restart to apply changes\""));
        Daemon daemon = new Daemon(cfg);
        try {
            daemon.start();
        } catch (Exception e) {
            LOG.error("event=start_failed error=\"{}\"", e.getMessage(), e);
            daemon.stop();
            return 2;
        }
        while (!stopRequested.await(100, TimeUnit.MILLISECONDS)) {
            if (daemon.pipeline().sourcesFinished()) {
                LOG.info("event=sources_finished action=graceful_stop");
                break;
            }
        }
        boolean failed = daemon.pipeline().status().stream()
                .anyMatch(c -> c.state() == io.hakobu.core.pipeline.ComponentStatus.State.FAILED);
        daemon.stop();
        if (failed) {
            LOG.error("event=exit status=failed reason=\"a component failed; see the errors above\"");
            return 2;
        }
        return 0;
    }
}
