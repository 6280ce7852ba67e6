package dev.reformer.eval;

import java.util.List;
import java.util.Set;

/**
 * A recogniser's text as a label of the spoken-commands set: exactly one word, a command, gives that command; no
 * word at all gives {@code silence}; anything else (an unknown word, Vosk's "[unk]", two or more words even if one is
 * a command) gives {@code unknown}.
 */
public final class CommandLabels {
    public static final String UNKNOWN = "unknown", SILENCE = "silence";

    private CommandLabels() {}

    public static String labelOf(String recognised, Set<String> commands) {
        List<String> words = Scores.words(recognised);
        if (words.isEmpty()) return SILENCE;
        if (words.size() == 1 && commands.contains(words.get(0))) return words.get(0);
        return UNKNOWN;
    }
}
