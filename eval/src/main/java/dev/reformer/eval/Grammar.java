package dev.reformer.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a recogniser may hear: a closed list of words, either one word per utterance (commands) or a sequence of one
 * or more of them (digit strings). Each recogniser gets it in its own format: {@link #voskJson()}, {@link #jsgf()}
 * and, for pocketsphinx, a {@link #dictionary} cut down to these words.
 *
 * @param name     the grammar's name (a JSGF grammar name: letters, digits, underscores)
 * @param words    lower-case words, no duplicates
 * @param sequence true: one or more words; false: exactly one
 */
public record Grammar(String name, List<String> words, boolean sequence) {
    /** The digit words of the digits set: zero to nine, and "oh" for zero. */
    public static final List<String> DIGIT_WORDS = List.of("zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine");

    public Grammar {
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) throw new IllegalArgumentException("grammar name \"" + name + "\" must be an identifier");
        Set<String> distinct = new LinkedHashSet<>();
        for (String w : words) {
            String word = w.strip().toLowerCase(java.util.Locale.ROOT);
            if (!word.matches("[a-z']+")) throw new IllegalArgumentException("grammar word \"" + w + "\" is not one lower-case word");
            distinct.add(word);
        }
        if (distinct.isEmpty()) throw new IllegalArgumentException("a grammar needs at least one word");
        words = List.copyOf(distinct);
    }

    /** Vosk's phrase list: every word a phrase, plus "[unk]", the path for anything else. */
    public String voskJson() {
        List<String> phrases = new ArrayList<>(words);
        phrases.add("[unk]");
        try {
            return new ObjectMapper().writeValueAsString(phrases);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A JSGF grammar: {@code public <name> = ( w1 | w2 | ... )} with {@code +} for a sequence. */
    public String jsgf() {
        return "#JSGF V1.0;\n\ngrammar " + name + ";\n\npublic <" + name + "> = ( " + String.join(" | ", words) + " )"
                + (sequence ? "+" : "") + " ;\n";
    }

    /** Writes {@code dir/NAME.gram}, the file name Sphinx4 looks for; returns it. */
    public Path writeJsgf(Path dir) throws IOException {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve(name + ".gram"), jsgf(), StandardCharsets.UTF_8);
    }

    /**
     * The lines of a CMU pronouncing dictionary ({@code word PHONES}, alternates as {@code word(2) PHONES}) that hold
     * the grammar's words, or an error naming the words it lacks.
     */
    public List<String> dictionary(Path cmuDictionary) throws IOException {
        List<String> out = new ArrayList<>();
        Set<String> found = new LinkedHashSet<>();
        for (String line : Files.readAllLines(cmuDictionary, StandardCharsets.UTF_8)) {
            int space = line.indexOf(' ');
            if (space <= 0) continue;
            String head = line.substring(0, space), word = head.replaceFirst("\\(\\d+\\)$", "");
            if (words.contains(word)) {
                out.add(line);
                found.add(word);
            }
        }
        if (found.size() < words.size()) {
            List<String> missing = new ArrayList<>(words);
            missing.removeAll(found);
            throw new IOException(cmuDictionary + " has no pronunciation of " + missing);
        }
        return out;
    }
}
