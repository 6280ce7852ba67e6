package dev.reformer.protocol;

/** The default topic names (each is an option of {@code ./reformer run}). */
public final class Topics {
    public static final String AUDIO_IN = "audio-in", TEXT_IN = "text-in", RESULTS = "results", DEAD_LETTERS = "dead-letters",
            MODELS_CONTROL = "models-control";

    private Topics() {}
}
