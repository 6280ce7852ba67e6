package dev.reformer.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every system's score per group of rows (per source corpus, per speaker): where a model's errors are, next to the
 * baselines' on the same rows. Accuracy when the outcomes are labels, word error rate when they are transcripts.
 */
public final class Breakdown {
    /** Speakers with fewer rows than this are left out of the markdown table (they stay in eval.json). */
    public static final int MIN_ROWS_SHOWN = 5;

    private record Group(String name, List<Integer> rows) {}

    private final String by;
    private final List<Group> groups;
    private final List<Outcome> outcomes;
    private final List<String> truth;
    private final int minRowsShown;

    private Breakdown(String by, List<Group> groups, List<Outcome> outcomes, List<String> truth, int minRowsShown) {
        this.by = by;
        this.groups = groups;
        this.outcomes = outcomes;
        this.truth = truth;
        this.minRowsShown = minRowsShown;
    }

    /** Rows grouped by key (one per row, e.g. each row's speaker), in key order. */
    public static Breakdown of(String by, List<String> keys, List<String> truth, List<Outcome> outcomes, int minRowsShown) {
        Map<String, List<Integer>> byKey = new TreeMap<>();
        for (int i = 0; i < keys.size(); i++) byKey.computeIfAbsent(keys.get(i), k -> new ArrayList<>()).add(i);
        List<Group> groups = byKey.entrySet().stream().map(e -> new Group(e.getKey(), e.getValue())).toList();
        return new Breakdown(by, groups, outcomes, truth, minRowsShown);
    }

    public int groups() {
        return groups.size();
    }

    /** The score of one system on one group: accuracy, or word error rate for transcripts. */
    private double score(Outcome o, Group g) {
        List<String> t = new ArrayList<>(), out = new ArrayList<>();
        for (int i : g.rows()) {
            t.add(truth.get(i));
            out.add(o.outputs().get(i));
        }
        if (!transcripts()) {
            long right = 0;
            for (int i = 0; i < t.size(); i++) if (t.get(i).equals(out.get(i))) right++;
            return (double) right / t.size();
        }
        return Scores.wordErrorRate(t, out).rate();
    }

    private boolean transcripts() {
        return !outcomes.get(0).metrics().containsKey("accuracy");
    }

    private List<Outcome> ran() {
        return outcomes.stream().filter(o -> o.unavailable() == null).toList();
    }

    /** {group: {"rows": n, system: score, ...}} for eval.json. */
    public Map<String, Map<String, Object>> asJson() {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (Group g : groups) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("rows", g.rows().size());
            for (Outcome o : ran()) row.put(o.system(), score(o, g));
            out.put(g.name(), row);
        }
        return out;
    }

    /** A markdown table, one line per group with enough rows, one column per system. */
    public String markdown() {
        List<Group> shown = groups.stream().filter(g -> g.rows().size() >= minRowsShown).toList();
        if (shown.isEmpty()) return "";
        String metric = transcripts() ? "WER" : "accuracy";
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "%s by %s:%n%n| %s | rows |", metric, by, by));
        for (Outcome o : ran()) md.append(' ').append(o.system()).append(" |");
        md.append("\n| --- | ---: |").append(" ---: |".repeat(ran().size())).append('\n');
        for (Group g : shown) {
            md.append("| ").append(g.name()).append(" | ").append(g.rows().size()).append(" |");
            for (Outcome o : ran()) md.append(String.format(Locale.ROOT, " %.1f %% |", 100 * score(o, g)));
            md.append('\n');
        }
        int hidden = groups.size() - shown.size();
        if (hidden > 0) md.append(String.format(Locale.ROOT, "%n%d %s(s) with fewer than %d rows are not shown (eval.json has them).%n",
                hidden, by, minRowsShown));
        return md.append('\n').toString();
    }
}
