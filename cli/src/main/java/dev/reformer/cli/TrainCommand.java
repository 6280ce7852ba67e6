package dev.reformer.cli;

import dev.reformer.task.AudioInput;
import dev.reformer.task.Charts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reformer.audio.FeatureConfig;
import dev.reformer.audio.MelSpectrum;
import dev.reformer.task.Manifest;
import dev.reformer.model.Params;
import dev.reformer.model.ReformerConfig;
import dev.reformer.model.ReformerModel;
import dev.reformer.model.heads.Ctc;
import dev.reformer.model.layers.Rotations;
import dev.reformer.model.train.Example;
import dev.reformer.model.train.SpecAugment;
import dev.reformer.model.train.Trainer;
import dev.reformer.model.train.VoiceAugment;
import dev.reformer.task.TaskModel;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;

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

    /** The first manifest, for messages: every row's own messages name its file and line. */
    private Path trainManifest, validationManifest;

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
            description = "A config.json (ReformerConfig fields); for text vocab_size must be at least 258. Default: a small model.")
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
        if (maxLength < 64 || maxLength % 64 != 0) {
            throw new IllegalArgumentException("--max-length " + maxLength + " must be a multiple of 64, at least 64");
        }
        if (bytesPerPosition < 1 || bytesPerPosition > 64) throw new IllegalArgumentException("--bytes-per-position " + bytesPerPosition + " must be 1..64");
        if (ngramBuckets < 0 || ngramBuckets > 1 << 20) throw new IllegalArgumentException("--ngram-buckets " + ngramBuckets + " must be 0..1048576");
        if (frameStack < 1 || frameStack > 16) throw new IllegalArgumentException("--frame-stack " + frameStack + " must be 1..16");
        trainManifest = trainManifests.get(0);
        validationManifest = validationManifests.get(0);
        List<Manifest.Row> trainRows = readAll(trainManifests), validationRows = readAll(validationManifests);
        TaskModel base = init != null ? TaskModel.load(init, DataType.FLOAT) : null;
        Manifest.Kind kind = manifestKind(trainRows, base);
        Manifest.requireKind(validationRows, kind);
        TaskModel.Task task = kind == Manifest.Kind.AUDIO_TRANSCRIPT ? TaskModel.Task.TRANSCRIPTION : TaskModel.Task.CLASSIFICATION;
        TaskModel.SymbolUnit unit = base != null ? base.symbolUnit() : switch (symbolUnit) {
            case "characters" -> TaskModel.SymbolUnit.CHARACTER;
            case "words" -> TaskModel.SymbolUnit.WORD;
            default -> throw new IllegalArgumentException("--symbols " + symbolUnit + ": use characters or words");
        };
        List<String> labels = base != null ? base.labels() : task == TaskModel.Task.CLASSIFICATION
                ? new ArrayList<>(new TreeSet<>(trainRows.stream().map(Manifest.Row::label).toList()))
                : symbols(trainRows, unit);
        if (task == TaskModel.Task.CLASSIFICATION && labels.size() < 2) {
            throw new IllegalArgumentException(trainManifest + " has " + labels.size() + " distinct label(s); a classifier needs at least 2");
        }

        Map<Manifest.Row, float[][]> frames = new HashMap<>();
        TaskModel.Input input = base != null ? base.input() : TaskModel.Input.bytes(maxLength, bytesPerPosition, ngramBuckets);
        if (base != null && kind.audio) {
            frames.putAll(AudioInput.frames(trainRows, input.features(), "training"));
            frames.putAll(AudioInput.frames(validationRows, input.features(), "validation"));
        } else if (kind.audio) {
            if (ngramBuckets > 0) throw new IllegalArgumentException("--ngram-buckets is for text; " + trainManifest + " holds " + kind.description);
            FeatureConfig features = FeatureConfig.logMel();
            frames.putAll(AudioInput.frames(trainRows, features, "training"));
            frames.putAll(AudioInput.frames(validationRows, features, "validation"));
            float[][] stats = meanAndStd(trainRows.stream().map(frames::get).toList(), features.dimension());
            input = new TaskModel.Input(true, maxLength, features, frameStack, centred ? new float[stats[0].length] : stats[0],
                    centred ? centredStd(trainRows.stream().map(frames::get).toList(), features.dimension()) : stats[1], 0, centred);
        }
        ReformerConfig config = base != null ? base.config()
                : configFile != null ? ReformerConfig.read(configFile) : TaskModel.defaultConfig(maxLength, !input.audio() && !input.byteGroups());
        if (!input.audio() && !input.byteGroups() && config.vocabSize() < TaskModel.BYTE_VOCABULARY) throw new IllegalArgumentException("config field vocab_size is "
                + config.vocabSize() + "; byte input needs at least 258 (256 bytes + padding + 1 reserved)");
        if ((long) ngramBuckets * config.hiddenSize() > 1 << 24) throw new IllegalArgumentException("--ngram-buckets " + ngramBuckets
                + " x hidden_size " + config.hiddenSize() + " is more than 16,777,216 weights (64 MB); use fewer buckets");
        if (config.maxPositionEmbeddings() < input.maxLength()) throw new IllegalArgumentException("config field max_position_embeddings is "
                + config.maxPositionEmbeddings() + ", less than --max-length " + input.maxLength());
        Rotations.Sequence rotations = new Rotations.Sequence(seed);
        ReformerModel model = new ReformerModel(config, Params.init(config, seed, DataType.FLOAT), rotations).dropoutSeed(seed);
        TaskModel taskModel = TaskModel.create(config, task, labels, unit, input, model, seed);
        if (base != null) startFrom(base, taskModel);

        List<Example> train = examples(trainRows, frames, taskModel, trainManifest);
        List<Example> validation = examples(validationRows, frames, taskModel, validationManifest);
        int batches = (train.size() + batchSize - 1) / batchSize;
        Trainer trainer = new Trainer(taskModel.trainable(), rotations, new Trainer.Settings(epochs, batchSize, learningRate,
                weightDecay, clipNorm, warmupSteps, patience, seed), batches);
        // the voice first: it reshapes the spectrum, and masks put in before it would be stretched and shifted off zero
        if (voiceAugment) {
            if (!kind.audio) throw new IllegalArgumentException("--voice-augment stretches log-mel spectra, and these manifests hold text; leave --voice-augment out for text models");
            trainer.augmenting(VoiceAugment.typical(bandCentresHz(input.features()), input.mean(), input.std()));
        }
        if (specAugment) {
            if (!kind.audio) throw new IllegalArgumentException("--spec-augment masks audio features, and these manifests hold text; leave --spec-augment out for text models");
            trainer.augmenting(SpecAugment.mild(input.features().dimension()));
        }

        Files.createDirectories(out);
        System.err.printf("%s on %d examples (%s), validating on %d; %d layers, %d batches/epoch%n",
                task == TaskModel.Task.CLASSIFICATION ? "classification" : "transcription", train.size(),
                task == TaskModel.Task.CLASSIFICATION ? labels.size() + " labels: " + String.join(", ", labels)
                        : (labels.size() - 1) + " symbols: " + String.join(unit == TaskModel.SymbolUnit.WORD ? " " : "", labels.subList(1, labels.size())),
                validation.size(), config.numHiddenLayers(), batches);
        long started = System.nanoTime();
        List<Trainer.EpochMetrics> history = trainer.run(train, validation, out.resolve("checkpoint"), new ProgressBar(epochs));
        double seconds = (System.nanoTime() - started) / 1e9;

        taskModel.save(out);
        writeMetrics(history, trainer, scoreName(task, unit), task, labels, seconds);
        String score = scoreName(task, unit);
        Map<String, double[]> losses = new LinkedHashMap<>(); // insertion order: the same legend every run
        losses.put("train", history.stream().mapToDouble(Trainer.EpochMetrics::trainLoss).toArray());
        losses.put("validation", history.stream().mapToDouble(Trainer.EpochMetrics::validationLoss).toArray());
        Charts.line(out.resolve("loss.png"), "loss", task == TaskModel.Task.CLASSIFICATION ? "cross-entropy" : "CTC loss", losses);
        Charts.line(out.resolve("accuracy.png"), "validation " + score, score, Map.of(
                "validation", history.stream().mapToDouble(Trainer.EpochMetrics::validationAccuracy).toArray()));
        System.err.printf("best validation %s %.4f at epoch %d; model, metrics.json, loss.png, accuracy.png in %s%n",
                score, trainer.bestAccuracy(), trainer.bestEpoch(), out);
        return 0;
    }

    private static List<Manifest.Row> readAll(List<Path> manifests) throws IOException {
        List<Manifest.Row> rows = new ArrayList<>();
        for (Path m : manifests) rows.addAll(Manifest.read(m));
        return rows;
    }

    /** Classification or transcription, from --task, the --init model, or (auto) what every row carries. */
    private Manifest.Kind manifestKind(List<Manifest.Row> rows, TaskModel base) {
        Manifest.Kind found = Manifest.kindOf(rows, trainManifest);
        if (!found.audio) return found;
        String wanted = base != null ? base.task().name().toLowerCase(java.util.Locale.ROOT) : taskName;
        Manifest.Kind kind = switch (wanted) {
            case "auto" -> found;
            case "classification" -> Manifest.Kind.AUDIO_LABEL;
            case "transcription" -> Manifest.Kind.AUDIO_TRANSCRIPT;
            default -> throw new IllegalArgumentException("--task " + wanted + ": use auto, classification or transcription");
        };
        if (base != null && !taskName.equals("auto") && !taskName.equals(wanted)) {
            throw new IllegalArgumentException("--task " + taskName + ", but --init " + init + " is a " + wanted + " model; leave --task out");
        }
        Manifest.requireKind(rows, kind);
        return kind;
    }

    /** Copies a trained model's weights into the fresh one (same config, labels and input, so the same tensors). */
    private void startFrom(TaskModel base, TaskModel fresh) {
        Map<String, org.nd4j.linalg.api.ndarray.INDArray> from = base.trainable().params();
        fresh.trainable().params().forEach((name, tensor) -> {
            org.nd4j.linalg.api.ndarray.INDArray source = from.get(name);
            if (source == null || !java.util.Arrays.equals(source.shape(), tensor.shape())) {
                throw new IllegalArgumentException("--init " + init + ": tensor " + name + " is " + (source == null ? "missing"
                        : java.util.Arrays.toString(source.shape()) + ", the model needs " + java.util.Arrays.toString(tensor.shape())));
            }
            tensor.assign(source);
        });
        System.err.printf("starting from %s (%d tensors)%n", init, from.size());
    }

    /** The blank, then every distinct character (or word) of the training transcripts, sorted. */
    private static List<String> symbols(List<Manifest.Row> rows, TaskModel.SymbolUnit unit) {
        TreeSet<String> units = new TreeSet<>();
        rows.forEach(r -> units.addAll(TaskModel.units(r.text(), unit)));
        List<String> symbols = new ArrayList<>();
        symbols.add("");
        symbols.addAll(units);
        return symbols;
    }

    /** Per-band standard deviation of the training frames around each clip's own band means (what --centre divides by). */
    static float[] centredStd(List<float[][]> clips, int bands) {
        double[] squares = new double[bands];
        long n = 0;
        for (float[][] frames : clips) {
            float[] mean = meanAndStd(List.<float[][]>of(frames), bands)[0];
            for (float[] f : frames) for (int b = 0; b < bands; b++) squares[b] += (double) (f[b] - mean[b]) * (f[b] - mean[b]);
            n += frames.length;
        }
        float[] std = new float[bands];
        for (int b = 0; b < bands; b++) std[b] = (float) Math.max(1e-3, Math.sqrt(n == 0 ? 1 : squares[b] / n));
        return std;
    }

    /** Per-band mean and standard deviation over every frame of the training set. */
    static float[][] meanAndStd(List<float[][]> sets, int bands) {
        double[] sum = new double[bands], squares = new double[bands];
        long n = 0;
        for (float[][] frames : sets) {
            for (float[] f : frames) {
                for (int b = 0; b < bands; b++) { sum[b] += f[b]; squares[b] += (double) f[b] * f[b]; }
                n++;
            }
        }
        float[] mean = new float[bands], std = new float[bands];
        for (int b = 0; b < bands; b++) {
            double m = n == 0 ? 0 : sum[b] / n;
            mean[b] = (float) m;
            std[b] = (float) Math.max(1e-3, Math.sqrt(Math.max(0, n == 0 ? 1 : squares[b] / n - m * m)));
        }
        return new float[][]{mean, std};
    }

    private static List<Example> examples(List<Manifest.Row> rows, Map<Manifest.Row, float[][]> frames, TaskModel model, Path manifest) {
        List<Example> out = new ArrayList<>();
        int cut = 0;
        for (Manifest.Row row : rows) {
            if (!model.input().audio()) {
                out.add(Example.tokens(model.encodeText(row.text()), labelOf(row, model, manifest)));
                continue;
            }
            float[][] all = frames.get(row);
            float[][] positions = AudioInput.positions(row, all, model);
            if (positions.length * model.input().stack() < all.length - model.input().stack() + 1) cut++;
            if (model.task() == TaskModel.Task.CLASSIFICATION) {
                out.add(Example.features(positions, labelOf(row, model, manifest)));
            } else {
                int[] target;
                try {
                    target = model.symbolsOf(row.text());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(row.where() + e.getMessage() + " (the training texts define them)");
                }
                int needed = Ctc.framesNeeded(target);
                if (needed > positions.length) throw new IllegalArgumentException(row.where() + "the text needs at least " + needed
                        + " positions, the audio gives " + positions.length + "; lower --frame-stack or raise --max-length");
                if (target.length == 0) throw new IllegalArgumentException(row.where() + "the text is empty; a transcript needs at least one character");
                out.add(Example.transcript(positions, target));
            }
        }
        if (cut > 0) System.err.printf("note: %d example(s) of %s are longer than --max-length %d positions; their ends are cut%n",
                cut, manifest, model.input().maxLength());
        return out;
    }

    private static int labelOf(Manifest.Row row, TaskModel model, Path manifest) {
        int label = model.labels().indexOf(row.label());
        if (label < 0) throw new IllegalArgumentException(row.where() + "has label \"" + row.label()
                + "\", which the training manifest never uses");
        return label;
    }

    /** seconds: of training and validation in this invocation (a resumed run counts only its own part). */
    /** What the validation score is: accuracy, or one minus the error rate of the transcriber's symbols. */
    private static String scoreName(TaskModel.Task task, TaskModel.SymbolUnit unit) {
        return task == TaskModel.Task.CLASSIFICATION ? "accuracy" : unit == TaskModel.SymbolUnit.WORD ? "1 - word error rate" : "1 - character error rate";
    }

    private void writeMetrics(List<Trainer.EpochMetrics> history, Trainer trainer, String score, TaskModel.Task task, List<String> labels,
                              double seconds) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode metrics = json.createObjectNode();
        metrics.put("command", "./reformer " + String.join(" ", spec.commandLine().getParseResult().originalArgs()))
                .put("training_seconds", Math.round(seconds)).put("threads", Runtime.getRuntime().availableProcessors())
                .put("omp_num_threads", String.valueOf(System.getenv("OMP_NUM_THREADS")));
        metrics.put("task", task.name().toLowerCase())
                .put("validation_accuracy_means", score)
                .put("best_epoch", trainer.bestEpoch()).put("best_validation_accuracy", trainer.bestAccuracy());
        ArrayNode names = metrics.putArray(task == TaskModel.Task.CLASSIFICATION ? "labels" : "symbols");
        labels.forEach(names::add);
        ArrayNode epochsNode = metrics.putArray("epochs");
        history.forEach(m -> epochsNode.add(json.valueToTree(m)));
        Files.writeString(out.resolve("metrics.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(metrics));
    }

    /** One line on stderr, redrawn: epoch, batch, loss, examples/s, ETA of the run. */
    static final class ProgressBar implements Trainer.Listener {
        private final int epochs;
        private final long started = System.nanoTime();
        private int doneBatches;

        ProgressBar(int epochs) { this.epochs = epochs; }

        @Override
        public void batch(int epoch, int batch, int batches, double loss, double examplesPerSecond) {
            doneBatches++;
            double elapsed = (System.nanoTime() - started) / 1e9;
            int remaining = (epochs - epoch) * batches + (batches - batch);
            double eta = elapsed / doneBatches * remaining;
            int filled = (int) Math.round(20.0 * batch / batches);
            System.err.printf(Locale.ROOT, "\repoch %d/%d [%s%s] %d/%d  loss %.4f  %.1f ex/s  ETA %s   ", epoch, epochs,
                    "#".repeat(filled), ".".repeat(20 - filled), batch, batches, loss, examplesPerSecond, duration(eta));
        }

        @Override
        public void resumed(int epochsDone) {
            System.err.printf("resuming from the checkpoint: %d of %d epochs already done%n", epochsDone, epochs);
        }

        @Override
        public void epoch(Trainer.EpochMetrics m, boolean best) {
            System.err.printf(Locale.ROOT, "%nepoch %d: train loss %.4f, validation loss %.4f, accuracy %.4f%s%n",
                    m.epoch(), m.trainLoss(), m.validationLoss(), m.validationAccuracy(), best ? " (best so far)" : "");
        }

        private static String duration(double seconds) {
            long s = Math.round(seconds);
            return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : String.format("%dm%02ds", s / 60, s % 60);
        }
    }

    /** The log-mel bands' centre frequencies: the peaks of the front-end's mel filters. */
    static double[] bandCentresHz(FeatureConfig features) {
        if (features.kind() != FeatureConfig.Kind.LOG_MEL) throw new IllegalArgumentException("--voice-augment stretches log-mel bands, and these features are " + features.kind() + "; leave --voice-augment out");
        double[] edges = MelSpectrum.melEdgesHz(features.melBands(), features.lowHz(), features.highHz());
        return Arrays.copyOfRange(edges, 1, features.melBands() + 1);
    }
}
