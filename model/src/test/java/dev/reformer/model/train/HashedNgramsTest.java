package dev.reformer.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reformer.model.Params;
import dev.reformer.model.ReformerConfig;
import dev.reformer.model.ReformerModel;
import dev.reformer.model.TestData;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Hashed character n-grams, words and word pairs added to grouped-byte input: where they land, and that they learn. */
class HashedNgramsTest {
    static final int K = 4, BUCKETS = 1 << 20;

    static int[] ids(String text) {
        byte[] raw = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[raw.length];
        for (int i = 0; i < raw.length; i++) ids[i] = Encoder.BYTE_ID_OFFSET + (raw[i] & 0xff);
        return ids;
    }

    /** Ids padded with zeros to positions x K, as a batch holds them. */
    static int[] padded(String text, int positions) {
        return Arrays.copyOf(ids(text), positions * K);
    }

    @Test
    void eachPositionHasTheCharacterGramsAndWordsEndingInIt() {
        //                     positions: "ab c" "d ef" "g"
        int[][] features = HashedNgrams.of(padded("ab cd efg", 4), 4, K, BUCKETS);
        // bytes 0..3 "ab c": 3-grams end at bytes 2, 3; a 4-gram at 3; the word "ab" ends at byte 1 (the first word: no pair)
        assertEquals(2 + 1 + 1, features[0].length);
        // "d ef": 3-grams and 4-grams end at all four bytes; "cd" ends at byte 4 (a word and the pair "ab cd")
        assertEquals(4 + 4 + 2, features[1].length);
        // "g": one 3-gram, one 4-gram, the word "efg" and the pair "cd efg"; then padding: nothing
        assertEquals(1 + 1 + 2, features[2].length);
        assertEquals(0, features[3].length);
    }

    @Test
    void featuresDependOnTheBytesNotOnWhereTheTextIsCut() {
        // the word "hello" (lower-cased) and its pair with "say" give the same buckets wherever "hello" ends
        int[][] a = HashedNgrams.of(padded("Say HELLO", 3), 3, K, BUCKETS);   // "Say " "HELL" "O": the word ends in position 2
        int[][] b = HashedNgrams.of(padded("say   hello", 3), 3, K, BUCKETS); // "say " "  he" "llo": it ends in position 2 too
        int[] lastA = a[2], lastB = b[2];
        // the last two features of the position where "hello" ends are the word and the pair, identical in both
        assertArrayEquals(Arrays.copyOfRange(lastA, lastA.length - 2, lastA.length), Arrays.copyOfRange(lastB, lastB.length - 2, lastB.length));
        // a different word gives a different word bucket
        int[][] c = HashedNgrams.of(padded("say   hallo", 3), 3, K, BUCKETS);
        assertNotEquals(c[2][c[2].length - 2], lastB[lastB.length - 2]);
        // non-ASCII letters belong to words: "grüße" is one word (no word ends inside it)
        int[][] umlaut = HashedNgrams.of(padded("grüße", 2), 2, K, BUCKETS);   // 7 bytes
        int charGrams = (7 - 2) + (7 - 3);
        assertEquals(charGrams + 1, umlaut[0].length + umlaut[1].length);
        assertThrows(IllegalArgumentException.class, () -> HashedNgrams.of(ids("x"), 1, K, 0));
    }

    static ReformerConfig config() {
        return TestData.small().initializerRange(0.3)   // no dropout: the loss is a function of the parameters
                .hiddenDropoutProb(0).localAttentionProbsDropoutProb(0).lshAttentionProbsDropoutProb(0).build();
    }

    @Test
    void theNgramTableAddsItsRowsAndItsGradientMatchesFiniteDifferences() {
        ReformerConfig config = config();
        int buckets = 64;
        List<Example> examples = List.of(Example.tokens(ids("the cat sat"), 0), Example.tokens(ids("a dog"), 1));
        SequenceClassifier task = SequenceClassifier.withNewHead(
                Encoder.ofByteGroups(new ReformerModel(config, Params.init(config, 1, DataType.DOUBLE)), K, buckets, 2), 2, 3);
        Map<String, INDArray> params = task.params(), grads = task.gradients();
        INDArray table = params.get(Encoder.NGRAM_TABLE);
        assertArrayEquals(new long[]{buckets, config.hiddenSize()}, table.shape());

        // forward: the same weights without the table differ exactly where features are
        Encoder encoder = task.encoder();
        Encoder bytesOnly = new Encoder(encoder.model(), params.get(Encoder.PROJECTION_WEIGHT), params.get(Encoder.PROJECTION_BIAS), K);
        Encoder.Batch batch = encoder.batch(examples);
        INDArray with = encoder.forward(batch, false).lastHiddenState(), without = bytesOnly.forward(bytesOnly.batch(examples), false).lastHiddenState();
        assertTrue(with.sub(without).amaxNumber().doubleValue() > 1e-3, "the n-grams change the output");

        task.lossAndGradients(examples);
        INDArray g = grads.get(Encoder.NGRAM_TABLE);
        int[] used = HashedNgrams.of(batch.ids()[0], batch.lengths()[0], K, buckets)[1];
        assertTrue(g.getRow(used[0]).norm2Number().doubleValue() > 0, "a used bucket gets gradient");
        List<Long> where = new ArrayList<>();
        Random pick = new Random(5);
        for (int bucket : used) where.add((long) bucket * config.hiddenSize() + pick.nextInt(config.hiddenSize()));
        for (int sample = 0; sample < 3; sample++) where.add((long) (pick.nextDouble() * table.length()));
        for (long k : where) TestData.assertGradientMatchesFiniteDifference(task, examples, table, g, k, Encoder.NGRAM_TABLE);
    }

    @Test
    void aReadOnlyEncoderServesTheSameAndAWrongTableIsRefused() {
        ReformerConfig config = config();
        ReformerModel model = new ReformerModel(config, Params.init(config, 1, DataType.DOUBLE));
        Encoder trainable = Encoder.ofByteGroups(model, K, 32, 7);
        Map<String, INDArray> p = trainable.params();
        Encoder served = new Encoder(model, p.get(Encoder.PROJECTION_WEIGHT), p.get(Encoder.PROJECTION_BIAS), K, p.get(Encoder.NGRAM_TABLE)).readOnly();
        List<Example> examples = List.of(Example.tokens(ids("Hello, world; hello again"), 0), Example.tokens(ids("x"), 0));
        INDArray expected = trainable.forward(trainable.batch(examples), false).lastHiddenState();
        assertEquals(0.0, served.forward(served.batch(examples), false).lastHiddenState().sub(expected).amaxNumber().doubleValue());
        assertEquals(32, served.ngramBuckets());
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> new Encoder(model, p.get(Encoder.PROJECTION_WEIGHT),
                p.get(Encoder.PROJECTION_BIAS), K, p.get(Encoder.PROJECTION_WEIGHT)));
        assertTrue(wrong.getMessage().contains("hidden_size"), wrong.getMessage());
    }
}
