package dev.reformer.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reformer.model.Params;
import dev.reformer.model.ReformerConfig;
import dev.reformer.model.ReformerModel;
import dev.reformer.model.TestData;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Text read k bytes per position: the lookup equals the projection of concatenated one-hot bytes, and learns by it. */
class ByteGroupsTest {
    static final int K = 3;

    static ReformerConfig config() {
        return TestData.small().initializerRange(0.3)   // no dropout: the loss is a function of the parameters
                .hiddenDropoutProb(0).localAttentionProbsDropoutProb(0).lshAttentionProbsDropoutProb(0).build();
    }

    /** Byte ids (value + 2) of random texts of the given lengths, some not a multiple of K. */
    static List<int[]> texts(Random random, int... lengths) {
        List<int[]> texts = new ArrayList<>();
        for (int n : lengths) {
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) ids[i] = Encoder.BYTE_ID_OFFSET + random.nextInt(Encoder.BYTE_VALUES);
            texts.add(ids);
        }
        return texts;
    }

    /** The same text as explicit features: position t holds K one-hot blocks of 256, zeros for bytes past the end. */
    static float[][] oneHotGroups(int[] ids) {
        float[][] frames = new float[(ids.length + K - 1) / K][Encoder.BYTE_VALUES * K];
        for (int i = 0; i < ids.length; i++) frames[i / K][Encoder.BYTE_VALUES * (i % K) + ids[i] - Encoder.BYTE_ID_OFFSET] = 1;
        return frames;
    }

    @Test
    void lookupEqualsTheProjectionOfOneHotBytesForUnevenLengths() {
        ReformerConfig config = config();
        ReformerModel model = new ReformerModel(config, Params.init(config, 1, DataType.DOUBLE));
        Encoder grouped = Encoder.ofByteGroups(model, K, 7);
        Encoder explicit = new Encoder(model, grouped.params().get(Encoder.PROJECTION_WEIGHT), grouped.params().get(Encoder.PROJECTION_BIAS));
        List<int[]> texts = texts(new Random(3), 10, 7, 3, 1);
        List<Example> asBytes = new ArrayList<>(), asFeatures = new ArrayList<>();
        for (int[] ids : texts) {
            asBytes.add(Example.tokens(ids, 0));
            asFeatures.add(Example.features(oneHotGroups(ids), 0));
        }
        Encoder.Batch bytes = grouped.batch(asBytes), features = explicit.batch(asFeatures);
        assertArrayEquals(new int[]{4, 3, 1, 1}, bytes.lengths(), "positions are ceil(bytes / K)");
        assertArrayEquals(features.mask(), bytes.mask());
        INDArray a = grouped.forward(bytes, false).lastHiddenState(), b = explicit.forward(features, false).lastHiddenState();
        assertArrayEquals(b.shape(), a.shape());
        assertTrue(a.sub(b).amaxNumber().doubleValue() < 1e-12, "largest difference " + a.sub(b).amaxNumber());
    }

    @Test
    void aReadOnlyEncoderGivesTheSameOutputsAndRefusesToTrain() {
        ReformerConfig config = config();
        ReformerModel model = new ReformerModel(config, Params.init(config, 1, DataType.DOUBLE));
        Encoder trainable = Encoder.ofByteGroups(model, K, 7);
        Encoder served = new Encoder(model, trainable.params().get(Encoder.PROJECTION_WEIGHT), trainable.params().get(Encoder.PROJECTION_BIAS), K)
                .readOnly();
        List<Example> examples = new ArrayList<>();
        for (int[] ids : texts(new Random(5), 9, 4)) examples.add(Example.tokens(ids, 0));
        INDArray expected = trainable.forward(trainable.batch(examples), false).lastHiddenState();
        for (int pass = 0; pass < 2; pass++) {   // the table transposed once serves every pass
            INDArray got = served.forward(served.batch(examples), false).lastHiddenState();
            assertEquals(0.0, got.sub(expected).amaxNumber().doubleValue(), "pass " + pass);
        }
        IllegalStateException training = assertThrows(IllegalStateException.class, () -> served.forward(served.batch(examples), true));
        assertTrue(training.getMessage().contains("does not train"), training.getMessage());
    }

    @Test
    void everyGradientMatchesFiniteDifferences() {
        ReformerConfig config = config();
        Random random = new Random(11);
        List<Example> examples = new ArrayList<>();
        List<int[]> texts = texts(random, 8, 5);
        for (int i = 0; i < texts.size(); i++) examples.add(Example.tokens(texts.get(i), i));
        SequenceClassifier task = SequenceClassifier.withNewHead(Encoder.ofByteGroups(new ReformerModel(config, Params.init(config, 1, DataType.DOUBLE)), K, 2), 2, 3);
        task.lossAndGradients(examples);
        Map<String, INDArray> params = task.params(), grads = task.gradients();
        INDArray projectionGrad = grads.get(Encoder.PROJECTION_WEIGHT);
        // the columns of bytes that occur get gradient; a column no byte selects gets none
        int firstByte = texts.get(0)[0] - Encoder.BYTE_ID_OFFSET;
        assertTrue(projectionGrad.getColumn(firstByte).norm2Number().doubleValue() > 0);
        for (String name : params.keySet()) {
            if (name.contains("word_embeddings")) continue;   // grouped bytes do not read them
            INDArray p = params.get(name), g = grads.get(name);
            List<Long> where = new ArrayList<>();
            Random pick = new Random(name.hashCode());
            if (name.equals(Encoder.PROJECTION_WEIGHT)) {   // mostly unused columns: check used ones, and one unused
                int hidden = (int) p.size(0);
                for (int j = 0; j < K; j++) {
                    int column = Encoder.BYTE_VALUES * j + texts.get(1)[j] - Encoder.BYTE_ID_OFFSET;
                    where.add((long) pick.nextInt(hidden) * p.size(1) + column);
                }
            }
            for (int sample = 0; sample < 3; sample++) where.add((long) (pick.nextDouble() * p.length()));
            for (long k : where) TestData.assertGradientMatchesFiniteDifference(task, examples, p, g, k, name);
        }
    }

    @Test
    void aProjectionOfTheWrongWidthOrFeatureInputIsRefused() {
        ReformerConfig config = config();
        ReformerModel model = new ReformerModel(config, Params.init(config, 1, DataType.DOUBLE));
        Encoder grouped = Encoder.ofByteGroups(model, K, 1);
        IllegalArgumentException wrongWidth = assertThrows(IllegalArgumentException.class, () -> new Encoder(model,
                grouped.params().get(Encoder.PROJECTION_WEIGHT), grouped.params().get(Encoder.PROJECTION_BIAS), K + 1));
        assertTrue(wrongWidth.getMessage().contains("columns"), wrongWidth.getMessage());
        IllegalArgumentException features = assertThrows(IllegalArgumentException.class,
                () -> grouped.batch(List.of(Example.features(new float[][]{{1f}}, 0))));
        assertTrue(features.getMessage().contains("reads bytes"), features.getMessage());
        assertEquals(K, grouped.bytesPerPosition());
    }
}
