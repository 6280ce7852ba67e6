package dev.reformer.pipeline.options;

import picocli.CommandLine.Option;

/** The job's output topics (a picocli mixin of run and consume). */
public final class OutputTopics {
    @Option(names = "--results-topic", defaultValue = "results", description = "Results topic (default: ${DEFAULT-VALUE}).")
    public String resultsTopic;

    @Option(names = "--partials-topic", paramLabel = "TOPIC", description = "Also write partial transcripts here, at once and at least once"
            + " (after a failure some may come twice), for readers that want words while a stream goes on; the results topic has them"
            + " too, exactly once, readable when each checkpoint commits (default: none).")
    public String partialsTopic;

    /** The partials topic, or null for none. */
    public String partialsTopic() {
        return partialsTopic == null || partialsTopic.isBlank() ? null : partialsTopic;
    }

    @Option(names = "--dead-letter-topic", defaultValue = "dead-letters", description = "Dead-letter topic (default: ${DEFAULT-VALUE}).")
    public String deadLetterTopic;
}
