package dev.reformer.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Random;

/** Deterministic random inputs and small configs for tests. */
public final class TestData {
    private TestData() {}

    public static INDArray randn(long seed, DataType dtype, long... shape) {
        Random random = new Random(seed);
        long n = 1;
        for (long s : shape) n *= s;
        double[] values = new double[(int) n];
        for (int i = 0; i < values.length; i++) values[i] = random.nextGaussian();
        return Nd4j.create(values, shape, DataType.DOUBLE).castTo(dtype);
    }

    public static int[][] tokens(long seed, int batch, int length, int vocab) {
        Random random = new Random(seed);
        int[][] ids = new int[batch][length];
        for (int[] row : ids) for (int t = 0; t < length; t++) row[t] = 1 + random.nextInt(vocab - 1);
        return ids;
    }

    /** A small model: hidden 32, 2 heads x 16, chunks of 8, axial 8 x 8 = 64 positions. */
    public static ReformerConfig.Builder small() {
        return ReformerConfig.builder()
                .hiddenSize(32).numAttentionHeads(2).attentionHeadSize(16)
                .attnLayers(List.of("local", "lsh")).numHashes(2).numBuckets(4)
                .lshAttnChunkLength(8).localAttnChunkLength(8)
                .feedForwardSize(48).axialPosShape(List.of(8, 8)).axialPosEmbdsDim(List.of(16, 16))
                .maxPositionEmbeddings(64).vocabSize(40).hashSeed(1234L).initializerRange(0.5);
    }

    /**
     * Asserts that gradient g at flat index k of parameter p equals the central difference of the task's loss
     * (step 1e-6, float64), within 1e-6 relative to max(1, |numeric|).
     */
    public static void assertGradientMatchesFiniteDifference(dev.reformer.model.train.Trainable task,
            List<dev.reformer.model.train.Example> examples, INDArray p, INDArray g, long k, String what) {
        double original = p.getDouble(k), h = 1e-6;
        p.putScalar(k, original + h);
        double plus = task.evaluate(examples).loss();
        p.putScalar(k, original - h);
        double minus = task.evaluate(examples).loss();
        p.putScalar(k, original);
        double numeric = (plus - minus) / (2 * h), analytic = g.getDouble(k);
        org.junit.jupiter.api.Assertions.assertTrue(Math.abs(numeric - analytic) / Math.max(1, Math.abs(numeric)) < 1e-6,
                what + "[" + k + "]: analytic " + analytic + ", numeric " + numeric);
    }
}
