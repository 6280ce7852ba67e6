package dev.reformer.model;

import dev.reformer.model.layers.Activation;
import dev.reformer.model.layers.FeedForward;
import dev.reformer.model.layers.LayerNorm;
import dev.reformer.model.layers.Linear;
import dev.reformer.model.layers.LocalSelfAttention;
import dev.reformer.model.layers.LshSelfAttention;
import dev.reformer.model.layers.Rotations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every layer's backward against central finite differences in float64: for loss = sum(f(x) * R) with a
 * random R, each analytic gradient entry (a sample of them per tensor) must match
 * (loss(x + h) - loss(x - h)) / 2h within 1e-6 relative (absolute below 1).
 */
class GradientCheckTest {
    static final double H = 1e-6, TOLERANCE = 1e-6;
    static final DataType F64 = DataType.DOUBLE;

    static INDArray randn(long seed, long... shape) {
        return TestData.randn(seed, F64, shape);
    }

    /** Perturbs sampled entries of param in place (restoring them) and compares with analytic [param's shape]. */
    static void check(String what, INDArray param, INDArray analytic, Supplier<INDArray> forward, INDArray projection) {
        check(what, param, analytic, forward, projection, 12);
    }

    static void check(String what, INDArray param, INDArray analytic, Supplier<INDArray> forward, INDArray projection,
                      int samples) {
        Random random = new Random(what.hashCode());
        long n = param.length();
        for (int sample = 0; sample < Math.min(n, samples); sample++) {
            long k = n <= samples ? sample : (long) (random.nextDouble() * n);
            double original = param.getDouble(k);
            param.putScalar(k, original + H);
            double plus = forward.get().mul(projection).sumNumber().doubleValue();
            param.putScalar(k, original - H);
            double minus = forward.get().mul(projection).sumNumber().doubleValue();
            param.putScalar(k, original);
            double numeric = (plus - minus) / (2 * H), mine = analytic.getDouble(k);
            double error = Math.abs(numeric - mine) / Math.max(1, Math.abs(numeric));
            assertTrue(error < TOLERANCE, what + " entry " + k + ": analytic " + mine + ", numeric " + numeric);
        }
    }

    @Test
    void linear() {
        INDArray x = randn(1, 5, 4), w = randn(2, 3, 4), b = randn(3, 3), r = randn(4, 5, 3);
        INDArray dw = Nd4j.zeros(F64, 3, 4), db = Nd4j.zeros(F64, 3);
        INDArray dx = Linear.backward(x, w, r, dw, db);
        Supplier<INDArray> f = () -> Linear.forward(x, w, b);
        check("linear x", x, dx, f, r);
        check("linear weight", w, dw, f, r);
        check("linear bias", b, db, f, r);
    }

    @Test
    void layerNorm() {
        INDArray x = randn(1, 6, 5), w = randn(2, 5), b = randn(3, 5), r = randn(4, 6, 5);
        INDArray dw = Nd4j.zeros(F64, 5), db = Nd4j.zeros(F64, 5);
        INDArray dx = LayerNorm.backward(x, w, 1e-12, r, dw, db);
        Supplier<INDArray> f = () -> LayerNorm.forward(x, w, b, 1e-12);
        check("layer norm x", x, dx, f, r);
        check("layer norm weight", w, dw, f, r);
        check("layer norm bias", b, db, f, r);
    }

    @ParameterizedTest
    @ValueSource(strings = {"relu", "gelu", "gelu_new", "silu"})
    void activation(String name) {
        INDArray x = randn(5, 7, 3).addi(0.01), r = randn(6, 7, 3); // relu: keep away from the kink at 0
        check(name, x, Activation.backward(name, x, r), () -> Activation.forward(name, x), r);
    }

    @Test
    void chunkedFeedForward() {
        FeedForward.Weights w = new FeedForward.Weights(randn(1, 4), randn(2, 4), randn(3, 6, 4), randn(4, 6),
                randn(5, 4, 6), randn(6, 4));
        FeedForward.Weights g = new FeedForward.Weights(Nd4j.zeros(F64, 4), Nd4j.zeros(F64, 4), Nd4j.zeros(F64, 6, 4),
                Nd4j.zeros(F64, 6), Nd4j.zeros(F64, 4, 6), Nd4j.zeros(F64, 4));
        INDArray x = randn(7, 10, 4), r = randn(8, 10, 4);
        INDArray dx = FeedForward.backward(x, w, 1e-12, "gelu_new", 3, r, g);
        Supplier<INDArray> f = () -> FeedForward.forward(x, w, 1e-12, "gelu_new", 3);
        check("feed-forward x", x, dx, f, r);
        check("feed-forward norm weight", w.normWeight(), g.normWeight(), f, r);
        check("feed-forward norm bias", w.normBias(), g.normBias(), f, r);
        check("feed-forward dense weight", w.denseWeight(), g.denseWeight(), f, r);
        check("feed-forward dense bias", w.denseBias(), g.denseBias(), f, r);
        check("feed-forward output weight", w.outputWeight(), g.outputWeight(), f, r);
        check("feed-forward output bias", w.outputBias(), g.outputBias(), f, r);
    }

    static boolean[][] padded(int batch, int length, int realInLastRow) {
        boolean[][] valid = new boolean[batch][length];
        for (int b = 0; b < batch; b++) for (int t = 0; t < length; t++) valid[b][t] = b < batch - 1 || t < realInLastRow;
        return valid;
    }

    @Test
    void localAttentionCausalPaddedWithNeighboursAfter() {
        ReformerConfig config = TestData.small().attnLayers(List.of("local")).isDecoder(true)
                .localNumChunksBefore(1).localNumChunksAfter(1).build();
        LocalSelfAttention local = new LocalSelfAttention(config);
        INDArray hidden = randn(1, 2, 32, 32), wq = randn(2, 32, 32).muli(0.3), wk = randn(3, 32, 32).muli(0.3);
        INDArray wv = randn(4, 32, 32).muli(0.3), r = randn(5, 2, 32, 32);
        boolean[][] valid = padded(2, 32, 27);
        INDArray dq = Nd4j.zeros(F64, 32, 32), dk = Nd4j.zeros(F64, 32, 32), dv = Nd4j.zeros(F64, 32, 32);
        INDArray dHidden = local.backward(hidden, wq, wk, wv, valid, r, dq, dk, dv);
        Supplier<INDArray> f = () -> local.forward(hidden, wq, wk, wv, valid);
        check("local hidden", hidden, dHidden, f, r);
        check("local query", wq, dq, f, r);
        check("local key", wk, dk, f, r);
        check("local value", wv, dv, f, r);
    }

    /** Chunked LSH with 3 rounds, factorised buckets, padding and the causal mask; buckets fixed, as in training. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void lshAttention(boolean causal) {
        ReformerConfig config = TestData.small().attnLayers(List.of("lsh")).isDecoder(causal).numHashes(3)
                .numBuckets(List.of(2, 4)).lshNumChunksAfter(causal ? 0 : 1).build();
        LshSelfAttention lsh = new LshSelfAttention(config, Rotations.seeded(3L));
        INDArray hidden = randn(1, 2, 40, 32), wqk = randn(2, 32, 32).muli(0.3), wv = randn(3, 32, 32).muli(0.3);
        INDArray r = randn(4, 2, 40, 32);
        boolean[][] valid = padded(2, 40, 29);
        int[][][][] buckets = lsh.forward(hidden, wqk, wv, valid).buckets();
        INDArray dqk = Nd4j.zeros(F64, 32, 32), dv = Nd4j.zeros(F64, 32, 32);
        INDArray dHidden = lsh.backward(hidden, wqk, wv, valid, buckets, r, dqk, dv);
        Supplier<INDArray> f = () -> lsh.forward(hidden, wqk, wv, valid, buckets).out();
        check("lsh hidden", hidden, dHidden, f, r);
        check("lsh query_key", wqk, dqk, f, r);
        check("lsh value", wv, dv, f, r);
    }

    /** Dropout of the attention probabilities, LSH and local, with fixed masks (one seed). */
    @Test
    void attentionProbabilityDropout() {
        ReformerConfig config = TestData.small().numHashes(2).lshNumChunksAfter(1).build();
        dev.reformer.model.layers.Dropout dropout = new dev.reformer.model.layers.Dropout(0.3, 12345);
        LshSelfAttention lsh = new LshSelfAttention(config, Rotations.seeded(3L));
        LocalSelfAttention local = new LocalSelfAttention(config);
        INDArray hidden = randn(1, 2, 40, 32), w1 = randn(2, 32, 32).muli(0.3), w2 = randn(3, 32, 32).muli(0.3);
        INDArray w3 = randn(6, 32, 32).muli(0.3), r = randn(4, 2, 40, 32);
        boolean[][] valid = padded(2, 40, 33);
        int[][][][] buckets = lsh.forward(hidden, w1, w2, valid).buckets();
        INDArray dqk = Nd4j.zeros(F64, 32, 32), dv = Nd4j.zeros(F64, 32, 32);
        INDArray dHidden = lsh.backward(hidden, w1, w2, valid, buckets, dropout, r, dqk, dv);
        Supplier<INDArray> f = () -> lsh.forward(hidden, w1, w2, valid, buckets, dropout).out();
        assertTrue(f.get().sub(lsh.forward(hidden, w1, w2, valid, buckets).out()).amaxNumber().doubleValue() > 1e-3,
                "the dropout changed the output");
        check("lsh dropout hidden", hidden, dHidden, f, r);
        check("lsh dropout query_key", w1, dqk, f, r);
        check("lsh dropout value", w2, dv, f, r);
        INDArray dq = Nd4j.zeros(F64, 32, 32), dk = Nd4j.zeros(F64, 32, 32), dv2 = Nd4j.zeros(F64, 32, 32);
        INDArray dLocal = local.backward(hidden, w1, w3, w2, valid, dropout, r, dq, dk, dv2);
        Supplier<INDArray> g = () -> local.forward(hidden, w1, w3, w2, valid, dropout);
        check("local dropout hidden", hidden, dLocal, g, r);
        check("local dropout key", w3, dk, g, r);
        check("local dropout value", w2, dv2, g, r);
    }

    @Test
    void lshShortSequenceFallback() {
        ReformerConfig config = TestData.small().attnLayers(List.of("lsh")).lshAttnChunkLength(16).build();
        LshSelfAttention lsh = new LshSelfAttention(config, Rotations.seeded(3L));
        INDArray hidden = randn(1, 1, 12, 32), wqk = randn(2, 32, 32).muli(0.3), wv = randn(3, 32, 32).muli(0.3);
        INDArray r = randn(4, 1, 12, 32), dqk = Nd4j.zeros(F64, 32, 32), dv = Nd4j.zeros(F64, 32, 32);
        INDArray dHidden = lsh.backward(hidden, wqk, wv, null, null, r, dqk, dv);
        Supplier<INDArray> f = () -> lsh.forward(hidden, wqk, wv, null).out();
        check("lsh fallback hidden", hidden, dHidden, f, r);
        check("lsh fallback query_key", wqk, dqk, f, r);
    }

    /**
     * The whole reversible model: embeddings (word, axial or plain), both attention kinds, feed-forward, final
     * norm; with dropout, every perturbed pass reuses the masks of pass 0.
     */
    @ParameterizedTest
    @CsvSource({"true, 0", "false, 0", "true, 0.2"})
    void wholeModel(boolean axial, double dropout) {
        ReformerConfig config = TestData.small().axialPosEmbds(axial).chunkSizeFeedForward(5).hiddenAct("silu")
                .hiddenDropoutProb(dropout).lshAttentionProbsDropoutProb(dropout).localAttentionProbsDropoutProb(dropout)
                .build();
        Params params = Params.init(config, 21, F64);
        ReformerModel model = new ReformerModel(config, params).dropoutSeed(8);
        int[][] ids = TestData.tokens(22, 2, 64, 40);
        int[][] mask = new int[2][64];
        for (int t = 0; t < 64; t++) { mask[0][t] = 1; mask[1][t] = t < 50 ? 1 : 0; }
        INDArray r = randn(23, 2, 64, 64);
        Params grads = Params.zeros(config, F64);
        model.backward(model.forwardForTraining(ids, mask), r, grads);
        Supplier<INDArray> f = () -> {
            model.resumeDropoutAt(0);
            return model.forwardForTraining(ids, mask).lastHiddenState();
        };
        Map<String, INDArray> p = params.named(), g = grads.named();
        for (String name : p.keySet()) check(name, p.get(name), g.get(name), f, r, 3);
    }
}
