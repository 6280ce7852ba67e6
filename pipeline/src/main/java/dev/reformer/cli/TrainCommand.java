package dev.reformer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reformer.model.Params;
import dev.reformer.model.ReformerConfig;
import dev.reformer.model.ReformerModel;
import dev.reformer.model.io.ModelFiles;
import dev.reformer.model.io.SafeTensors;
import dev.reformer.model.layers.Rotations;
import dev.reformer.model.train.Example;
import dev.reformer.model.train.SequenceClassifier;
import dev.reformer.model.train.Trainer;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a Reformer sequence classifier from JSONL manifests.",
                "Each manifest line is {\"text\": \"...\", \"label\": \"...\"}; the text is read as UTF-8 bytes (ids 2-257;"
                        + " 0 is padding) and cut to --max-length. Labels are the sorted distinct labels of the training set.",
                "Shows a progress bar (loss, examples/s, ETA), evaluates on the validation set after every epoch, stops"
                        + " early after --patience epochs without a better validation accuracy, and writes into --out:"
                        + " config.json (with id2label) and model.safetensors of the best epoch, metrics.json, loss.png,"
                        + " accuracy.png, and checkpoint/ from which the same command resumes exactly where it stopped.",
                "Audio manifests (a \"wav\" field) need the audio front-end, which is not built yet."},
        footer = {"", "Example: ./reformer train --train data/train.jsonl --validation data/val.jsonl --out models/spam --epochs 10"})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--train", required = true, paramLabel = "FILE", description = "Training manifest (JSONL).")
    Path trainManifest;

    @Option(names = "--validation", required = true, paramLabel = "FILE", description = "Validation manifest (JSONL).")
    Path validationManifest;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the model, metrics, plots and checkpoint go.")
    Path out;

    @Option(names = "--config", paramLabel = "FILE",
            description = "A config.json (ReformerConfig fields); vocab_size must be at least 258. Default: a small model.")
    Path configFile;

    @Option(names = "--max-length", defaultValue = "512", description = "Bytes per example, a multiple of 64 (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--epochs", defaultValue = "10", description = "At most this many epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "8", description = "Examples per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--learning-rate", defaultValue = "3e-3", description = "Peak AdamW learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

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
        if (maxLength < 128 || maxLength % 64 != 0) {
            throw new IllegalArgumentException("--max-length " + maxLength + " must be a multiple of 64, at least 128");
        }
        List<String[]> trainRows = Manifest.read(trainManifest), validationRows = Manifest.read(validationManifest);
        List<String> labels = new ArrayList<>(new TreeSet<>(trainRows.stream().map(r -> r[1]).toList()));
        if (labels.size() < 2) throw new IllegalArgumentException(trainManifest + " has " + labels.size()
                + " distinct label(s); a classifier needs at least 2");
        List<Example> train = examples(trainRows, labels, trainManifest);
        List<Example> validation = examples(validationRows, labels, validationManifest);

        ReformerConfig config = configFile != null ? ReformerConfig.read(configFile) : defaultConfig(maxLength);
        if (config.vocabSize() < 258) throw new IllegalArgumentException("config field vocab_size is " + config.vocabSize()
                + "; byte input needs at least 258 (256 bytes + padding + 1 reserved)");
        Rotations.Sequence rotations = new Rotations.Sequence(seed);
        ReformerModel model = new ReformerModel(config, Params.init(config, seed, DataType.FLOAT), rotations).dropoutSeed(seed);
        SequenceClassifier classifier = SequenceClassifier.withNewHead(model, labels.size(), seed + 1);
        int batches = (train.size() + batchSize - 1) / batchSize;
        Trainer trainer = new Trainer(classifier, rotations, new Trainer.Settings(epochs, batchSize, learningRate,
                weightDecay, clipNorm, warmupSteps, patience, seed), batches);

        Files.createDirectories(out);
        System.err.printf("training on %d examples (%d labels: %s), validating on %d; %d layers, %d batches/epoch%n",
                train.size(), labels.size(), String.join(", ", labels), validation.size(), config.numHiddenLayers(), batches);
        List<Trainer.EpochMetrics> history = trainer.run(train, validation, out.resolve("checkpoint"), new ProgressBar(epochs));

        save(classifier, config, labels, out);
        writeMetrics(history, trainer, labels);
        Map<String, double[]> losses = new LinkedHashMap<>(); // insertion order: the same legend every run
        losses.put("train", history.stream().mapToDouble(Trainer.EpochMetrics::trainLoss).toArray());
        losses.put("validation", history.stream().mapToDouble(Trainer.EpochMetrics::validationLoss).toArray());
        Charts.line(out.resolve("loss.png"), "loss", "cross-entropy", losses);
        Charts.line(out.resolve("accuracy.png"), "validation accuracy", "accuracy", Map.of(
                "validation", history.stream().mapToDouble(Trainer.EpochMetrics::validationAccuracy).toArray()));
        System.err.printf("best validation accuracy %.4f at epoch %d; model, metrics.json, loss.png, accuracy.png in %s%n",
                trainer.bestAccuracy(), trainer.bestEpoch(), out);
        return 0;
    }

    /** A small default: d_model 64, 2 heads x 32, local and LSH layers alternating, chunk 64, dropout 0.05. */
    static ReformerConfig defaultConfig(int maxLength) {
        return ReformerConfig.builder()
                .hiddenSize(64).numAttentionHeads(2).attentionHeadSize(32).attnLayers(List.of("local", "lsh", "local", "lsh"))
                .numHashes(2).numBuckets(List.of()).lshAttnChunkLength(64).localAttnChunkLength(64)
                .feedForwardSize(128).axialPosShape(List.of(64, maxLength / 64)).axialPosEmbdsDim(List.of(32, 32))
                .maxPositionEmbeddings(maxLength).vocabSize(258).initializerRange(0.1).axialNormStd(0.1)
                .hiddenDropoutProb(0.05).localAttentionProbsDropoutProb(0.05).build();
    }

    private List<Example> examples(List<String[]> rows, List<String> labels, Path manifest) {
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            int label = labels.indexOf(rows.get(i)[1]);
            if (label < 0) throw new IllegalArgumentException(manifest + ": line " + (i + 1) + " has label \""
                    + rows.get(i)[1] + "\", which the training manifest never uses");
            out.add(Example.tokens(bytes(rows.get(i)[0], maxLength), label));
        }
        return out;
    }

    /** UTF-8 bytes as ids 2..257, at most max of them (at least one). */
    static int[] bytes(String text, int max) {
        byte[] raw = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[Math.max(1, Math.min(max, raw.length))];
        ids[0] = 2; // an empty text is one zero byte
        for (int i = 0; i < Math.min(max, raw.length); i++) ids[i] = 2 + (raw[i] & 0xff);
        return ids;
    }

    private static void save(SequenceClassifier classifier, ReformerConfig config, List<String> labels, Path dir) throws IOException {
        ObjectNode json = config.toJson();
        ObjectNode id2label = json.putObject("id2label");
        for (int i = 0; i < labels.size(); i++) id2label.put(String.valueOf(i), labels.get(i));
        Files.writeString(dir.resolve(ModelFiles.CONFIG), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(json));
        SafeTensors.write(dir.resolve(ModelFiles.WEIGHTS), classifier.params(), Map.of("format", "pt", "written_by", "reformer-flink train"));
    }

    private void writeMetrics(List<Trainer.EpochMetrics> history, Trainer trainer, List<String> labels) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode metrics = json.createObjectNode();
        metrics.put("best_epoch", trainer.bestEpoch()).put("best_validation_accuracy", trainer.bestAccuracy());
        ArrayNode names = metrics.putArray("labels");
        labels.forEach(names::add);
        ArrayNode epochsNode = metrics.putArray("epochs");
        history.forEach(m -> epochsNode.add(json.valueToTree(m)));
        Files.writeString(out.resolve("metrics.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(metrics));
    }

    /** JSONL manifests of text and label; every problem names the file and line. */
    static final class Manifest {
        static List<String[]> read(Path file) throws IOException {
            if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + " does not exist");
            List<String[]> rows = new ArrayList<>();
            ObjectMapper json = new ObjectMapper();
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) continue;
                String where = file + ":" + (i + 1) + ": ";
                JsonNode node;
                try {
                    node = json.readTree(lines.get(i));
                } catch (IOException e) {
                    throw new IllegalArgumentException(where + "not a JSON object (" + e.getMessage().lines().findFirst().orElse("") + ")");
                }
                if (node.has("wav")) throw new IllegalArgumentException(where + "audio examples need the audio front-end,"
                        + " which is not built yet; train on text ({\"text\": ..., \"label\": ...}) for now");
                if (!node.path("text").isTextual()) throw new IllegalArgumentException(where + "needs a string \"text\"");
                if (!node.has("label") || node.get("label").isContainerNode() || node.get("label").isNull()) {
                    throw new IllegalArgumentException(where + "needs a \"label\" (a string or a number)");
                }
                rows.add(new String[]{node.get("text").asText(), node.get("label").asText()});
            }
            if (rows.isEmpty()) throw new IllegalArgumentException(file + " holds no examples");
            return rows;
        }
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
}
