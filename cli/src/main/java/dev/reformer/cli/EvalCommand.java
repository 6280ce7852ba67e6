package dev.reformer.cli;

import dev.reformer.eval.Baselines;
import dev.reformer.eval.EvalReport;
import dev.reformer.eval.ModelCard;
import dev.reformer.eval.ModelRun;

import dev.reformer.audio.AudioException;
import dev.reformer.audio.AudioFiles;
import dev.reformer.task.Manifest;
import dev.reformer.eval.CommandLabels;
import dev.reformer.eval.Outcome;
import dev.reformer.task.TaskModel;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Scores a trained model on a manifest of the kind it was trained for and, with --baselines,"
                + " compares it on the same rows with recognisers and classifiers that are not ours.",
                "  text classification   accuracy, per label, confusion matrix; examples/s",
                "                        baseline: fastText, trained on --train-manifest,",
                "                        tuned on --validation-manifest",
                "  audio classification  accuracy, per label, confusion matrix; real-time",
                "                        factor (seconds of audio per second of wall time)",
                "  audio transcription   word and character error rates over the whole set, aligned words,",
                "                        exact-string accuracy; real-time factor",
                "                        audio baselines: Vosk with a grammar and free,",
                "                        Sphinx4 and pocketsphinx with a JSGF grammar",
                "Timing: every system first runs once, untimed, over the first batch (warm-up), then over every row once,"
                        + " timed from the WAV file (decoding, front-end, model) or the text to the answer.",
                "A recogniser's text becomes a command label: exactly one word, a command, gives that command; no word"
                        + " gives silence; anything else (an unknown word, [unk], several words) gives unknown.",
                "Writes into --out: eval.json (every number, the command line, the date, nproc), results.md (a section for"
                        + " docs/RESULTS.md) and confusion.png (labels; for a transcriber, the words said against the words heard, aligned). A baseline whose tool is missing is"
                        + " reported as not available, with what to install; the others still run."},
        footer = {"", "Examples:",
                "  ./reformer eval --model models/commands --manifest data/commands/test.jsonl",
                "  ./reformer eval --model models/digits --manifest data/digits/test.jsonl \\",
                "      --baselines --results docs/RESULTS.md",
                "  ./reformer eval --model models/spam --manifest data/spam/test.jsonl \\",
                "      --baselines   # fastText trained on train.jsonl, tuned on val.jsonl",
                "", "Baselines need the Debian packages fasttext (text), pocketsphinx and pocketsphinx-en-us; Vosk and"
                + " Sphinx4 come with the build (Maven); the Vosk model is unpacked into --cache on first use."})
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "A model directory written by ./reformer train.")
    Path modelDir;

    @Option(names = "--manifest", required = true, paramLabel = "FILE", description = "The JSONL manifest to score on (usually a test.jsonl).")
    Path manifest;

    @Option(names = "--baselines", description = "Also run the baselines on the same rows.")
    boolean baselines;

    @Option(names = "--train-manifest", paramLabel = "FILE",
            description = "fastText's training set, and where commands' unknown words are read (default: train.jsonl next to --manifest).")
    Path trainManifest;

    @Option(names = "--validation-manifest", paramLabel = "FILE", description = "fastText's tuning set (default: val.jsonl next to --manifest).")
    Path validationManifest;

    @Option(names = "--out", paramLabel = "DIR", description = "Where eval.json, results.md and confusion.png go (default: MODEL/eval/SET-NAME, e.g. models/digits/eval/digits-test for data/digits/test.jsonl).")
    Path out;

    @Option(names = "--results", paramLabel = "FILE", description = "Also insert (or replace) this evaluation's section in FILE, e.g. docs/RESULTS.md.")
    Path results;

    @Option(names = "--card", description = "Also write the model's card, MODEL/README.md: what it reads, how it was trained (metrics.json), its curves, and this evaluation (replacing one on the same manifest).")
    boolean card;

    @Option(names = "--batch-size", defaultValue = "16", paramLabel = "N", description = "Rows per model batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--cache", paramLabel = "DIR", description = "Where the Vosk model is unpacked (default: ~/.cache/reformer).")
    Path cache = Path.of(System.getProperty("user.home"), ".cache", "reformer");

    @Override
    public Integer call() throws Exception {
        if (batchSize < 1) throw new IllegalArgumentException("--batch-size " + batchSize + " must be at least 1");
        if (!Files.isDirectory(modelDir)) throw new IllegalArgumentException("--model " + modelDir + " is not a directory; give one that ./reformer train wrote");
        TaskModel model = TaskModel.load(modelDir, DataType.FLOAT);
        List<Manifest.Row> rows = Manifest.read(manifest);
        Manifest.Kind kind = kindFor(model);
        checkFits(model, kind, rows);
        Path folder = manifest.toAbsolutePath().getParent();
        Path train = trainManifest != null ? trainManifest : folder.resolve("train.jsonl");
        Path validation = validationManifest != null ? validationManifest : folder.resolve("val.jsonl");
        Path outDir = Files.createDirectories(out != null ? out : defaultOut(modelDir, manifest));
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
        if (baselines) outcomes.addAll(baselines(model, rows, kind, audioSeconds, train, validation));
        List<String> commandLine = new ArrayList<>(List.of("reformer"));   // the parse result's arguments start with "eval"
        commandLine.addAll(spec.commandLine().getParseResult().originalArgs());
        EvalReport report = new EvalReport(modelDir, manifest, kind, audioSeconds, outcomes, commandLine, rows, truth);
        report.write(outDir);
        if (results != null) report.insertInto(results);
        if (card) ModelCard.update(modelDir, model, report.section(), outDir);
        System.out.print(report.table());
        System.err.println("eval.json, results.md, confusion.png in " + outDir
                + (results != null ? "; section updated in " + results : ""));
        return 0;
    }

    /** The baselines on the same rows, in a work folder deleted afterwards. */
    private List<Outcome> baselines(TaskModel model, List<Manifest.Row> rows, Manifest.Kind kind, double audioSeconds,
                                    Path train, Path validation) throws IOException {
        try (dev.reformer.eval.WorkDir work = dev.reformer.eval.WorkDir.create()) {
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
    static Path defaultOut(Path modelDir, Path manifest) {
        Path folder = manifest.toAbsolutePath().getParent();
        String name = manifest.getFileName().toString().replaceFirst("\\.jsonl?$", "");
        return modelDir.resolve("eval").resolve((folder.getFileName() == null ? "" : folder.getFileName() + "-") + name);
    }

    /** The manifest must be the kind the model does, with labels it knows; else an error that says which. */
    static void checkFits(TaskModel model, Manifest.Kind kind, List<Manifest.Row> rows) {
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
    static Manifest.Kind kindFor(TaskModel model) {
        return !model.input().audio() ? Manifest.Kind.TEXT_LABEL
                : model.task() == TaskModel.Task.CLASSIFICATION ? Manifest.Kind.AUDIO_LABEL : Manifest.Kind.AUDIO_TRANSCRIPT;
    }

    /** Seconds of audio of every row, from the WAV or FLAC headers. */
    static double audioSeconds(List<Manifest.Row> rows) throws IOException {
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
