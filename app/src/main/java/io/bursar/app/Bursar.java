package io.bursar.app;

import java.nio.file.NoSuchFileException;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code bursar} command line: {@code demo} on an embedded broker and registry, {@code run} against a cluster, {@code bench}. */
@Command(name = "bursar", mixinStandardHelpOptions = true, version = "bursar 0.1.0",
        description = "Exactly-once payments, partner balances and holds on Kafka Streams.",
        subcommands = {DemoCommand.class, RunCommand.class, BrokerCommand.class, BenchCommand.class, VerifyCommand.class, ChaosCommand.class,
                DlqCommand.class, ResetCommand.class, SimulatorCommand.class})
public final class Bursar implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** Exit code of a command stopped by bad configuration, a missing file, or a cluster that does not answer. */
    static final int CONFIGURATION_ERROR = 2;

    public static void main(final String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The command line, whose commands answer bad configuration (a key's value out of range, a missing file, a
     * cluster or registry that does not answer at start) with one line naming what to fix and exit code
     * {@value #CONFIGURATION_ERROR}; anything else is a bug, shown with its stack trace.
     */
    static CommandLine commandLine() {
        return new CommandLine(new Bursar()).setExecutionExceptionHandler((error, command, parsed) -> {
            final String name = "bursar " + command.getCommandName();
            if (error instanceof ConfigException) {
                command.getErr().println(name + ": bad configuration: " + error.getMessage());
            } else if (error instanceof NoSuchFileException missing) {
                command.getErr().println(name + ": no such file: " + missing.getFile());
            } else if (error instanceof StartupException startup) {
                command.getErr().println(name + ": " + startup.getMessage());
            } else {
                throw error;
            }
            return CONFIGURATION_ERROR;
        });
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
