package dev.reformer.eval;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The numbers of an evaluation: edit distances and error rates over a whole set, and confusion matrices. */
public final class Scores {
    private Scores() {}

    /** Levenshtein distance between two sequences: substitutions, insertions and deletions, each costing 1. */
    public static int editDistance(List<?> reference, List<?> hypothesis) {
        int[] previous = new int[hypothesis.size() + 1], current = new int[hypothesis.size() + 1];
        for (int j = 0; j <= hypothesis.size(); j++) previous[j] = j;
        for (int i = 1; i <= reference.size(); i++) {
            current[0] = i;
            for (int j = 1; j <= hypothesis.size(); j++) {
                int substitute = previous[j - 1] + (reference.get(i - 1).equals(hypothesis.get(j - 1)) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[hypothesis.size()];
    }

    /** Words of a transcript: lower case, split on white space. */
    public static List<String> words(String text) {
        String t = text.strip().toLowerCase(java.util.Locale.ROOT);
        return t.isEmpty() ? List.of() : Arrays.asList(t.split("\\s+"));
    }

    /** Characters of a transcript (code points, spaces between words included, runs of white space as one). */
    public static List<Integer> characters(String text) {
        String t = String.join(" ", words(text));
        return t.codePoints().boxed().toList();
    }

    /**
     * Errors over a whole set: the sum of edit distances over the sum of reference lengths (not a mean of per-example
     * rates). With no reference units at all the rate is 0 when nothing was produced, else infinite.
     */
    public record ErrorRate(long errors, long referenceUnits) {
        public double rate() {
            return referenceUnits == 0 ? (errors == 0 ? 0 : Double.POSITIVE_INFINITY) : (double) errors / referenceUnits;
        }
    }

    /** Word error rate of hypotheses against references, pair by pair. */
    public static ErrorRate wordErrorRate(List<String> references, List<String> hypotheses) {
        return errorRate(references, hypotheses, true);
    }

    /** Character error rate of hypotheses against references, pair by pair. */
    public static ErrorRate characterErrorRate(List<String> references, List<String> hypotheses) {
        return errorRate(references, hypotheses, false);
    }

    private static ErrorRate errorRate(List<String> references, List<String> hypotheses, boolean byWord) {
        if (references.size() != hypotheses.size()) throw new IllegalArgumentException(references.size() + " references, " + hypotheses.size() + " hypotheses");
        long errors = 0, units = 0;
        for (int i = 0; i < references.size(); i++) {
            List<?> r = byWord ? words(references.get(i)) : characters(references.get(i));
            List<?> h = byWord ? words(hypotheses.get(i)) : characters(hypotheses.get(i));
            errors += editDistance(r, h);
            units += r.size();
        }
        return new ErrorRate(errors, units);
    }

    /** What stands for a missing word in a word alignment: a deleted reference word, or an inserted heard one. */
    public static final String NONE = "-";

    /**
     * Pairs (reference word, heard word) of one minimum-edit alignment, {@link #NONE} for a deletion or an insertion.
     * Ties prefer a match or substitution, then a deletion: the same inputs always align the same way.
     */
    public static List<String[]> alignWords(List<String> reference, List<String> hypothesis) {
        int n = reference.size(), m = hypothesis.size();
        int[][] d = new int[n + 1][m + 1];
        for (int i = 0; i <= n; i++) d[i][0] = i;
        for (int j = 0; j <= m; j++) d[0][j] = j;
        for (int i = 1; i <= n; i++) {
            for (int j = 1; j <= m; j++) {
                int substitute = d[i - 1][j - 1] + (reference.get(i - 1).equals(hypothesis.get(j - 1)) ? 0 : 1);
                d[i][j] = Math.min(substitute, Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1));
            }
        }
        java.util.LinkedList<String[]> pairs = new java.util.LinkedList<>();
        int i = n, j = m;
        while (i > 0 || j > 0) {
            if (i > 0 && j > 0 && d[i][j] == d[i - 1][j - 1] + (reference.get(i - 1).equals(hypothesis.get(j - 1)) ? 0 : 1)) {
                pairs.addFirst(new String[]{reference.get(--i), hypothesis.get(--j)});
            } else if (i > 0 && d[i][j] == d[i - 1][j] + 1) {
                pairs.addFirst(new String[]{reference.get(--i), NONE});
            } else {
                pairs.addFirst(new String[]{NONE, hypothesis.get(--j)});
            }
        }
        return pairs;
    }

    /**
     * A transcriber's confusion matrix over words: every aligned pair of every transcript, rows the words said (and
     * {@link #NONE} for insertions), columns the words heard (and {@link #NONE} for deletions).
     */
    public static Confusion wordConfusion(List<String> references, List<String> hypotheses) {
        java.util.TreeSet<String> vocabulary = new java.util.TreeSet<>();
        for (String t : references) vocabulary.addAll(words(t));
        for (String t : hypotheses) vocabulary.addAll(words(t));
        List<String> labels = new java.util.ArrayList<>(vocabulary);
        labels.add(NONE);
        Confusion confusion = new Confusion(labels);
        for (int k = 0; k < references.size(); k++) {
            for (String[] pair : alignWords(words(references.get(k)), words(hypotheses.get(k)))) confusion.add(pair[0], pair[1]);
        }
        return confusion;
    }

    /** Share of hypotheses equal to their reference after normalising white space and case. */
    /** The value below which a share q of sorted values lie (the nearest rank at or above q); NaN without values. */
    public static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
    }

    public static double exactMatch(List<String> references, List<String> hypotheses) {
        int same = 0;
        for (int i = 0; i < references.size(); i++) if (words(references.get(i)).equals(words(hypotheses.get(i)))) same++;
        return references.isEmpty() ? 0 : (double) same / references.size();
    }

    /** Counts of (true label, predicted label): rows are true labels, columns predictions, both in the order of {@code labels}. */
    public static final class Confusion {
        private final List<String> labels;
        private final long[][] counts;
        private long total, correct;

        public Confusion(List<String> labels) {
            this.labels = List.copyOf(labels);
            this.counts = new long[labels.size()][labels.size()];
        }

        public void add(String truth, String predicted) {
            int t = labels.indexOf(truth), p = labels.indexOf(predicted);
            if (t < 0 || p < 0) throw new IllegalArgumentException("label \"" + (t < 0 ? truth : predicted) + "\" is not among " + labels);
            total++;
            if (t == p) correct++;
            counts[t][p]++;
        }

        public List<String> labels() { return labels; }

        /** counts[true][predicted], a copy. */
        public long[][] counts() {
            long[][] copy = new long[counts.length][];
            for (int i = 0; i < counts.length; i++) copy[i] = counts[i].clone();
            return copy;
        }

        public long total() { return total; }

        public double accuracy() { return total == 0 ? 0 : (double) correct / total; }

        /** Per true label: the share of its examples predicted right (recall); labels never seen are left out. */
        public Map<String, Double> perLabelAccuracy() {
            Map<String, Double> out = new LinkedHashMap<>();
            for (int t = 0; t < labels.size(); t++) {
                long n = Arrays.stream(counts[t]).sum();
                if (n > 0) out.put(labels.get(t), (double) counts[t][t] / n);
            }
            return out;
        }
    }
}
