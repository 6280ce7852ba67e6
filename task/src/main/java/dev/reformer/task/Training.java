package dev.reformer.task;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reformer.audio.FeatureConfig;
import dev.reformer.model.Params;
import dev.reformer.model.ReformerConfig;
import dev.reformer.model.ReformerModel;
import dev.reformer.model.layers.Rotations;
import dev.reformer.model.train.Example;
import dev.reformer.model.train.SpecAugment;
import dev.reformer.model.train.Trainer;
import dev.reformer.model.train.VoiceAugment;
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
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The training recipe of {@code ./reformer train}: manifests in; a task model (fresh, or fine-tuned from --init) trained
 * with early stopping; config.json and model.safetensors of the best epoch, metrics.json, loss.png, accuracy.png and a
 * checkpoint to resume from written into {@link Options#out}.
 */
public final class Training {
    /**
     * What to train and how; the fields are the train command's options (its help says what each means).
     *
     * @param commandLine the command as given, recorded in metrics.json
     */
    public record Options(List<Path> trainManifests, List<Path> validationManifests, Path out, String taskName, Path init, Path configFile,
                          int maxLength, int bytesPerPosition, int ngramBuckets, int frameStack, String symbolUnit, int epochs, int batchSize,
                          double learningRate, boolean specAugment, boolean voiceAugment, boolean centred, double weightDecay, double clipNorm,
                          int warmupSteps, int patience, long seed, String commandLine) {}

    private final Options o;
    /** The first manifests, for messages: every row's own messages name its file and line. */
    private final Path trainManifest, validationManifest;
    private final Map<Manifest.Row, float[][]> frames = new HashMap<>();
    private List<Manifest.Row> trainRows, validationRows;
    private TaskModel base;
    private Manifest.Kind kind;

    private Training(Options o) {
        this.o = o;
        this.trainManifest = o.trainManifests().get(0);
        this.validationManifest = o.validationManifests().get(0);
    }

    /** Trains and writes the model; see the class comment. */
    public static void run(Options options) throws IOException {
        new Training(options).train();
    }

    private void train() throws IOException {
        validate();
        trainRows = readAll(o.trainManifests());
        validationRows = readAll(o.validationManifests());
        base = o.init() != null ? TaskModel.load(o.init(), DataType.FLOAT) : null;
        kind = manifestKind();
        Manifest.requireKind(validationRows, kind);
        TaskModel.Task task = kind == Manifest.Kind.AUDIO_TRANSCRIPT ? TaskModel.Task.TRANSCRIPTION : TaskModel.Task.CLASSIFICATION;
        TaskModel.SymbolUnit unit = base != null ? base.symbolUnit() : symbolUnit();
        List<String> labels = base != null ? base.labels() : task == TaskModel.Task.CLASSIFICATION
                ? new ArrayList<>(new TreeSet<>(trainRows.stream().map(Manifest.Row::label).toList()))
                : TrainingExamples.symbols(trainRows, unit);
        if (task == TaskModel.Task.CLASSIFICATION && labels.size() < 2) {
            throw new IllegalArgumentException(trainManifest + " has " + labels.size() + " distinct label(s); a classifier needs at least 2");
        }
        TaskModel.Input input = input();
        ReformerConfig config = config(input);
        Rotations.Sequence rotations = new Rotations.Sequence(o.seed());
        ReformerModel model = new ReformerModel(config, Params.init(config, o.seed(), DataType.FLOAT), rotations).dropoutSeed(o.seed());
        TaskModel taskModel = TaskModel.create(config, task, labels, unit, input, model, o.seed());
        if (base != null) startFrom(taskModel);
        List<Example> train = TrainingExamples.of(trainRows, frames, taskModel, trainManifest);
        List<Example> validation = TrainingExamples.of(validationRows, frames, taskModel, validationManifest);
        int batches = (train.size() + o.batchSize() - 1) / o.batchSize();
        Trainer trainer = new Trainer(taskModel.trainable(), rotations, new Trainer.Settings(o.epochs(), o.batchSize(), o.learningRate(),
                o.weightDecay(), o.clipNorm(), o.warmupSteps(), o.patience(), o.seed()), batches);
        augment(trainer, input);
        Files.createDirectories(o.out());
        System.err.printf("%s on %d examples (%s), validating on %d; %d layers, %d batches/epoch%n",
                task == TaskModel.Task.CLASSIFICATION ? "classification" : "transcription", train.size(),
                task == TaskModel.Task.CLASSIFICATION ? labels.size() + " labels: " + String.join(", ", labels)
                        : (labels.size() - 1) + " symbols: " + String.join(unit == TaskModel.SymbolUnit.WORD ? " " : "", labels.subList(1, labels.size())),
                validation.size(), config.numHiddenLayers(), batches);
        long started = System.nanoTime();
        List<Trainer.EpochMetrics> history = trainer.run(train, validation, o.out().resolve("checkpoint"), new TrainingProgressBar(o.epochs()));
        double seconds = (System.nanoTime() - started) / 1e9;
        taskModel.save(o.out());
        writeResults(history, trainer, task, unit, labels, seconds);
    }

    private void validate() {
        int maxLength = o.maxLength(), bytesPerPosition = o.bytesPerPosition(), ngramBuckets = o.ngramBuckets(), frameStack = o.frameStack();
        if (maxLength < 64 || maxLength % 64 != 0) {
            throw new IllegalArgumentException("--max-length " + maxLength + " must be a multiple of 64, at least 64");
        }
        if (bytesPerPosition < 1 || bytesPerPosition > 64) throw new IllegalArgumentException("--bytes-per-position " + bytesPerPosition + " must be 1..64");
        if (ngramBuckets < 0 || ngramBuckets > 1 << 20) throw new IllegalArgumentException("--ngram-buckets " + ngramBuckets + " must be 0..1048576");
        if (frameStack < 1 || frameStack > 16) throw new IllegalArgumentException("--frame-stack " + frameStack + " must be 1..16");
    }

    private TaskModel.SymbolUnit symbolUnit() {
        return switch (o.symbolUnit()) {
            case "characters" -> TaskModel.SymbolUnit.CHARACTER;
            case "words" -> TaskModel.SymbolUnit.WORD;
            default -> throw new IllegalArgumentException("--symbols " + o.symbolUnit() + ": use characters or words");
        };
    }

    /** The model's input: the --init model's, bytes, or log-mel frames standardised with the training set's statistics (which it computes). */
    private TaskModel.Input input() throws IOException {
        TaskModel.Input input = base != null ? base.input() : TaskModel.Input.bytes(o.maxLength(), o.bytesPerPosition(), o.ngramBuckets());
        if (!kind.audio) return input;
        if (base == null && o.ngramBuckets() > 0) throw new IllegalArgumentException("--ngram-buckets is for text; " + trainManifest + " holds " + kind.description);
        FeatureConfig features = base != null ? input.features() : FeatureConfig.logMel();
        frames.putAll(AudioInput.frames(trainRows, features, "training"));
        frames.putAll(AudioInput.frames(validationRows, features, "validation"));
        if (base != null) return input;
        List<float[][]> clips = trainRows.stream().map(frames::get).toList();
        float[][] stats = FeatureStats.meanAndStd(clips, features.dimension());
        return new TaskModel.Input(true, o.maxLength(), features, o.frameStack(), o.centred() ? new float[stats[0].length] : stats[0],
                o.centred() ? FeatureStats.centredStd(clips, features.dimension()) : stats[1], 0, o.centred());
    }

    private ReformerConfig config(TaskModel.Input input) throws IOException {
        ReformerConfig config = base != null ? base.config() : o.configFile() != null ? ReformerConfig.read(o.configFile())
                : TaskModel.defaultConfig(o.maxLength(), !input.audio() && !input.byteGroups());
        if (!input.audio() && !input.byteGroups() && config.vocabSize() < TaskModel.BYTE_VOCABULARY) throw new IllegalArgumentException("config field vocab_size is "
                + config.vocabSize() + "; byte input needs at least 258 (256 bytes + padding + 1 reserved)");
        if ((long) o.ngramBuckets() * config.hiddenSize() > 1 << 24) throw new IllegalArgumentException("--ngram-buckets " + o.ngramBuckets()
                + " x hidden_size " + config.hiddenSize() + " is more than 16,777,216 weights (64 MB); use fewer buckets");
        if (config.maxPositionEmbeddings() < input.maxLength() && !config.isStreaming()) throw new IllegalArgumentException("config field max_position_embeddings is "
                + config.maxPositionEmbeddings() + ", less than --max-length " + input.maxLength());
        if (config.isStreaming() && input.centred()) throw new IllegalArgumentException("--centre subtracts each clip's own mean, which a"
                + " streaming model (streaming_context_length) does not have when it reads a stream hop by hop; leave --centre out");
        return config;
    }

    /** The voice first: it reshapes the spectrum, and masks put in before it would be stretched and shifted off zero. */
    private void augment(Trainer trainer, TaskModel.Input input) {
        if (o.voiceAugment()) {
            if (!kind.audio) throw new IllegalArgumentException("--voice-augment stretches log-mel spectra, and these manifests hold text; leave --voice-augment out for text models");
            trainer.augmenting(VoiceAugment.typical(FeatureStats.bandCentresHz(input.features()), input.mean(), input.std()));
        }
        if (o.specAugment()) {
            if (!kind.audio) throw new IllegalArgumentException("--spec-augment masks audio features, and these manifests hold text; leave --spec-augment out for text models");
            trainer.augmenting(SpecAugment.mild(input.features().dimension()));
        }
    }

    private static List<Manifest.Row> readAll(List<Path> manifests) throws IOException {
        List<Manifest.Row> rows = new ArrayList<>();
        for (Path m : manifests) rows.addAll(Manifest.read(m));
        return rows;
    }

    /** Classification or transcription, from --task, the --init model, or (auto) what every row carries. */
    private Manifest.Kind manifestKind() {
        Manifest.Kind found = Manifest.kindOf(trainRows, trainManifest);
        if (!found.audio) return found;
        String wanted = base != null ? base.task().name().toLowerCase(Locale.ROOT) : o.taskName();
        Manifest.Kind kind = switch (wanted) {
            case "auto" -> found;
            case "classification" -> Manifest.Kind.AUDIO_LABEL;
            case "transcription" -> Manifest.Kind.AUDIO_TRANSCRIPT;
            default -> throw new IllegalArgumentException("--task " + wanted + ": use auto, classification or transcription");
        };
        if (base != null && !o.taskName().equals("auto") && !o.taskName().equals(wanted)) {
            throw new IllegalArgumentException("--task " + o.taskName() + ", but --init " + o.init() + " is a " + wanted + " model; leave --task out");
        }
        Manifest.requireKind(trainRows, kind);
        return kind;
    }

    /** Fine-tuning: copies the --init model's weights into the fresh one (same config, labels and input, so the same tensors). */
    private void startFrom(TaskModel fresh) {
        Map<String, INDArray> from = base.trainable().params();
        fresh.trainable().params().forEach((name, tensor) -> {
            INDArray source = from.get(name);
            if (source == null || !Arrays.equals(source.shape(), tensor.shape())) {
                throw new IllegalArgumentException("--init " + o.init() + ": tensor " + name + " is " + (source == null ? "missing"
                        : Arrays.toString(source.shape()) + ", the model needs " + Arrays.toString(tensor.shape())));
            }
            tensor.assign(source);
        });
        System.err.printf("starting from %s (%d tensors)%n", o.init(), from.size());
    }

    /** What the validation score is: accuracy, or one minus the error rate of the transcriber's symbols. */
    private static String scoreName(TaskModel.Task task, TaskModel.SymbolUnit unit) {
        return task == TaskModel.Task.CLASSIFICATION ? "accuracy" : unit == TaskModel.SymbolUnit.WORD ? "1 - word error rate" : "1 - character error rate";
    }

    /** metrics.json, loss.png and accuracy.png; seconds: of training and validation in this invocation (a resumed run counts only its own part). */
    private void writeResults(List<Trainer.EpochMetrics> history, Trainer trainer, TaskModel.Task task, TaskModel.SymbolUnit unit,
                              List<String> labels, double seconds) throws IOException {
        String score = scoreName(task, unit);
        ObjectMapper json = new ObjectMapper();
        ObjectNode metrics = json.createObjectNode();
        metrics.put("command", o.commandLine())
                .put("training_seconds", Math.round(seconds)).put("threads", Runtime.getRuntime().availableProcessors())
                .put("omp_num_threads", String.valueOf(System.getenv("OMP_NUM_THREADS")));
        metrics.put("task", task.name().toLowerCase(Locale.ROOT))
                .put("validation_accuracy_means", score)
                .put("best_epoch", trainer.bestEpoch()).put("best_validation_accuracy", trainer.bestAccuracy());
        ArrayNode names = metrics.putArray(task == TaskModel.Task.CLASSIFICATION ? "labels" : "symbols");
        labels.forEach(names::add);
        ArrayNode epochsNode = metrics.putArray("epochs");
        history.forEach(m -> epochsNode.add(json.valueToTree(m)));
        Files.writeString(o.out().resolve("metrics.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(metrics));
        Map<String, double[]> losses = new LinkedHashMap<>(); // insertion order: the same legend every run
        losses.put("train", history.stream().mapToDouble(Trainer.EpochMetrics::trainLoss).toArray());
        losses.put("validation", history.stream().mapToDouble(Trainer.EpochMetrics::validationLoss).toArray());
        Charts.line(o.out().resolve("loss.png"), "loss", task == TaskModel.Task.CLASSIFICATION ? "cross-entropy" : "CTC loss", losses);
        Charts.line(o.out().resolve("accuracy.png"), "validation " + score, score, Map.of(
                "validation", history.stream().mapToDouble(Trainer.EpochMetrics::validationAccuracy).toArray()));
        System.err.printf("best validation %s %.4f at epoch %d; model, metrics.json, loss.png, accuracy.png in %s%n",
                score, trainer.bestAccuracy(), trainer.bestEpoch(), o.out());
    }
}
