package dev.reformer.model.train;

import dev.reformer.model.Params;
import dev.reformer.model.ReformerConfig;
import dev.reformer.model.ReformerModel;
import dev.reformer.model.TestData;
import dev.reformer.model.layers.Rotations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainerTest {
    static final Trainer.Settings SETTINGS = new Trainer.Settings(3, 4, 3e-3, 0.01, 1.0, 2, 5, 7);

    static List<Example> data(long seed, int n) {
        Random random = new Random(seed);
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int length = 20 + random.nextInt(40), label = random.nextInt(2);
            int[] ids = new int[length];
            for (int t = 0; t < length; t++) ids[t] = 3 + random.nextInt(30);
            ids[random.nextInt(length)] = 1 + label; // the label's token, somewhere
            out.add(Example.tokens(ids, label));
        }
        return out;
    }

    static SequenceClassifier classifier(Rotations.Sequence rotations) {
        ReformerConfig config = TestData.small().hashSeed(null).initializerRange(0.1).build();
        return SequenceClassifier.withNewHead(new ReformerModel(config, Params.init(config, 3, DataType.FLOAT), rotations), 2, 4);
    }

    static final Trainer.Listener QUIET = new Trainer.Listener() {
        public void batch(int epoch, int batch, int batches, double loss, double examplesPerSecond) {}

        public void epoch(Trainer.EpochMetrics metrics, boolean best) {}
    };

    @Test
    void learnsAndResumesExactlyWhereItStopped(@TempDir Path dir) throws Exception {
        List<Example> train = data(1, 24), validation = data(2, 12);
        Rotations.Sequence straightRotations = new Rotations.Sequence(9);
        SequenceClassifier straight = classifier(straightRotations);
        List<Trainer.EpochMetrics> history = new Trainer(straight, straightRotations, SETTINGS, 6)
                .run(train, validation, dir.resolve("straight"), QUIET);
        assertEquals(3, history.size());
        assertTrue(history.get(2).trainLoss() < history.get(0).trainLoss(), "training lowered the loss: " + history);

        // the same run, killed after its first epoch's checkpoint, then started again
        Rotations.Sequence firstRotations = new Rotations.Sequence(9);
        RuntimeException killed = new RuntimeException("killed");
        assertThrows(RuntimeException.class, () -> new Trainer(classifier(firstRotations), firstRotations, SETTINGS, 6)
                .run(train, validation, dir.resolve("resumed"), new Trainer.Listener() {
                    public void batch(int epoch, int batch, int batches, double loss, double examplesPerSecond) {}

                    public void epoch(Trainer.EpochMetrics metrics, boolean best) { throw killed; }
                }));
        Rotations.Sequence resumedRotations = new Rotations.Sequence(9);
        SequenceClassifier resumed = classifier(resumedRotations);
        List<Trainer.EpochMetrics> resumedHistory = new Trainer(resumed, resumedRotations, SETTINGS, 6)
                .run(train, validation, dir.resolve("resumed"), QUIET);
        assertEquals(history, resumedHistory.stream().map(m -> new Trainer.EpochMetrics(m.epoch(), m.trainLoss(),
                m.validationLoss(), m.validationAccuracy(), history.get(m.epoch() - 1).examplesPerSecond())).toList());
        Map<String, INDArray> a = straight.params(), b = resumed.params();
        for (String name : a.keySet()) assertEquals(0.0, a.get(name).sub(b.get(name)).amaxNumber().doubleValue(), name);
    }

    @Test
    void anAugmentationSeesEveryTrainingBatchAndNoValidationBatch(@TempDir Path dir) throws Exception {
        List<Example> train = data(1, 24), validation = data(2, 12);
        Rotations.Sequence rotations = new Rotations.Sequence(9);
        List<List<Example>> seen = new ArrayList<>();
        List<Long> draws = new ArrayList<>();
        new Trainer(classifier(rotations), rotations, SETTINGS, 6).augmenting((batch, random) -> {
            seen.add(batch);
            draws.add(random.nextLong());
            return batch;
        }).run(train, validation, dir, QUIET);
        assertEquals(3 * 6, seen.size(), "3 epochs of 6 batches of 4");
        for (List<Example> batch : seen) for (Example e : batch) assertTrue(train.contains(e), "only training examples are augmented");
        assertEquals(seen.size(), new java.util.HashSet<>(draws).size(), "each batch draws its own masks");
    }
}
