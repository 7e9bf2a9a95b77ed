package io.hakobu.daemon.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code hakobu}: the command line (SPEC §1). Exit codes: 0 ok, 1 usage or config error, 2 runtime failure. */
@Command(name = "hakobu",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.Provider.class,
        description = "hakobu (運ぶ): a journald-style structured log shipper.",
        subcommands = {RunCommand.class, CheckCommand.class, DemoCommand.class, BufferCommand.class, VersionCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Usage errors exit 1 (SPEC §1), not picocli's default 2, which hakobu keeps for runtime failures. */
    private static void setUsageExitCode(CommandLine cl) {
        cl.getCommandSpec().exitCodeOnInvalidInput(1);
        for (CommandLine sub : cl.getSubcommands().values()) {
            setUsageExitCode(sub);
        }
    }

    /** Runs the command line and returns its exit code (does not exit). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        setUsageExitCode(cl);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("hakobu: error: " + ex.getMessage());
            return 2;
        });
        return cl.execute(args);
    }
}
