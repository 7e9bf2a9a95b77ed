package io.hakobu.daemon.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "version", mixinStandardHelpOptions = true, description = "Print version, Java runtime and build info.")
final class VersionCommand implements Callable<Integer> {

    static String[] lines() {
        Properties p = new Properties();
        try (InputStream in = VersionCommand.class.getResourceAsStream("/hakobu-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException ignored) {
            // fall through with unknowns
        }
        return new String[] {
            "hakobu " + p.getProperty("version", "unknown"),
            "built " + p.getProperty("build_time", "unknown"),
            "java " + System.getProperty("java.runtime.version") + " (" + System.getProperty("java.vm.name") + ", "
                    + System.getProperty("java.vendor") + ")",
            "os " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch")
        };
    }

    @Override
    public Integer call() {
        for (String l : lines()) {
            System.out.println(l);
        }
        return 0;
    }

    static final class Provider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return lines();
        }
    }
}
