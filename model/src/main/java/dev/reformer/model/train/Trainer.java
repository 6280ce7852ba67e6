package dev.reformer.model.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reformer.model.Scratch;
import dev.reformer.model.io.SafeTensors;
import dev.reformer.model.layers.Rotations;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Trains a {@link Trainable} (a classifier or a transcriber): shuffled mini-batches, AdamW, an evaluation on the validation set
 * after every epoch, early stopping, the best model on validation kept, and a checkpoint after every epoch
 * from which a run resumes exactly (parameters, optimizer moments and step, epoch, rotation draws,
 * dropout passes).
 */
public final class Trainer {
    /** @param patience epochs without a better validation accuracy before stopping */
    public record Settings(int epochs, int batchSize, double learningRate, double weightDecay, double clipNorm,
                           int warmupSteps, int patience, long seed) {}

    public record EpochMetrics(@JsonProperty("epoch") int epoch, @JsonProperty("train_loss") double trainLoss,
                               @JsonProperty("validation_loss") double validationLoss,
                               /** accuracy for classification, 1 - label error rate for transcription */
                               @JsonProperty("validation_accuracy") double validationAccuracy,
                               @JsonProperty("examples_per_second") double examplesPerSecond) {}

    /** Told of progress within an epoch and of each finished epoch. */
    public interface Listener {
        void batch(int epoch, int batch, int batches, double loss, double examplesPerSecond);

        void epoch(EpochMetrics metrics, boolean best);

        /** Told once when the run continues from a checkpoint. */
        default void resumed(int epochsDone) {}
    }

    /** Changes a training batch before its step (never a validation batch), e.g. {@link SpecAugment}. */
    public interface Augmentation {
        List<Example> apply(List<Example> batch, Random random);
    }

    static final String STATE = "state.safetensors", BEST = "best.safetensors";
    /** A step's temporaries live in scratch memory; parameters, gradient buffers and moments are updated in place. */
    private static final String SCRATCH = "reformer-training";

    private final Trainable trainee;
    private final Rotations.Sequence rotations;
    private final Settings settings;
    private final AdamW optimizer;
    private final List<EpochMetrics> history = new ArrayList<>();
    private int epochsDone, bestEpoch, staleEpochs;
    private double bestAccuracy = Double.NEGATIVE_INFINITY;   // 1 - CER can be below -1 early on
    private Augmentation augmentation;

    /** rotations: the sequence the trainee's model draws from (its position is checkpointed). */
    public Trainer(Trainable trainee, Rotations.Sequence rotations, Settings settings, int batchesPerEpoch) {
        this.trainee = trainee;
        this.rotations = rotations;
        this.settings = settings;
        this.optimizer = new AdamW(new AdamW.Settings(settings.learningRate(), settings.weightDecay(),
                settings.clipNorm(), settings.warmupSteps(), settings.epochs() * batchesPerEpoch));
    }

    /** Augments every training batch from now on, after the augmentations given before. */
    public Trainer augmenting(Augmentation next) {
        Augmentation before = augmentation;
        augmentation = before == null ? next : (batch, random) -> next.apply(before.apply(batch, random), random);
        return this;
    }

    public List<EpochMetrics> history() { return List.copyOf(history); }

    public int bestEpoch() { return bestEpoch; }

    public double bestAccuracy() { return bestAccuracy; }

    /**
     * Runs the remaining epochs, checkpointing into dir after each, and leaves the best parameters on
     * validation in the trainee at the end.
     */
    public List<EpochMetrics> run(List<Example> train, List<Example> validation, Path dir, Listener listener) throws IOException {
        Files.createDirectories(dir);
        if (Files.exists(dir.resolve(STATE))) {
            resume(dir);
            listener.resumed(epochsDone);
        }
        while (epochsDone < settings.epochs() && staleEpochs < settings.patience()) {
            int epoch = epochsDone + 1;
            List<Example> order = new ArrayList<>(train);
            Collections.shuffle(order, new Random(settings.seed() * 31 + epoch)); // per-epoch order: resumable
            int batches = (order.size() + settings.batchSize() - 1) / settings.batchSize();
            double lossSum = 0;
            long started = System.nanoTime();
            for (int b = 0; b < batches; b++) {
                List<Example> batch = order.subList(b * settings.batchSize(), Math.min(order.size(), (b + 1) * settings.batchSize()));
                // seeded by epoch and batch, like the order: a resumed run draws the same masks. Spread by the golden
                // ratio: java.util.Random's first draws from consecutive seeds are almost equal
                long batchSeed = ((settings.seed() * 31 + epoch) * 1_000_003L + b) * 0x9E3779B97F4A7C15L;
                List<Example> part = augmentation == null ? batch : augmentation.apply(batch, new Random(batchSeed));
                double loss = Scratch.run(SCRATCH, () -> {
                    double batchLoss = trainee.lossAndGradients(part);
                    optimizer.update(trainee.params(), trainee.gradients());
                    return batchLoss;
                });
                lossSum += loss * part.size();
                double seconds = (System.nanoTime() - started) / 1e9;
                listener.batch(epoch, b + 1, batches, loss, Math.min(order.size(), (b + 1) * settings.batchSize()) / seconds);
            }
            double examplesPerSecond = order.size() / ((System.nanoTime() - started) / 1e9);
            double[] evaluation = evaluate(validation);
            EpochMetrics metrics = new EpochMetrics(epoch, lossSum / order.size(), evaluation[0], evaluation[1], examplesPerSecond);
            history.add(metrics);
            boolean best = metrics.validationAccuracy() > bestAccuracy;
            if (best) {
                bestAccuracy = metrics.validationAccuracy();
                bestEpoch = epoch;
                staleEpochs = 0;
                SafeTensors.write(dir.resolve(BEST), trainee.params(), Map.of("epoch", String.valueOf(epoch)));
            } else {
                staleEpochs++;
            }
            epochsDone = epoch;
            checkpoint(dir);
            listener.epoch(metrics, best);
        }
        restoreParams(SafeTensors.read(dir.resolve(BEST)));
        return history();
    }

    /** Mean loss and score (accuracy, or 1 - label error rate) over examples, in batches. */
    public double[] evaluate(List<Example> examples) {
        double loss = 0, correct = 0, total = 0;
        for (int b = 0; b < examples.size(); b += settings.batchSize()) {
            List<Example> part = examples.subList(b, Math.min(examples.size(), b + settings.batchSize()));
            Trainable.Score score = Scratch.run(SCRATCH, () -> trainee.evaluate(part));
            loss += score.loss() * part.size();
            correct += score.correct();
            total += score.total();
        }
        return new double[]{loss / examples.size(), correct / total};
    }

    private void checkpoint(Path dir) throws IOException {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        trainee.params().forEach((name, t) -> tensors.put("param/" + name, t));
        optimizer.state().forEach((name, t) -> tensors.put("optimizer/" + name, t));
        ObjectMapper json = new ObjectMapper();
        ObjectNode state = json.createObjectNode();
        state.put("epochs_done", epochsDone).put("optimizer_step", optimizer.step()).put("rotation_draws", rotations.draws())
                .put("dropout_passes", trainee.encoder().model().dropoutPasses())
                .put("best_epoch", bestEpoch).put("best_accuracy", bestAccuracy).put("stale_epochs", staleEpochs);
        ArrayNode epochs = state.putArray("history");
        history.forEach(m -> epochs.add(json.valueToTree(m)));
        Path temporary = dir.resolve(STATE + ".tmp");
        SafeTensors.write(temporary, tensors, Map.of("trainer_state", json.writeValueAsString(state)));
        Files.move(temporary, dir.resolve(STATE), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private void resume(Path dir) throws IOException {
        Map<String, INDArray> tensors = SafeTensors.read(dir.resolve(STATE));
        var state = new ObjectMapper().readTree(SafeTensors.readMetadata(dir.resolve(STATE)).get("trainer_state"));
        Map<String, INDArray> params = new LinkedHashMap<>(), moments = new LinkedHashMap<>();
        tensors.forEach((name, t) -> {
            if (name.startsWith("param/")) params.put(name.substring(6), t);
            else if (name.startsWith("optimizer/")) moments.put(name.substring(10), t);
        });
        restoreParams(params);
        optimizer.restore(moments, state.get("optimizer_step").asLong());
        rotations.resumeAt(state.get("rotation_draws").asLong());
        trainee.encoder().model().resumeDropoutAt(state.get("dropout_passes").asLong());
        epochsDone = state.get("epochs_done").asInt();
        bestEpoch = state.get("best_epoch").asInt();
        bestAccuracy = state.get("best_accuracy").asDouble();
        staleEpochs = state.get("stale_epochs").asInt();
        history.clear();
        ObjectMapper json = new ObjectMapper();
        for (var m : state.get("history")) history.add(json.treeToValue(m, EpochMetrics.class));
    }

    private void restoreParams(Map<String, INDArray> saved) {
        Map<String, INDArray> params = trainee.params();
        for (String name : saved.keySet()) {
            if (!params.containsKey(name)) throw new IllegalStateException("the checkpoint has " + name + ", which this model does not;"
                    + " delete the checkpoint directory or train with the config and options it was written with");
        }
        for (var e : params.entrySet()) {
            INDArray t = saved.get(e.getKey());
            if (t == null || !java.util.Arrays.equals(t.shape(), e.getValue().shape())) {
                throw new IllegalStateException("the checkpoint does not fit this model: " + e.getKey()
                        + "; delete the checkpoint directory or train with the config and options it was written with");
            }
            e.getValue().assign(t.castTo(e.getValue().dataType()));
        }
    }
}
