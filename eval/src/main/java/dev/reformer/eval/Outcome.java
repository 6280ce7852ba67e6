package dev.reformer.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one system did on the evaluated rows: its output per row (a label or a transcript), its scores, and its
 * speed; or why it could not run.
 *
 * @param system      the name the tables show
 * @param unavailable null when it ran; else "not available: what to install" or "failed: why"
 * @param outputs     per row, in manifest order
 * @param metrics     name to value, in the order the tables show them
 * @param speed       real-time factor (audio) or examples per second (text), of the timed pass
 * @param confusion   labels (classification) or aligned words (transcription, {@link Scores#wordConfusion})
 * @param details     anything else worth keeping in eval.json (settings chosen, how it was timed)
 */
public record Outcome(String system, String unavailable, List<String> outputs, Map<String, Double> metrics, double speed,
                      Scores.Confusion confusion, Map<String, Object> details) {

    public static Outcome unavailable(String system, String why) {
        return new Outcome(system, why, List.of(), Map.of(), Double.NaN, null, Map.of());
    }

    /**
     * Scores outputs against the rows' truth: for labels, accuracy and per-label accuracy over {@code labels};
     * for transcripts, word and character error rates over the whole set and exact-string accuracy.
     */
    public static Outcome scored(String system, List<String> truth, List<String> outputs, List<String> labels, double speed,
                                 Map<String, Object> details) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        Scores.Confusion confusion = null;
        if (labels != null) {
            confusion = new Scores.Confusion(labels);
            for (int i = 0; i < truth.size(); i++) confusion.add(truth.get(i), outputs.get(i));
            metrics.put("accuracy", confusion.accuracy());
        } else {
            Scores.ErrorRate wer = Scores.wordErrorRate(truth, outputs), cer = Scores.characterErrorRate(truth, outputs);
            metrics.put("wer", wer.rate());
            metrics.put("cer", cer.rate());
            metrics.put("exact_accuracy", Scores.exactMatch(truth, outputs));
            metrics.put("word_errors", (double) wer.errors());
            metrics.put("reference_words", (double) wer.referenceUnits());
            confusion = Scores.wordConfusion(truth, outputs);
        }
        return new Outcome(system, null, outputs, metrics, speed, confusion, details);
    }
}
