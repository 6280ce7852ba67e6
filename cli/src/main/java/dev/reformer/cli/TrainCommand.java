package dev.reformer.cli;

import dev.reformer.task.Training;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a Reformer from JSONL manifests, one example per line:",
                "  text classification:   {\"text\": \"...\", \"label\": \"...\"}  (UTF-8 bytes, --bytes-per-position in each of --max-length positions)",
                "  audio classification:  {\"audio\": \"clip.wav\", \"label\": \"...\"}",
                "  audio transcription:   {\"audio\": \"clip.wav\", \"text\": \"...\"}  (CTC over the characters of the texts)",
                "Audio paths are relative to the manifest. Audio goes through the front-end (80 log-mel bands every 10 ms),"
                        + " is standardised with the training set's per-band mean and deviation, and --frame-stack frames are"
                        + " concatenated into one model position. Labels are the sorted distinct labels of the training set;"
                        + " the symbols of a transcriber are the distinct characters (or words, --symbols words) of its training texts.",
                "Shows a progress bar (loss, examples/s, ETA), evaluates on the validation set after every epoch (accuracy,"
                        + " or 1 - character (or word) error rate for transcription), stops early after --patience epochs without"
                        + " improvement, and writes into --out: config.json and model.safetensors of the best epoch (what"
                        + " ./reformer run serves), metrics.json, loss.png, accuracy.png, and checkpoint/ from which the same"
                        + " command resumes exactly where it stopped."},
        footer = {"", "Examples:", "  ./reformer train --train data/spam/train.jsonl --validation data/spam/val.jsonl --out models/spam --epochs 10",
                "  ./reformer train --train data/digits/train.jsonl --validation data/digits/val.jsonl --out models/digits --frame-stack 3",
                "  ./reformer train --init models/commands --train data/commands/train.jsonl,data/real-commands/train.jsonl \\",
                "      --validation data/real-commands/val.jsonl --out /tmp/commands-real --epochs 10   # fine-tune on real speakers"})
final class TrainCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--train", required = true, paramLabel = "FILE", split = ",",
            description = "Training manifest (JSONL); several (repeat the option, or comma-separated) are read as one, e.g. synthetic and real speech.")
    List<Path> trainManifests;

    @Option(names = "--validation", required = true, paramLabel = "FILE", split = ",",
            description = "Validation manifest (JSONL); several are read as one, as for --train.")
    List<Path> validationManifests;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the model, metrics, plots and checkpoint go.")
    Path out;

    @Option(names = "--task", defaultValue = "auto", paramLabel = "auto|classification|transcription",
            description = {"What to learn from audio rows (default: ${DEFAULT-VALUE}: classification when every row has a \"label\",",
                    "else transcription of \"text\"). Rows may carry both; e.g. --task transcription on isolated digits labelled 0-9."})
    String taskName;

    @Option(names = "--init", paramLabel = "DIR",
            description = {"Start from a model that ./reformer train wrote (its weights, config, labels or symbols and input settings,",
                    "feature statistics included) instead of a fresh one: fine-tuning, e.g. a model trained on synthetic voices",
                    "on real recordings. --config, --max-length, --frame-stack, --symbols and --bytes-per-position are the model's then."})
    Path init;

    @Option(names = "--config", paramLabel = "FILE",
            description = "A config.json (ReformerConfig fields); for text vocab_size must be at least 258. Default: a small model."
                    + " With streaming_context_length (positions) it is a streaming model, served hop by hop against each stream's"
                    + " cache: it needs is_decoder true, num_buckets and hash_seed set, and no --centre (docs/ARCHITECTURE.md).")
    Path configFile;

    @Option(names = "--max-length", defaultValue = "512",
            description = "Model positions per example (bytes or byte groups, or stacked audio frames), a multiple of 64 (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--bytes-per-position", defaultValue = "1",
            description = {"Text: bytes read into one model position (default: ${DEFAULT-VALUE}: one byte id each, through the word embeddings).",
                    "k > 1 projects each group of k bytes (concatenated one-hot) into a position: k times fewer positions, k times",
                    "less work per text; the model reads --max-length x k bytes. docs/BENCHMARKS.md measures what it costs in accuracy."})
    int bytesPerPosition;

    @Option(names = "--ngram-buckets", defaultValue = "0", paramLabel = "N",
            description = {"Text: also add to each position a learnt vector per hashed feature ending in its bytes: character 3- and",
                    "4-grams, words, and pairs of words (fastText's features), hashed into N buckets, e.g. 32768 (N x hidden_size",
                    "more weights: 8 MB at 32768 x 64). Default: ${DEFAULT-VALUE}, bytes only."})
    int ngramBuckets;

    @Option(names = "--frame-stack", defaultValue = "2",
            description = "Audio: 10 ms frames per model position (default: ${DEFAULT-VALUE}, 20 ms per position).")
    int frameStack;

    @Option(names = "--symbols", defaultValue = "characters", paramLabel = "characters|words",
            description = {"Transcription: what one output symbol is (default: ${DEFAULT-VALUE}). words: each distinct word of the training",
                    "texts is one symbol (small vocabularies: digit strings, commands); fewer positions per second, no misspelt words."})
    String symbolUnit;

    @Option(names = "--epochs", defaultValue = "10", description = "At most this many epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "8", description = "Examples per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--learning-rate", defaultValue = "3e-3", description = "Peak AdamW learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--spec-augment", description = "Audio: mask 2 bands of up to 1/8 of the feature channels and 2 runs of up to"
            + " 10 %% of the positions in each training example, afresh every batch (SpecAugment); against overfitting to the training voices.")
    boolean specAugment;

    @Option(names = "--voice-augment", description = "Audio (log-mel): give each training example another voice and channel, afresh"
            + " every batch: its spectrum stretched along frequency by up to 15 %%, tilted by up to 4.3 dB across the bands and its"
            + " level changed by up to 6.5 dB"
            + " (vocal tract length perturbation); against overfitting to the training voices and speech engines.")
    boolean voiceAugment;

    @Option(names = "--centre", description = {"Audio: subtract each band's mean over the clip (in serving: over the window) before",
            "standardising: per-utterance mean normalisation, which takes out a microphone's or room's colouring. Stored in the model."})
    boolean centred;

    @Option(names = "--weight-decay", defaultValue = "0.01", description = "AdamW weight decay on matrices (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--clip-norm", defaultValue = "1.0", description = "Clip the gradients' global norm to this (default: ${DEFAULT-VALUE}).")
    double clipNorm;

    @Option(names = "--warmup-steps", defaultValue = "20", description = "Linear warm-up steps (default: ${DEFAULT-VALUE}).")
    int warmupSteps;

    @Option(names = "--patience", defaultValue = "3", description = "Stop after this many epochs without improvement (default: ${DEFAULT-VALUE}).")
    int patience;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of initialisation, shuffling and rotations (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        String commandLine = "./reformer " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        Training.run(new Training.Options(trainManifests, validationManifests, out, taskName, init, configFile, maxLength, bytesPerPosition,
                ngramBuckets, frameStack, symbolUnit, epochs, batchSize, learningRate, specAugment, voiceAugment, centred, weightDecay,
                clipNorm, warmupSteps, patience, seed, commandLine));
        return 0;
    }
}
