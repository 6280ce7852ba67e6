package dev.reformer.cli;

import dev.reformer.pipeline.options.OutputTopics;
import dev.reformer.pipeline.options.KafkaOptions;
import dev.reformer.client.ResultsPrinter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "consume", mixinStandardHelpOptions = true,
        description = {"Prints the job's results and dead letters as they are committed (read_committed: a result appears",
                "when the job's checkpoint that wrote it completes), one line each, or the JSON itself with --json. Runs",
                "until Ctrl-C, --max results or --idle-seconds without any."},
        footer = {"", "Examples:",
                "  ./reformer consume --bootstrap-servers 127.0.0.1:9092",
                "  ./reformer consume --from-beginning --json --max 100 > results.jsonl",
                "  ./reformer consume --stream mic-1 --idle-seconds 30"})
final class ConsumeCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Mixin
    OutputTopics topics;

    @Option(names = "--from-beginning", description = "Read what the topics already hold (default: only what comes from now on).")
    boolean fromBeginning;

    @Option(names = "--json", description = "Print each result's JSON as it is (one object per line) instead of a summary line.")
    boolean json;

    @Option(names = "--stream", paramLabel = "ID", description = "Only this stream's results and dead letters.")
    String stream;

    @Option(names = "--max", paramLabel = "N", defaultValue = "0", description = "Stop after N results and dead letters (default: 0, no limit).")
    long max;

    @Option(names = "--idle-seconds", paramLabel = "S", defaultValue = "0",
            description = "Stop when nothing came for S seconds (default: 0, wait for ever).")
    double idleSeconds;

    @Override
    public Integer call() {
        return ResultsPrinter.run(kafka.properties(), new ResultsPrinter.Options(topics.resultsTopic, topics.deadLetterTopic, fromBeginning,
                json, stream, max, idleSeconds));
    }
}
