package dev.reformer.cli;

import dev.reformer.data.Manifest;
import dev.reformer.eval.CommandLabels;
import dev.reformer.eval.Outcome;
import dev.reformer.task.TaskModel;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Scores a trained model on a manifest of the kind it was trained for, and with --baselines compares it,"
                + " on the same rows, with recognisers and classifiers that are not ours:",
                "  text classification    accuracy, per-label accuracy, confusion matrix; examples/s",
                "                         baseline: fastText trained on --train-manifest, tuned on --validation-manifest",
                "  audio classification   the same, and the real-time factor (seconds of audio per second of wall time)",
                "                         baselines: Vosk (grammar and free), Sphinx4 and pocketsphinx (JSGF grammar)",
                "  audio transcription    word and character error rate over the whole set, exact-string accuracy; real-time factor",
                "                         baselines: the same four, the grammar one or more of zero..nine and oh",
                "Timing: each system first runs once, untimed, over the first batch (warm-up); then every row once, timed, from"
                        + " the WAV file (decoding, front-end, model) or text to the answer. A recogniser's text becomes a"
                        + " command label thus: exactly one command word gives that command, no word gives silence, anything"
                        + " else (an unknown word, [unk], several words) gives unknown.",
                "Writes into --out: eval.json (every number, the command line, the date, nproc), results.md (a section for"
                        + " docs/RESULTS.md) and, for classification, confusion.png. A baseline whose tool is missing is"
                        + " reported as not available, with what to install."},
        footer = {"", "Examples:",
                "  ./reformer eval --model models/commands --manifest data/commands/test.jsonl",
                "  ./reformer eval --model models/digits --manifest data/digits/test.jsonl --baselines --results docs/RESULTS.md",
                "  ./reformer eval --model models/spam --manifest data/spam/test.jsonl --baselines   # fastText on train.jsonl, tuned on val.jsonl",
                "", "Baselines need: Debian fasttext (text); pocketsphinx and pocketsphinx-en-us; Vosk and Sphinx4 come with the build"
                + " (Maven), the Vosk model is unpacked into --cache on first use."})
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

    @Option(names = "--out", paramLabel = "DIR", description = "Where eval.json, results.md and confusion.png go (default: MODEL/eval).")
    Path out;

    @Option(names = "--results", paramLabel = "FILE", description = "Also insert (or replace) this evaluation's section in FILE, e.g. docs/RESULTS.md.")
    Path results;

    @Option(names = "--batch-size", defaultValue = "16", description = "Rows per model batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--cache", paramLabel = "DIR", description = "Where the Vosk model is unpacked (default: ~/.cache/reformer).")
    Path cache = Path.of(System.getProperty("user.home"), ".cache", "reformer");

    @Override
    public Integer call() throws Exception {
        if (batchSize < 1) throw new IllegalArgumentException("--batch-size " + batchSize + " must be at least 1");
        if (!Files.isDirectory(modelDir)) throw new IllegalArgumentException("--model " + modelDir + " is not a directory; give one that ./reformer train wrote");
        TaskModel model = TaskModel.load(modelDir, DataType.FLOAT);
        List<Manifest.Row> rows = Manifest.read(manifest);
        Manifest.Kind kind = Manifest.kindOf(rows, manifest);
        checkFits(model, kind, rows);
        Path folder = manifest.toAbsolutePath().getParent();
        Path train = trainManifest != null ? trainManifest : folder.resolve("train.jsonl");
        Path validation = validationManifest != null ? validationManifest : folder.resolve("val.jsonl");
        Path outDir = Files.createDirectories(out != null ? out : modelDir.resolve("eval"));
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
        if (baselines) {
            Path work = Files.createDirectories(outDir.resolve("work"));
            if (kind.audio) {
                List<String> labels = null;
                if (classification) {
                    Set<String> all = new java.util.LinkedHashSet<>(model.labels());
                    all.add(CommandLabels.UNKNOWN);
                    all.add(CommandLabels.SILENCE);
                    labels = List.copyOf(all);
                }
                List<Manifest.Row> trainRows = classification && Files.isRegularFile(train) ? Manifest.read(train) : List.of();
                outcomes.addAll(Baselines.audio(rows, audioSeconds, labels, trainRows, work, cache, batchSize));
            } else {
                outcomes.add(Baselines.text(rows, model.labels(), train, validation, work));
            }
        }
        List<String> commandLine = new ArrayList<>(List.of("reformer", "eval"));
        commandLine.addAll(spec.commandLine().getParseResult().originalArgs());
        EvalReport report = new EvalReport(modelDir, manifest, kind, audioSeconds, outcomes, commandLine);
        report.write(outDir);
        if (results != null) report.insertInto(results);
        System.out.print(report.table());
        System.err.println("eval.json, results.md" + (classification ? ", confusion.png" : "") + " in " + outDir
                + (results != null ? "; section updated in " + results : ""));
        return 0;
    }

    /** The manifest must be the kind the model does, with labels it knows; else an error that says which. */
    static void checkFits(TaskModel model, Manifest.Kind kind, List<Manifest.Row> rows) {
        Manifest.Kind expected = !model.input().audio() ? Manifest.Kind.TEXT_LABEL
                : model.task() == TaskModel.Task.CLASSIFICATION ? Manifest.Kind.AUDIO_LABEL : Manifest.Kind.AUDIO_TRANSCRIPT;
        if (kind != expected) throw new IllegalArgumentException(rows.get(0).file() + " holds " + kind.description
                + ", but the model was trained on " + expected.description + "; give a manifest of " + expected.description);
        if (model.task() == TaskModel.Task.CLASSIFICATION) {
            Set<String> unknown = new TreeSet<>();
            for (Manifest.Row r : rows) if (!model.labels().contains(r.label())) unknown.add(r.label());
            if (!unknown.isEmpty()) throw new IllegalArgumentException(rows.get(0).file() + " has label(s) " + unknown
                    + " that the model does not know; its labels are " + model.labels());
        }
    }

    /** Seconds of audio of every row, from the WAV headers. */
    static double audioSeconds(List<Manifest.Row> rows) throws IOException {
        double total = 0;
        for (Manifest.Row r : rows) {
            try {
                AudioFileFormat format = AudioSystem.getAudioFileFormat(r.audio().toFile());
                total += format.getFrameLength() / (double) format.getFormat().getFrameRate();
            } catch (UnsupportedAudioFileException e) {
                throw new IllegalArgumentException(r.where() + r.audio() + " is not a WAV file: " + e.getMessage());
            }
        }
        return total;
    }
}
