package dev.reformer.eval;

import dev.reformer.audio.AudioException;
import dev.reformer.audio.AudioFiles;
import dev.reformer.task.Manifest;
import dev.reformer.task.TaskModel;
import org.nd4j.linalg.api.buffer.DataType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code ./reformer eval}: scores a trained model on a manifest of the kind it was trained for and, with
 * {@link Options#baselines}, the recognisers and classifiers that are not ours on the same rows; writes the report.
 */
public final class Evaluation {
    private Evaluation() {}

    /**
     * What to score; the fields are the eval command's options (its help says what each means).
     *
     * @param commandLine the command as given, recorded in eval.json
     */
    public record Options(Path modelDir, Path manifest, boolean baselines, Path trainManifest, Path validationManifest, Path out, Path results,
                          boolean card, int batchSize, Path cache, List<String> commandLine) {}

    /** Scores the model (and the baselines), writes eval.json, results.md, confusion.png and prints the table. */
    public static void run(Options o) throws IOException {
        Path modelDir = o.modelDir(), manifest = o.manifest(), results = o.results();
        int batchSize = o.batchSize();
        if (batchSize < 1) throw new IllegalArgumentException("--batch-size " + batchSize + " must be at least 1");
        if (!Files.isDirectory(modelDir)) throw new IllegalArgumentException("--model " + modelDir + " is not a directory; give one that ./reformer train wrote");
        TaskModel model = TaskModel.load(modelDir, DataType.FLOAT);
        List<Manifest.Row> rows = Manifest.read(manifest);
        Manifest.Kind kind = kindFor(model);
        checkFits(model, kind, rows);
        Path folder = manifest.toAbsolutePath().getParent();
        Path train = o.trainManifest() != null ? o.trainManifest() : folder.resolve("train.jsonl");
        Path validation = o.validationManifest() != null ? o.validationManifest() : folder.resolve("val.jsonl");
        Path outDir = Files.createDirectories(o.out() != null ? o.out() : defaultOut(modelDir, manifest));
        boolean classification = model.task() == TaskModel.Task.CLASSIFICATION;
        double audioSeconds = kind.audio ? audioSeconds(rows) : 0;
        System.err.printf("%s: %d rows of %s%s%n", modelDir, rows.size(), kind.description,
                kind.audio ? String.format(java.util.Locale.ROOT, ", %.1f s of audio", audioSeconds) : "");

        List<String> truth = rows.stream().map(r -> classification ? r.label() : r.text()).toList();
        ModelRun.Result ours = ModelRun.run(model, rows, batchSize);
        List<Outcome> outcomes = new ArrayList<>();
        outcomes.add(Outcome.scored("Reformer (ours)", truth, ours.outputs(), classification ? model.labels() : null,
                kind.audio ? audioSeconds / ours.seconds() : rows.size() / ours.seconds(),
                java.util.Map.of("timed_seconds", ours.seconds(), "batch_size", batchSize)));
        if (o.baselines()) outcomes.addAll(baselines(model, rows, kind, audioSeconds, train, validation, o.cache(), batchSize));
        EvalReport report = new EvalReport(modelDir, manifest, kind, audioSeconds, outcomes, o.commandLine(), rows, truth);
        report.write(outDir);
        if (results != null) report.insertInto(results);
        if (o.card()) ModelCard.update(modelDir, model, report.section(), outDir);
        System.out.print(report.table());
        System.err.println("eval.json, results.md, confusion.png in " + outDir
                + (results != null ? "; section updated in " + results : ""));
    }

    /** The baselines on the same rows, in a work folder deleted afterwards. */
    private static List<Outcome> baselines(TaskModel model, List<Manifest.Row> rows, Manifest.Kind kind, double audioSeconds,
                                           Path train, Path validation, Path cache, int batchSize) throws IOException {
        try (WorkDir work = WorkDir.create()) {
            if (!kind.audio) return List.of(Baselines.text(rows, model.labels(), train, validation, work.path()));
            if (model.task() == TaskModel.Task.TRANSCRIPTION) return Baselines.audio(rows, audioSeconds, null, List.of(), work.path(), cache, batchSize);
            Set<String> labels = new java.util.LinkedHashSet<>(model.labels());   // what a recogniser's text can become
            labels.add(CommandLabels.UNKNOWN);
            labels.add(CommandLabels.SILENCE);
            List<Manifest.Row> trainRows = Files.isRegularFile(train) ? Manifest.read(train) : List.of();
            return Baselines.audio(rows, audioSeconds, List.copyOf(labels), trainRows, work.path(), cache, batchSize);
        }
    }

    /** MODEL/eval/SET-NAME: one folder per evaluated manifest, so a model's evaluations on several sets sit side by side. */
    public static Path defaultOut(Path modelDir, Path manifest) {
        Path folder = manifest.toAbsolutePath().getParent();
        String name = manifest.getFileName().toString().replaceFirst("\\.jsonl?$", "");
        return modelDir.resolve("eval").resolve((folder.getFileName() == null ? "" : folder.getFileName() + "-") + name);
    }

    /** The manifest must be the kind the model does, with labels it knows; else an error that says which. */
    public static void checkFits(TaskModel model, Manifest.Kind kind, List<Manifest.Row> rows) {
        try {
            Manifest.requireKind(rows, kind);
        } catch (IllegalArgumentException e) {
            String holds;
            try {
                holds = Manifest.kindOf(rows, rows.get(0).file()).description;
            } catch (IllegalArgumentException mixed) {
                holds = "rows of several kinds";
            }
            throw new IllegalArgumentException(rows.get(0).file() + " holds " + holds + ", but the model was trained on " + kind.description
                    + " (" + e.getMessage() + "); give a manifest of " + kind.description);
        }
        if (model.task() == TaskModel.Task.CLASSIFICATION) {
            Set<String> unknown = new TreeSet<>();
            for (Manifest.Row r : rows) if (!model.labels().contains(r.label())) unknown.add(r.label());
            if (!unknown.isEmpty()) throw new IllegalArgumentException(rows.get(0).file() + " has label(s) " + unknown
                    + " that the model does not know; its labels are " + model.labels());
        }
    }

    /** What the model reads: text, audio with labels, or audio with transcripts. */
    public static Manifest.Kind kindFor(TaskModel model) {
        return !model.input().audio() ? Manifest.Kind.TEXT_LABEL
                : model.task() == TaskModel.Task.CLASSIFICATION ? Manifest.Kind.AUDIO_LABEL : Manifest.Kind.AUDIO_TRANSCRIPT;
    }

    /** Seconds of audio of every row, from the WAV or FLAC headers. */
    public static double audioSeconds(List<Manifest.Row> rows) throws IOException {
        double total = 0;
        for (Manifest.Row r : rows) {
            try {
                total += AudioFiles.seconds(r.audio());
            } catch (AudioException e) {
                throw new IllegalArgumentException(r.where() + r.audio() + ": " + e.getMessage());
            }
        }
        return total;
    }
}
