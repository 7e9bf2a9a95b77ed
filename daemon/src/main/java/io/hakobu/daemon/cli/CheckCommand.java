package io.hakobu.daemon.cli;

import io.hakobu.core.config.ConfigProblems;
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
        return 0;
    }
}
