package io.bursar.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code bursar} command line: {@code demo} on an embedded broker and registry, {@code run} against a cluster, {@code bench}. */
@Command(name = "bursar", mixinStandardHelpOptions = true, version = "bursar 0.1.0",
        description = "Exactly-once payments, partner balances and holds on Kafka Streams.",
        subcommands = {DemoCommand.class, RunCommand.class, BrokerCommand.class, BenchCommand.class, VerifyCommand.class, ChaosCommand.class})
public final class Bursar implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(final String[] args) {
        System.exit(new CommandLine(new Bursar()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
