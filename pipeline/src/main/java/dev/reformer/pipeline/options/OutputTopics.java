package dev.reformer.pipeline.options;

import picocli.CommandLine.Option;

/** The job's output topics (a picocli mixin of run and consume). */
public final class OutputTopics {
    @Option(names = "--results-topic", defaultValue = "results", description = "Results topic (default: ${DEFAULT-VALUE}).")
    public String resultsTopic;

    @Option(names = "--dead-letter-topic", defaultValue = "dead-letters", description = "Dead-letter topic (default: ${DEFAULT-VALUE}).")
    public String deadLetterTopic;
}
