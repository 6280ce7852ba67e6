package dev.reformer.cli;

import dev.reformer.eval.Evaluation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

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
        List<String> commandLine = new ArrayList<>(List.of("reformer"));   // the parse result's arguments start with "eval"
        commandLine.addAll(spec.commandLine().getParseResult().originalArgs());
        Evaluation.run(new Evaluation.Options(modelDir, manifest, baselines, trainManifest, validationManifest, out, results, card, batchSize,
                cache, commandLine));
        return 0;
    }
}
