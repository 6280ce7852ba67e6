package dev.reformer.model;

import dev.reformer.model.io.ModelFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whole-model properties: causality, padding, internal padding, chunked feed-forward, model files. */
class ReformerModelPropertiesTest {

    static ReformerModel model(ReformerConfig config) {
        return new ReformerModel(config, Params.init(config, 42, DataType.DOUBLE));
    }

    static INDArray rows(INDArray x, int row, int from, int to) {
        return x.get(NDArrayIndex.interval(row, row + 1), NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }

    static void assertClose(INDArray expected, INDArray actual, double tolerance) {
        assertArrayEquals(expected.shape(), actual.shape());
        double error = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(error <= tolerance, "max abs error " + error + " > " + tolerance);
    }

    /**
     * Causal model, chunked local attention that also looks one chunk ahead (so the causal mask has work to
     * do), and chunked LSH attention whose window spans all chunks (so future tokens, which move other
     * tokens' buckets and sorted places, cannot change which past keys are in reach).
     */
    @Test
    void causalModelOutputsNeverDependOnLaterTokens() {
        ReformerConfig config = TestData.small().isDecoder(true).numHashes(1)
                .localNumChunksBefore(1).localNumChunksAfter(1).lshNumChunksBefore(4).lshNumChunksAfter(3).build();
        ReformerModel model = model(config);
        int[][] ids = TestData.tokens(1, 2, 64, config.vocabSize());
        INDArray base = model.forward(ids, null).lastHiddenState();
        for (int cut : new int[]{3, 20, 47}) {
            int[][] changed = TestData.tokens(2, 2, 64, config.vocabSize());
            for (int b = 0; b < 2; b++) System.arraycopy(ids[b], 0, changed[b], 0, cut + 1);
            INDArray other = model.forward(changed, null).lastHiddenState();
            for (int b = 0; b < 2; b++) assertClose(rows(base, b, 0, cut + 1), rows(other, b, 0, cut + 1), 1e-12);
            assertTrue(base.sub(other).amaxNumber().doubleValue() > 1e-3, "later outputs did change");
        }
    }

    /** Padded positions' tokens never reach real positions, with chunked LSH (2 rounds) and local attention. */
    @Test
    void paddingContentNeverChangesRealOutputs() {
        ReformerModel model = model(TestData.small().build());
        int[][] ids = TestData.tokens(3, 2, 64, 40);
        int[][] mask = new int[2][64];
        for (int t = 0; t < 64; t++) { mask[0][t] = 1; mask[1][t] = t < 45 ? 1 : 0; }
        INDArray base = model.forward(ids, mask).lastHiddenState();
        int[][] changed = Arrays.stream(ids).map(int[]::clone).toArray(int[][]::new);
        for (int t = 45; t < 64; t++) changed[1][t] = (changed[1][t] * 7 + 3) % 40;
        INDArray other = model.forward(changed, mask).lastHiddenState();
        assertClose(rows(base, 0, 0, 64), rows(other, 0, 0, 64), 0);
        assertClose(rows(base, 1, 0, 45), rows(other, 1, 0, 45), 0);
    }

    /** A row gives the same outputs alone and batched with a padded row (which adds the padding bucket). */
    @Test
    void paddingInOtherRowsNeverChangesARow() {
        ReformerModel model = model(TestData.small().build());
        int[][] ids = TestData.tokens(4, 2, 64, 40);
        int[][] mask = new int[2][64];
        for (int t = 0; t < 64; t++) { mask[0][t] = 1; mask[1][t] = t < 30 ? 1 : 0; }
        INDArray batched = model.forward(ids, mask).lastHiddenState();
        INDArray alone = model.forward(new int[][]{ids[0]}, null).lastHiddenState();
        assertClose(alone, rows(batched, 0, 0, 64), 1e-12);
    }

    /** Lengths off the chunk grid are padded internally and cut back: the same as padding by hand. */
    @Test
    void unevenLengthsArePaddedAndCutBack() {
        ReformerConfig config = TestData.small().build();
        ReformerModel model = model(config);
        int[][] ids = TestData.tokens(5, 1, 50, 40);
        INDArray out = model.forward(ids, null).lastHiddenState();
        assertArrayEquals(new long[]{1, 50, 64}, out.shape());
        int[][] padded = {Arrays.copyOf(ids[0], 56)};
        int[][] mask = new int[1][56];
        Arrays.fill(mask[0], 0, 50, 1);
        INDArray byHand = model.forward(padded, mask).lastHiddenState();
        assertClose(rows(byHand, 0, 0, 50), out, 1e-12);
    }

    @Test
    void chunkedFeedForwardEqualsUnchunked() {
        ReformerConfig config = TestData.small().build();
        Params params = Params.init(config, 7, DataType.DOUBLE);
        int[][] ids = TestData.tokens(6, 2, 64, 40);
        INDArray whole = new ReformerModel(config, params).forward(ids, null).lastHiddenState();
        ReformerConfig chunked = config.toBuilder().chunkSizeFeedForward(7).build();
        INDArray inChunks = new ReformerModel(chunked, params).forward(ids, null).lastHiddenState();
        assertClose(whole, inChunks, 1e-12);
    }

    @Test
    void rejectsBadInputsClearly() {
        ReformerModel model = model(TestData.small().build());
        var tooLong = assertThrows(IllegalArgumentException.class, () -> model.forward(new int[1][72], null));
        assertTrue(tooLong.getMessage().contains("max_position_embeddings"), tooLong.getMessage());
        int[][] ids = TestData.tokens(8, 1, 16, 40);
        ids[0][3] = 40;
        var badId = assertThrows(IllegalArgumentException.class, () -> model.forward(ids, null));
        assertTrue(badId.getMessage().contains("position 3"), badId.getMessage());
    }

    @Test
    void modelFilesRoundTripAndNameWhatIsWrong(@TempDir Path dir) throws IOException {
        ReformerConfig config = TestData.small().build();
        ReformerModel model = new ReformerModel(config, Params.init(config, 9, DataType.FLOAT));
        ModelFiles.save(model, dir);
        ReformerModel loaded = ModelFiles.load(dir, DataType.FLOAT);
        int[][] ids = TestData.tokens(10, 2, 64, 40);
        assertClose(model.forward(ids, null).lastHiddenState(), loaded.forward(ids, null).lastHiddenState(), 0);
        assertTrue(Files.readString(dir.resolve("config.json")).contains("\"lsh_attn_chunk_length\""));

        // the same weights under another config: shapes no longer fit
        config.toBuilder().feedForwardSize(50).build().write(dir.resolve("config.json"));
        var e = assertThrows(IOException.class, () -> ModelFiles.load(dir, DataType.FLOAT));
        assertTrue(e.getMessage().contains("feed_forward.dense.dense.weight has shape [48, 32], the config needs [50, 32]"),
                e.getMessage());

        // a missing tensor is named
        config.write(dir.resolve("config.json"));
        Map<String, INDArray> tensors = new LinkedHashMap<>(model.params().named());
        tensors.remove("encoder.layers.1.attention.self_attention.query_key.weight");
        dev.reformer.model.io.SafeTensors.write(dir.resolve("model.safetensors"), tensors, Map.of());
        var missing = assertThrows(IOException.class, () -> ModelFiles.load(dir, DataType.FLOAT));
        assertTrue(missing.getMessage().contains("missing encoder.layers.1.attention.self_attention.query_key.weight"),
                missing.getMessage());
    }

    @Test
    void loadsACheckpointWithTheReferencePrefix(@TempDir Path dir) throws IOException {
        ReformerConfig config = TestData.small().attnLayers(List.of("lsh")).build();
        ReformerModel model = new ReformerModel(config, Params.init(config, 9, DataType.FLOAT));
        Map<String, INDArray> prefixed = new LinkedHashMap<>();
        model.params().named().forEach((n, t) -> prefixed.put("reformer." + n, t));
        prefixed.put("lm_head.decoder.weight", org.nd4j.linalg.factory.Nd4j.zeros(DataType.FLOAT, 40, 64));
        config.write(dir.resolve("config.json"));
        dev.reformer.model.io.SafeTensors.write(dir.resolve("model.safetensors"), prefixed, Map.of());
        int[][] ids = TestData.tokens(10, 1, 64, 40);
        assertClose(model.forward(ids, null).lastHiddenState(),
                ModelFiles.load(dir, DataType.FLOAT).forward(ids, null).lastHiddenState(), 0);
    }
}
