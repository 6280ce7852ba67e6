package dev.reformer.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cache of a streaming model against the model computed whole: hop by hop, a stream gives what a causal
 * forward over everything so far gives, through a checkpoint's bytes too, and keeps a bounded state.
 */
class StreamingEncoderTest {
    static final int CONTEXT = 24;

    /** Local chunks of 4 (one before), LSH with 4 buckets x 2 rounds, context 24: a 40-position stream drops its oldest keys. */
    static ReformerConfig.Builder streaming() {
        return TestData.small().isDecoder(true).localAttnChunkLength(4).streamingContextLength(CONTEXT)
                .attnLayers(java.util.List.of("local", "lsh", "local", "lsh"))
                .hiddenDropoutProb(0).lshAttentionProbsDropoutProb(0).localAttentionProbsDropoutProb(0);
    }

    /**
     * lshChunk 8: a query sees up to 16 keys of its bucket, and the context (24) is what hides the oldest; lshChunk 2:
     * only the 4 most recent keys of its bucket, fewer than the context holds.
     */
    @ParameterizedTest
    @CsvSource({"1, 8", "3, 8", "7, 8", "1, 2", "5, 2"})
    void hopByHopEqualsTheWholeCausalForward(int firstHop, int lshChunk) {
        ReformerConfig config = streaming().lshAttnChunkLength(lshChunk).build();
        ReformerModel model = new ReformerModel(config, Params.init(config, 5, DataType.FLOAT));
        int length = 40;
        INDArray inputs = TestData.randn(6, DataType.FLOAT, 1, length, config.hiddenSize());
        INDArray whole = model.forwardEmbeddings(inputs, null).lastHiddenState().reshape(length, 2L * config.hiddenSize());

        StreamingEncoder encoder = new StreamingEncoder(model);
        StreamState state = encoder.newState();
        int[] hops = {firstHop, 5, 1, 9, 2, 8, 14};
        int at = 0;
        for (int hop : hops) {
            int n = Math.min(hop, length - at);
            if (n == 0) break;
            INDArray out = encoder.step(state, rows(inputs.reshape(length, config.hiddenSize()), at, n));
            assertClose(rows(whole, at, n), out, 2e-5, "positions " + at + ".." + (at + n - 1));
            at += n;
        }
        assertEquals(length, at);
        assertEquals(length, state.nextPosition());
    }

    @Test
    void theLimitOfKeysPerBucketChangesWhatAQuerySees() {
        ReformerConfig wide = streaming().build(), narrow = streaming().lshAttnChunkLength(2).build();
        Params params = Params.init(wide, 5, DataType.FLOAT);
        INDArray inputs = TestData.randn(6, DataType.FLOAT, 1, 40, wide.hiddenSize());
        INDArray a = new ReformerModel(wide, params).forwardEmbeddings(inputs, null).lastHiddenState();
        INDArray b = new ReformerModel(narrow, params).forwardEmbeddings(inputs, null).lastHiddenState();
        assertTrue(a.sub(b).amaxNumber().doubleValue() > 1e-3, "4 keys per bucket against 16 should differ somewhere");
    }

    @Test
    void aRestoredStateContinuesExactlyAsTheUninterruptedOne() {
        ReformerConfig config = streaming().build();
        StreamingEncoder encoder = new StreamingEncoder(new ReformerModel(config, Params.init(config, 7, DataType.FLOAT)));
        INDArray stream = TestData.randn(8, DataType.FLOAT, 60, config.hiddenSize());
        StreamState uninterrupted = encoder.newState();
        encoder.step(uninterrupted, rows(stream, 0, 33));
        byte[] checkpoint = uninterrupted.toBytes();
        assertEquals(uninterrupted.sizeInBytes(), checkpoint.length);

        StreamState restored = StreamState.fromBytes(checkpoint, config);
        assertEquals(33, restored.nextPosition());
        INDArray expected = encoder.step(uninterrupted, rows(stream, 33, 27));
        INDArray actual = encoder.step(restored, rows(stream, 33, 27));
        assertArrayEquals(flat(expected), flat(actual));
        assertArrayEquals(uninterrupted.toBytes(), restored.toBytes());
    }

    @Test
    void aStateKeptAsHeaderAndEntriesWritesOnlyWhatAHopChangedAndRestoresExactly() {
        ReformerConfig config = streaming().build();
        StreamingEncoder encoder = new StreamingEncoder(new ReformerModel(config, Params.init(config, 13, DataType.FLOAT)));
        INDArray stream = TestData.randn(14, DataType.FLOAT, 90, config.hiddenSize());
        StreamState live = encoder.newState();
        java.util.Map<String, byte[]> store = new java.util.HashMap<>(); // "layer/position" -> entry, as a keyed map state keeps them
        int[] written = {0};
        for (int from = 0; from < 60; from += 7) {
            StreamState.Mark mark = live.mark();
            encoder.step(live, rows(stream, from, 7));
            live.changesSince(mark, new StreamState.Changes() {
                @Override
                public void removed(int layer, long position) { assertNotNull(store.remove(layer + "/" + position)); }

                @Override
                public void added(int layer, long position, byte[] entry) {
                    assertNull(store.put(layer + "/" + position, entry));
                    written[0]++;
                }
            });
        }
        assertTrue(written[0] <= 63 * live.layerCount(), "each hop writes at most its own positions per layer");
        StreamState restored = StreamState.fromParts(live.headerBytes(), config, (layer, position) -> store.get(layer + "/" + position));
        assertArrayEquals(live.toBytes(), restored.toBytes());
        assertArrayEquals(flat(encoder.step(live, rows(stream, 63, 27))), flat(encoder.step(restored, rows(stream, 63, 27))));

        store.remove("0/" + live.heldFrom(0)); // an entry lost (a TTL that expired it before the rest): refused, not guessed
        byte[] header = live.headerBytes();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StreamState.fromParts(header, config,
                (layer, position) -> store.get(layer + "/" + position))).getMessage().contains("missing"));
    }

    @Test
    void theStateStaysBoundedByTheContext() {
        ReformerConfig config = streaming().build();
        StreamingEncoder encoder = new StreamingEncoder(new ReformerModel(config, Params.init(config, 9, DataType.FLOAT)));
        StreamState state = encoder.newState();
        long[] sizes = new long[3];
        for (int i = 0; i < 30; i++) {
            encoder.step(state, TestData.randn(10 + i, DataType.FLOAT, 7, config.hiddenSize()));
            if (i >= 27) sizes[i - 27] = state.sizeInBytes();
        }
        // 2 LSH layers keep at most CONTEXT - 1 positions, 2 local layers at most 2 chunks of 4 minus one
        assertTrue(state.cachedPositions() <= 2 * (CONTEXT - 1) + 2 * 7, "cached " + state.cachedPositions());
        assertTrue(state.cachedPositions() >= 2 * (CONTEXT - 1), "cached " + state.cachedPositions());
        long max = Arrays.stream(sizes).max().orElseThrow(), min = Arrays.stream(sizes).min().orElseThrow();
        assertTrue(max - min <= 2 * 8 * (8 + 4L * 2 * config.allHeadSize()), "state size drifts: " + Arrays.toString(sizes));
    }

    @Test
    void aStateOfAnotherModelOrCutShortIsRefusedWithAReason() {
        ReformerConfig config = streaming().build();
        StreamingEncoder encoder = new StreamingEncoder(new ReformerModel(config, Params.init(config, 11, DataType.FLOAT)));
        StreamState state = encoder.newState();
        encoder.step(state, TestData.randn(12, DataType.FLOAT, 30, config.hiddenSize()));
        byte[] bytes = state.toBytes();

        ReformerConfig fewerLayers = streaming().attnLayers(java.util.List.of("local", "lsh")).build();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StreamState.fromBytes(bytes, fewerLayers))
                .getMessage().contains("only valid for the model that wrote it"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> StreamState.fromBytes(Arrays.copyOf(bytes, bytes.length / 2), config)).getMessage().contains("truncated"));
        byte[] wrongMarker = bytes.clone();
        wrongMarker[0] ^= 1;
        assertThrows(IllegalArgumentException.class, () -> StreamState.fromBytes(wrongMarker, config));
        ReformerConfig shorterContext = streaming().streamingContextLength(12).build();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StreamState.fromBytes(bytes, shorterContext))
                .getMessage().contains("keeps at most 12"));
    }

    @Test
    void aStreamingConfigNamesWhatItNeeds() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> streaming().isDecoder(false).build())
                .getMessage().contains("is_decoder must be true"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> streaming().numBuckets(java.util.List.of()).build())
                .getMessage().contains("num_buckets must be set"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> streaming().streamingContextLength(6).build())
                .getMessage().contains("local attention's reach"));
        ReformerConfig windowed = TestData.small().build();
        assertThrows(IllegalArgumentException.class,
                () -> new StreamingEncoder(new ReformerModel(windowed, Params.init(windowed, 1, DataType.FLOAT))));
        ReformerConfig config = streaming().build();
        assertEquals(config, ReformerConfig.fromJson(config.toJson()));
    }

    /** Training a streaming model: its whole forward's gradients (bucket and context masks included) against finite differences. */
    @Test
    void theWholeStreamingModelsGradientsMatchFiniteDifferences() {
        ReformerConfig config = streaming().build();
        Params params = Params.init(config, 13, DataType.DOUBLE);
        ReformerModel model = new ReformerModel(config, params);
        INDArray inputs = TestData.randn(14, DataType.DOUBLE, 2, 40, config.hiddenSize());
        int[][] mask = new int[2][40];
        for (int t = 0; t < 40; t++) { mask[0][t] = 1; mask[1][t] = t < 31 ? 1 : 0; }
        INDArray r = TestData.randn(15, DataType.DOUBLE, 2, 40, 2L * config.hiddenSize());
        Params grads = Params.zeros(config, DataType.DOUBLE);
        INDArray dInputs = model.backward(model.forwardEmbeddings(inputs, mask), r, grads);
        Supplier<INDArray> f = () -> model.forwardEmbeddings(inputs, mask).lastHiddenState();
        Map<String, INDArray> p = params.named(), g = grads.named();
        for (String name : p.keySet()) GradientCheckTest.check(name, p.get(name), g.get(name), f, r, 3);
        GradientCheckTest.check("inputs", inputs, dInputs, f, r, 6);
    }

    private static float[] flat(INDArray a) {
        return a.dup().reshape(a.length()).toFloatVector();
    }

    private static INDArray rows(INDArray a, int from, int n) {
        return a.get(NDArrayIndex.interval(from, from + n), NDArrayIndex.all()).dup();
    }

    private static void assertClose(INDArray expected, INDArray actual, double tolerance, String where) {
        assertArrayEquals(expected.shape(), actual.shape(), where);
        float[] e = flat(expected), a = flat(actual);
        double worst = 0;
        for (int i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(e[i] - a[i]));
        assertTrue(worst <= tolerance, where + ": largest difference " + worst);
    }
}
