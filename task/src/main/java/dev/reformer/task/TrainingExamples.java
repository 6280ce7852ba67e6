package dev.reformer.task;

import dev.reformer.model.heads.Ctc;
import dev.reformer.model.train.Example;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Manifest rows as training examples of a task model: byte ids or stacked frames, with a label or a CTC target. */
public final class TrainingExamples {
    private TrainingExamples() {}

    /** The blank, then every distinct character (or word) of the training transcripts, sorted. */
    public static List<String> symbols(List<Manifest.Row> rows, TaskModel.SymbolUnit unit) {
        TreeSet<String> units = new TreeSet<>();
        rows.forEach(r -> units.addAll(TaskModel.units(r.text(), unit)));
        List<String> symbols = new ArrayList<>();
        symbols.add("");
        symbols.addAll(units);
        return symbols;
    }

    /** One example per row; frames holds every audio row's front-end frames. Rows cut to the model's length are counted on stderr. */
    public static List<Example> of(List<Manifest.Row> rows, Map<Manifest.Row, float[][]> frames, TaskModel model, Path manifest) {
        List<Example> out = new ArrayList<>();
        int cut = 0;
        for (Manifest.Row row : rows) {
            if (!model.input().audio()) {
                out.add(Example.tokens(model.encodeText(row.text()), labelOf(row, model)));
                continue;
            }
            float[][] all = frames.get(row);
            float[][] positions = AudioInput.positions(row, all, model);
            if (positions.length * model.input().stack() < all.length - model.input().stack() + 1) cut++;
            out.add(model.task() == TaskModel.Task.CLASSIFICATION ? Example.features(positions, labelOf(row, model))
                    : Example.transcript(positions, target(row, model, positions.length)));
        }
        if (cut > 0) System.err.printf("note: %d example(s) of %s are longer than --max-length %d positions; their ends are cut%n",
                cut, manifest, model.input().maxLength());
        return out;
    }

    /** A transcript's symbols, checked to fit the positions CTC needs. */
    private static int[] target(Manifest.Row row, TaskModel model, int positions) {
        int[] target;
        try {
            target = model.symbolsOf(row.text());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(row.where() + e.getMessage() + " (the training texts define them)");
        }
        int needed = Ctc.framesNeeded(target);
        if (needed > positions) throw new IllegalArgumentException(row.where() + "the text needs at least " + needed
                + " positions, the audio gives " + positions + "; lower --frame-stack or raise --max-length");
        if (target.length == 0) throw new IllegalArgumentException(row.where() + "the text is empty; a transcript needs at least one character");
        return target;
    }

    private static int labelOf(Manifest.Row row, TaskModel model) {
        int label = model.labels().indexOf(row.label());
        if (label < 0) throw new IllegalArgumentException(row.where() + "has label \"" + row.label()
                + "\", which the training manifest never uses");
        return label;
    }
}
