package dev.reformer.cli;

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
        configFile(args).ifPresent(file -> cli.getSubcommands().get("run").setDefaultValueProvider(
                new CommandLine.PropertiesDefaultProvider(file.toFile())));
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // a user error (bad file, bad config) gets one clear line, not a stack trace
            commandLine.getErr().println("error: " + e.getMessage());
            return 2;
        });
        return cli.execute(args);
    }

    /** run --config FILE: its properties are the defaults of run's options, so the command line still wins. */
    private static java.util.Optional<java.nio.file.Path> configFile(String[] args) {
        if (args.length == 0 || !args[0].equals("run")) return java.util.Optional.empty();
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) return java.util.Optional.of(java.nio.file.Path.of(args[i + 1]));
            if (args[i].startsWith("--config=")) return java.util.Optional.of(java.nio.file.Path.of(args[i].substring(9)));
        }
        return java.util.Optional.empty();
    }
}
