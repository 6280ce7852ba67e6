package dev.reformer.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reformer.model.Params;
import dev.reformer.model.ReformerConfig;
import dev.reformer.model.ReformerModel;
import dev.reformer.model.TestData;
import dev.reformer.model.layers.Rotations;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Feature-frame input (audio) through the input projection, for classification and CTC transcription. */
@Tag("slow")   // trains audio models for minutes: mvn verify (failsafe), not mvn test
class AudioTasksTest {
    static final int DIMS = 6;

    /**
     * Frames that spell {@code symbols}: each symbol is a noisy one-hot held for 3-5 frames, sometimes followed by
     * a quiet frame, always when the next symbol is the same (as a pause separates a repeated word).
     */
    static float[][] spell(int[] symbols, Random random) {
        List<float[]> frames = new ArrayList<>();
        for (int j = 0; j < symbols.length; j++) {
            int s = symbols[j];
            for (int r = 0, hold = 3 + random.nextInt(3); r < hold; r++) {
                float[] f = new float[DIMS];
                for (int i = 0; i < DIMS; i++) f[i] = (float) (0.1 * random.nextGaussian());
                f[s] += 1;
                frames.add(f);
            }
            if (random.nextBoolean() || (j + 1 < symbols.length && symbols[j + 1] == s)) frames.add(new float[DIMS]);
        }
        return frames.toArray(float[][]::new);
    }

    static int[] randomSymbols(Random random, int min, int max) {
        int[] s = new int[min + random.nextInt(max - min + 1)];
        for (int i = 0; i < s.length; i++) s[i] = 1 + random.nextInt(DIMS - 1);
        return s;
    }

    @Test
    void everyGradientOfBothTasksMatchesFiniteDifferences() {
        ReformerConfig config = TestData.small().initializerRange(0.3)   // no dropout: the loss is a function of the parameters
                .hiddenDropoutProb(0).localAttentionProbsDropoutProb(0).lshAttentionProbsDropoutProb(0).build();
        Random random = new Random(5);
        List<Example> transcripts = new ArrayList<>(), labelled = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            int[] symbols = randomSymbols(random, 2, 4);
            float[][] frames = spell(symbols, random);
            transcripts.add(Example.transcript(frames, symbols));
            labelled.add(Example.features(frames, symbols[0] % 3));
        }
        for (Trainable task : List.<Trainable>of(
                SequenceTranscriber.withNewHead(Encoder.ofFeatures(new ReformerModel(config, Params.init(config, 1, DataType.DOUBLE)), DIMS, 2), DIMS, 3),
                SequenceClassifier.withNewHead(Encoder.ofFeatures(new ReformerModel(config, Params.init(config, 1, DataType.DOUBLE)), DIMS, 2), 3, 3))) {
            List<Example> examples = task instanceof SequenceTranscriber ? transcripts : labelled;
            task.lossAndGradients(examples);
            Map<String, INDArray> params = task.params(), grads = task.gradients();
            assertTrue(params.containsKey(Encoder.PROJECTION_WEIGHT));
            for (String name : params.keySet()) {
                if (name.contains("word_embeddings")) continue;   // feature input does not read them
                INDArray p = params.get(name), g = grads.get(name);
                Random pick = new Random(name.hashCode());
                for (int sample = 0; sample < 3; sample++) {
                    TestData.assertGradientMatchesFiniteDifference(task, examples, p, g, (long) (pick.nextDouble() * p.length()),
                            task.getClass().getSimpleName() + " " + name);
                }
            }
        }
    }

    @Test
    void transcriberLearnsToSpell(@TempDir Path dir) throws Exception {
        ReformerConfig config = TestData.small().hashSeed(null).initializerRange(0.1).build();
        Random random = new Random(8);
        List<Example> train = new ArrayList<>(), validation = new ArrayList<>();
        for (int i = 0; i < 288; i++) {
            int[] symbols = randomSymbols(random, 3, 7);
            (i < 256 ? train : validation).add(Example.transcript(spell(symbols, random), symbols));
        }
        Rotations.Sequence rotations = new Rotations.Sequence(3);
        SequenceTranscriber transcriber = SequenceTranscriber.withNewHead(
                Encoder.ofFeatures(new ReformerModel(config, Params.init(config, 4, DataType.FLOAT), rotations), DIMS, 5), DIMS, 6);
        Trainer trainer = new Trainer(transcriber, rotations, new Trainer.Settings(8, 8, 1e-2, 0.0, 1.0, 10, 8, 9), 32);
        List<Trainer.EpochMetrics> history = trainer.run(train, validation, dir, TrainerTest.QUIET);
        double accuracy = history.get(history.size() - 1).validationAccuracy();
        assertTrue(trainer.bestAccuracy() > 0.9, "1 - label error rate on held-out sequences: " + history);
        int[][] decoded = transcriber.transcribe(validation.subList(0, 4));
        int right = 0;
        for (int i = 0; i < 4; i++) if (java.util.Arrays.equals(decoded[i], validation.get(i).target())) right++;
        assertTrue(right >= 2, "whole sequences spelled right: " + right + " of 4 (last epoch score " + accuracy + ")");
    }

    @Test
    void examplesOfTheWrongKindAreRefusedClearly() {
        ReformerConfig config = TestData.small().build();
        Encoder tokens = Encoder.ofTokens(new ReformerModel(config, Params.init(config, 1, DataType.FLOAT)));
        Encoder features = Encoder.ofFeatures(new ReformerModel(config, Params.init(config, 1, DataType.FLOAT)), DIMS, 1);
        Example spoken = Example.features(new float[][]{new float[DIMS]}, 0), written = Example.tokens(new int[]{3}, 0);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> tokens.batch(List.of(spoken))).getMessage().contains("token ids"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> features.batch(List.of(written))).getMessage().contains("feature frames"));
        Example narrow = Example.features(new float[][]{new float[DIMS - 1]}, 0);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> features.batch(List.of(narrow))).getMessage().contains("takes " + DIMS));
        assertEquals(3, SequenceTranscriber.editDistance(new int[]{1, 2, 3}, new int[]{4, 5, 6}));
        assertEquals(1, SequenceTranscriber.editDistance(new int[]{1, 2, 3}, new int[]{1, 3}));
    }
}
