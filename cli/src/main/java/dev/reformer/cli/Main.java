package dev.reformer.cli;

import dev.reformer.pipeline.options.JobOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code reformer} command: one subcommand per task. */
@Command(name = "reformer", mixinStandardHelpOptions = true, version = "reformer 0.1.0",
        description = "Reformer models (LSH attention, reversible layers) on ND4J, for Kafka streams in Flink.",
        subcommands = {DemoCommand.class, ProduceCommand.class, ConsumeCommand.class, RunCommand.class, StopCommand.class, TrainCommand.class, EvalCommand.class, DatagenCommand.class, FeaturesCommand.class, VerifyHfCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (tests call this). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        if (args.length > 0 && args[0].equals("run")) JobOptions.readConfigFile(cli.getSubcommands().get("run"), args);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // a user error (bad file, bad config) gets one clear line, not a stack trace
            commandLine.getErr().println("error: " + e.getMessage());
            return 2;
        });
        return cli.execute(args);
    }
}
