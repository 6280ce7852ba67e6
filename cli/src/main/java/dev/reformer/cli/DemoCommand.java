package dev.reformer.cli;

import dev.reformer.client.Demo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The whole product on this machine, nothing to install: a Kafka broker (KRaft, one node) and a Flink",
                "MiniCluster with its web UI, both on 127.0.0.1; two jobs with the shipped models (spoken commands and spam;",
                "digit strings and language); the bundled samples (samples/: audio streams mixing commands, digit strings and",
                "noise, emails and messages in several languages) replayed through Kafka at real-time pace; a live view per",
                "stream; at the end a summary of what was heard against what was said. Ctrl-C stops everything and leaves",
                "no process or port behind."},
        footer = {"", "Examples:",
                "  ./reformer demo                          # every sample once, then the summary (about a minute)",
                "  ./reformer demo --duration 300 --speed 2 # loop the samples for 5 minutes at twice real time",
                "  ./reformer demo --duration 60 --no-ui --summary /tmp/demo.json   # one line per result (logs, CI)"})
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "0",
            description = "Replay the samples in a loop for this long; 0: play each once and stop when all are answered (default: ${DEFAULT-VALUE}).")
    int durationSeconds;

    @Option(names = "--speed", defaultValue = "1", description = "Replay pace, 1 = real time, 2 = twice as fast (default: ${DEFAULT-VALUE}).")
    double speed;

    @Option(names = "--no-ui", description = "No live view: one line per result, for logs and CI.")
    boolean noUi;

    @Option(names = "--samples", paramLabel = "DIR", defaultValue = "samples", description = "The samples to replay (default: ${DEFAULT-VALUE}).")
    Path samplesDir;

    @Option(names = "--models", paramLabel = "DIR", defaultValue = "models",
            description = "Where the models commands, digits, spam and langid are (default: ${DEFAULT-VALUE}).")
    Path modelsDir;

    @Option(names = "--web-ui-port", defaultValue = "8081",
            description = "Port of Flink's web UI on 127.0.0.1; a free one is taken when it is in use, or when 0 (default: ${DEFAULT-VALUE}).")
    int webUiPort;

    @Option(names = "--summary", paramLabel = "FILE", description = "Also write the summary as JSON.")
    Path summaryFile;

    @Override
    public Integer call() throws Exception {
        return Demo.run(new Demo.Options(durationSeconds, speed, noUi, samplesDir, modelsDir, webUiPort, summaryFile));
    }
}
