package dev.reformer.pipeline.options;

import picocli.CommandLine.Option;

/** The job's input topics (a picocli mixin of run and produce). */
public final class InputTopics {
    @Option(names = "--audio-topic", defaultValue = "audio-in", description = "Audio input topic (default: ${DEFAULT-VALUE}).")
    public String audioTopic;

    @Option(names = "--text-topic", defaultValue = "text-in", description = "Text input topic (default: ${DEFAULT-VALUE}).")
    public String textTopic;
}
