package io.hakobu.daemon.cli;

import io.hakobu.core.config.ConfigProblems;
import io.hakobu.core.pipeline.NodeInfo;
import io.hakobu.daemon.config.HakobuConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Validate a configuration without side effects; print every problem as FILE:LINE: key.path: message.")
final class CheckCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, description = "configuration file (YAML)")
    Path config;

    @Option(names = "--online", description = "also check that each sink can reach and write its destination"
            + " (e.g. S3 credentials and bucket); exit 1 if one cannot")
    boolean online;

    @Override
    public Integer call() {
        ConfigProblems problems = new ConfigProblems();
        HakobuConfig cfg = ConfigFiles.load(config, problems);
        if (!problems.isEmpty()) {
            problems.all().forEach(System.out::println);
            System.out.println(problems.size() + (problems.size() == 1 ? " problem" : " problems") + " found");
            return 1;
        }
        System.out.println(config + ": ok (node " + cfg.nodeName() + ", " + cfg.sources().size() + " sources, "
                + cfg.sinks().size() + " sinks)");
        return online ? checkOnline(cfg) : 0;
    }

    /** Asks every sink's factory to check its destination; one line per sink that has one. */
    private int checkOnline(HakobuConfig cfg) {
        NodeInfo node = new NodeInfo(cfg.nodeName(), cfg.dataDir());
        int failed = 0;
        for (HakobuConfig.SinkSpec s : cfg.sinks().values()) {
            try {
                String result = s.factory().checkOnline(s.id(), s.config(), node);
                if (result != null) {
                    System.out.println("sinks." + s.id() + ": online: " + result);
                }
            } catch (Exception e) {
                failed++;
                System.out.println("sinks." + s.id() + ": online: FAILED: " + e);
            }
        }
        if (failed > 0) {
            System.out.println(failed + (failed == 1 ? " sink" : " sinks") + " cannot reach " + (failed == 1 ? "its" : "their")
                    + " destination");
            return 1;
        }
        return 0;
    }
}
