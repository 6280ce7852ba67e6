package dev.reformer.model.layers;

import dev.reformer.model.ReformerConfig;
import dev.reformer.model.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Properties LSH attention must have whatever its random rotations, checked in float64. */
class LshAttentionPropertiesTest {
    static final int BATCH = 2, LENGTH = 32, HEADS = 2, HEAD = 16, HIDDEN = 32;
    final INDArray queryKeyWeight = TestData.randn(11, DataType.DOUBLE, HEADS * HEAD, HIDDEN).muli(0.5);
    final INDArray valueWeight = TestData.randn(12, DataType.DOUBLE, HEADS * HEAD, HIDDEN).muli(0.5);
    final INDArray hidden = TestData.randn(13, DataType.DOUBLE, BATCH, LENGTH, HIDDEN);

    static ReformerConfig config(int chunk, int before, int after, int hashes, List<Integer> buckets, boolean causal) {
        return TestData.small().attnLayers(List.of("lsh")).lshAttnChunkLength(chunk).lshNumChunksBefore(before)
                .lshNumChunksAfter(after).numHashes(hashes).numBuckets(buckets).isDecoder(causal).build();
    }

    INDArray full(boolean causal, boolean[][] keyValid) {
        INDArray x = hidden.reshape((long) BATCH * LENGTH, HIDDEN);
        INDArray qk = Linear.forward(x, queryKeyWeight, null).reshape((long) BATCH * LENGTH * HEADS, HEAD);
        INDArray v = Linear.forward(x, valueWeight, null).reshape((long) BATCH * LENGTH * HEADS, HEAD);
        return FullAttention.sharedQk(qk, v, BATCH, LENGTH, HEADS, causal, keyValid);
    }

    static boolean[][] padded() {
        boolean[][] valid = new boolean[BATCH][LENGTH];
        for (int t = 0; t < LENGTH; t++) { valid[0][t] = true; valid[1][t] = t < 21; }
        return valid;
    }

    static void assertClose(INDArray expected, INDArray actual, double tolerance) {
        double error = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(error <= tolerance, "max abs error " + error + " > " + tolerance);
    }

    @ParameterizedTest(name = "causal={0}, padding={1}")
    @CsvSource({"false, false", "true, false", "false, true", "true, true"})
    void oneChunkCoveringTheSequenceIsFullAttention(boolean causal, boolean padding) {
        ReformerConfig config = config(LENGTH, 1, 0, 2, List.of(4), causal);
        boolean[][] valid = padding ? padded() : null;
        INDArray lsh = new LshSelfAttention(config, Rotations.seeded(5L)).forward(hidden, queryKeyWeight, valueWeight, valid).out();
        assertClose(full(causal, valid), lsh, 1e-12);
    }

    /**
     * With a window spanning every chunk of every round, hashing only reorders the keys: each round is full
     * attention, and so is their combination. Exercises hashing, sorting, gathering, the per-round output
     * order and the logsumexp combination of rounds.
     */
    @ParameterizedTest(name = "causal={0}, padding={1}, buckets={2}")
    @CsvSource({"false, false, 4", "true, false, 4", "false, true, 4", "true, true, 4", "false, false, 2x4", "true, true, 4x2", "false, true, auto"})
    void windowSpanningAllChunksIsFullAttention(boolean causal, boolean padding, String buckets) {
        List<Integer> factors = buckets.equals("auto") ? List.of() // num_buckets null: chosen from the length
                : java.util.Arrays.stream(buckets.split("x")).map(Integer::valueOf).toList();
        // 2 rounds x 32 positions = 8 chunks of 8: 4 before + itself + 3 after = all of them
        ReformerConfig config = config(8, 4, 3, 2, factors, causal);
        boolean[][] valid = padding ? padded() : null;
        LshSelfAttention.Result lsh = new LshSelfAttention(config, Rotations.seeded(5L))
                .forward(hidden, queryKeyWeight, valueWeight, valid);
        assertClose(full(causal, valid), lsh.out(), 1e-12);
        assertTrue(lsh.buckets() != null, "the chunked path ran");
    }

    @Test
    void bucketsUseEveryFactorAndThePaddingBucket() {
        ReformerConfig config = config(8, 1, 0, 3, List.of(2, 4), false);
        LshSelfAttention.Result r = new LshSelfAttention(config, Rotations.seeded(5L))
                .forward(hidden, queryKeyWeight, valueWeight, padded());
        int perRound = 2 * 4 + 1;
        for (int b = 0; b < BATCH; b++) {
            for (int h = 0; h < HEADS; h++) {
                for (int round = 0; round < 3; round++) {
                    for (int t = 0; t < LENGTH; t++) {
                        int bucket = r.buckets()[b][h][round][t] - round * perRound;
                        if (padded()[b][t]) assertTrue(bucket >= 0 && bucket < 8, "bucket " + bucket);
                        else assertEquals(8, bucket, "padding goes to the extra bucket");
                    }
                }
            }
        }
    }

    /**
     * Causal LSH: scaling a future position's hidden state by a positive factor keeps its buckets (argmax is
     * scale-free) and its normalised key, but changes its query and value. Earlier outputs must not move.
     */
    @Test
    void causalOutputsNeverSeeTheFuture() {
        ReformerConfig config = config(8, 1, 1, 2, List.of(4), true);
        LshSelfAttention attention = new LshSelfAttention(config, Rotations.seeded(5L));
        INDArray before = attention.forward(hidden, queryKeyWeight, valueWeight, null).out();
        for (int cut : new int[]{5, 16, 30}) {
            INDArray changed = hidden.dup();
            changed.get(NDArrayIndex.all(), NDArrayIndex.interval(cut + 1, LENGTH), NDArrayIndex.all()).muli(3.7);
            LshSelfAttention.Result after = attention.forward(changed, queryKeyWeight, valueWeight, null);
            INDArray past = before.get(NDArrayIndex.all(), NDArrayIndex.interval(0, cut + 1), NDArrayIndex.all());
            assertClose(past, after.out().get(NDArrayIndex.all(), NDArrayIndex.interval(0, cut + 1), NDArrayIndex.all()), 1e-12);
            // and the future did change, so the test can fail
            double moved = before.sub(after.out()).amaxNumber().doubleValue();
            assertTrue(moved > 1e-3, "future outputs changed by " + moved);
        }
    }

    @Test
    void scalarAndVectorKernelsAgree() {
        org.junit.jupiter.api.Assumptions.assumeTrue(ChunkedAttention.VECTOR_API, "run with --add-modules jdk.incubator.vector");
        ReformerConfig config = config(8, 1, 1, 3, List.of(2, 4), true);
        INDArray x = hidden.castTo(DataType.FLOAT).reshape((long) BATCH * LENGTH, HIDDEN);
        INDArray qk = Linear.forward(x, queryKeyWeight.castTo(DataType.FLOAT), null).reshape((long) BATCH * LENGTH * HEADS, HEAD);
        INDArray v = Linear.forward(x, valueWeight.castTo(DataType.FLOAT), null).reshape((long) BATCH * LENGTH * HEADS, HEAD);
        int[][] positions = new int[BATCH * HEADS][3 * LENGTH];
        java.util.Random random = new java.util.Random(3);
        for (int[] p : positions) for (int s = 0; s < p.length; s++) p[s] = s % LENGTH;
        for (int[] p : positions) { // any permutation within each round is a valid plan
            for (int round = 0; round < 3; round++) {
                for (int i = LENGTH - 1; i > 0; i--) {
                    int j = random.nextInt(i + 1), a = round * LENGTH + i, b = round * LENGTH + j;
                    int tmp = p[a]; p[a] = p[b]; p[b] = tmp;
                }
            }
        }
        ChunkedAttention.Plan plan = new ChunkedAttention.Plan(BATCH, LENGTH, HEADS, HEAD, 3, 8, 1, 1, positions,
                new ChunkedAttention.Masking(padded(), true, true), new Dropout(0.2, 99));
        INDArray keys = LshSelfAttention.lengthAndDimNorm(qk);
        for (INDArray k : new INDArray[]{keys, null}) { // separate keys, and keys shared with the queries
            INDArray scalar = new ScalarKernel().forward(qk, k, v, plan);
            INDArray vector = new VectorKernel().forward(qk, k, v, plan);
            assertClose(scalar.castTo(DataType.DOUBLE), vector.castTo(DataType.DOUBLE), 1e-5);
        }
        assertClose(new ScalarKernel().forward(qk, keys, v, plan), new ScalarKernel().forward(qk, null, v, plan), 1e-5);
        // and their backward passes
        INDArray dOut = dev.reformer.model.TestData.randn(9, DataType.FLOAT, qk.shape());
        for (INDArray k : new INDArray[]{keys, null}) {
            ChunkedAttention.Gradients scalar = new ScalarKernel().backward(qk, k, v, plan, dOut);
            ChunkedAttention.Gradients vector = VectorBackward.backward(qk, k, v, plan, dOut);
            assertClose(scalar.queries().castTo(DataType.DOUBLE), vector.queries().castTo(DataType.DOUBLE), 1e-4);
            assertClose(scalar.values().castTo(DataType.DOUBLE), vector.values().castTo(DataType.DOUBLE), 1e-4);
            if (k != null) assertClose(scalar.keys().castTo(DataType.DOUBLE), vector.keys().castTo(DataType.DOUBLE), 1e-4);
        }
    }
}
