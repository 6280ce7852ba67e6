package dev.reformer.eval;

import dev.reformer.task.AudioInput;

import dev.reformer.task.Manifest;
import dev.reformer.task.Progress;
import dev.reformer.eval.Sphinx4Recogniser;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The baselines of {@code eval --baselines}, on the same rows as our model. Audio: Vosk with a grammar and free,
 * Sphinx4 and pocketsphinx with a JSGF grammar; text: fastText trained and tuned at eval time. A baseline whose tool
 * is missing or that fails comes back as {@link Outcome#unavailable} and the others still run.
 */
public final class Baselines {
    private Baselines() {}

    /**
     * Speech baselines. Commands ({@code labels} non-null): the grammar holds the commands (the labels other than
     * unknown and silence) and, as a garbage path, the unknown words that the manifests' texts name; the recognised
     * text becomes a label through {@link CommandLabels}. Digits: one or more digit words; WER against the texts.
     */
    public static List<Outcome> audio(List<Manifest.Row> rows, double audioSeconds, List<String> labels, List<Manifest.Row> trainRows,
                               Path work, Path cache, int batchSize) throws IOException {
        Grammar grammar;
        Set<String> commands = new LinkedHashSet<>();
        if (labels != null) {
            labels.stream().filter(l -> !l.equals(CommandLabels.UNKNOWN) && !l.equals(CommandLabels.SILENCE)).forEach(commands::add);
            Set<String> words = new LinkedHashSet<>(commands);
            for (List<Manifest.Row> set : List.of(trainRows, rows)) {
                for (Manifest.Row r : set) if (CommandLabels.UNKNOWN.equals(r.label()) && r.text() != null) words.addAll(dev.reformer.eval.Scores.words(r.text()));
            }
            try {
                grammar = new Grammar("commands", List.copyOf(words), false);
            } catch (IllegalArgumentException e) {
                String why = "not available: the labels are not words a recogniser can listen for (" + e.getMessage() + ")";
                return List.of("Vosk (grammar)", "Vosk (free)", "Sphinx4 (grammar)", "pocketsphinx (grammar)").stream()
                        .map(name -> Outcome.unavailable(name, why)).toList();
            }
        } else {
            grammar = new Grammar("digits", Grammar.DIGIT_WORDS, true);
        }
        System.err.printf("baselines: grammar of %d words: %s%n", grammar.words().size(), String.join(" ", grammar.words()));
        List<float[]> clips = new ArrayList<>();
        for (Manifest.Row r : rows) clips.add(AudioInput.mono16k(r));
        List<String> truth = rows.stream().map(r -> labels != null ? r.label() : r.text()).toList();

        List<Outcome> out = new ArrayList<>();
        List<Recogniser> recognisers = recognisers(grammar, work, cache, out);
        for (Recogniser recogniser : recognisers) {
            try (recogniser) {
                List<String> transcripts = new ArrayList<>();
                recogniser.transcribe(clips.subList(0, Math.min(batchSize, clips.size())));   // warm-up, untimed
                Progress progress = new Progress(recogniser.name(), clips.size());
                long started = System.nanoTime();
                for (int from = 0; from < clips.size(); from += batchSize) {
                    List<float[]> batch = clips.subList(from, Math.min(clips.size(), from + batchSize));
                    transcripts.addAll(recogniser.transcribe(batch));
                    batch.forEach(c -> progress.step());
                }
                double seconds = (System.nanoTime() - started) / 1e9;
                List<String> outputs = labels == null ? transcripts : transcripts.stream().map(t -> CommandLabels.labelOf(t, commands)).toList();
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("grammar", recogniser.name().equals("Vosk (free)") ? "none" : grammar.words());
                details.put("transcripts", transcripts);
                out.add(Outcome.scored(recogniser.name(), truth, outputs, labels, audioSeconds / seconds, details));
            } catch (IOException | RuntimeException e) {
                out.add(Outcome.unavailable(recogniser.name(), "failed: " + e.getMessage()));
            }
        }
        return out;
    }

    /** The speech recognisers that can run here; each one that cannot is an unavailable outcome in {@code out}, with why. */
    private static List<Recogniser> recognisers(Grammar grammar, Path work, Path cache, List<Outcome> out) throws IOException {
        List<Recogniser> recognisers = new ArrayList<>();
        try {
            recognisers.addAll(VoskRecogniser.freeAndGrammar(VoskRecogniser.modelDir(cache), grammar));
        } catch (IOException | LinkageError e) {
            String why = "not available: " + e.getMessage() + " (needs com.alphacephei:vosk and the vosk-model-en aar, see pipeline/README.md)";
            out.add(Outcome.unavailable("Vosk (grammar)", why));
            out.add(Outcome.unavailable("Vosk (free)", why));
        }
        try {
            recognisers.add(new Sphinx4Recogniser(grammar, Files.createDirectories(work.resolve("sphinx4"))));
        } catch (IOException | RuntimeException | LinkageError e) {
            out.add(Outcome.unavailable("Sphinx4 (grammar)", "not available: " + e));
        }
        String missing = PocketSphinxRecogniser.missing();
        if (missing != null) out.add(Outcome.unavailable("pocketsphinx (grammar)", "not available: " + missing));
        else recognisers.add(new PocketSphinxRecogniser(grammar, Files.createDirectories(work.resolve("pocketsphinx"))));

        return recognisers;
    }

    /** fastText trained on the training manifest, tuned on the validation manifest, scored on the rows. */
    public static Outcome text(List<Manifest.Row> rows, List<String> labels, Path trainManifest, Path validationManifest, Path work) {
        if (!FastText.FASTTEXT.installed()) return Outcome.unavailable("fastText", "not available: apt-get install fasttext");
        try {
            List<Manifest.Row> train = Manifest.read(trainManifest), validation = Manifest.read(validationManifest);
            FastText.Result r = FastText.run(train, validation, rows, work.resolve("fasttext"));
            Set<String> all = new LinkedHashSet<>(labels);
            train.forEach(row -> all.add(row.label()));
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("setting", r.chosen().toString());
            details.put("validation_accuracy", r.validationAccuracy());
            details.put("train_manifest", trainManifest.toString());
            details.put("validation_manifest", validationManifest.toString());
            return Outcome.scored("fastText", rows.stream().map(Manifest.Row::label).toList(), r.predictions(), List.copyOf(all),
                    r.predictionsPerSecond(), details);
        } catch (IOException | RuntimeException e) {
            return Outcome.unavailable("fastText", "failed: " + e.getMessage());
        }
    }
}
