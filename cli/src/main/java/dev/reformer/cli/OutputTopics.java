package dev.reformer.cli;

import picocli.CommandLine.Option;

/** The job's output topics (a picocli mixin of run and consume). */
final class OutputTopics {
    @Option(names = "--results-topic", defaultValue = "results", description = "Results topic (default: ${DEFAULT-VALUE}).")
    String resultsTopic;

    @Option(names = "--dead-letter-topic", defaultValue = "dead-letters", description = "Dead-letter topic (default: ${DEFAULT-VALUE}).")
    String deadLetterTopic;
}
