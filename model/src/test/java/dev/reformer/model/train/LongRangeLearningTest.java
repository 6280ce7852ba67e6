package dev.reformer.model.train;

import dev.reformer.model.Params;
import dev.reformer.model.ReformerConfig;
import dev.reformer.model.ReformerModel;
import dev.reformer.model.layers.Rotations;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Learning a dependency across more than 1,000 positions, a classification cousin of the paper's duplication
 * task: a symbol X sits in the first 64 positions of a 1,152-token sequence of noise, a symbol Y at the last
 * position, and the label says whether Y = X. The head only reads the last position, so the answer needs X,
 * at least 1,088 positions away: only LSH attention, which brings equal vectors together, reaches it.
 */
@Tag("slow")   // trains a Reformer on 1,152-token sequences for minutes: mvn verify (failsafe), not mvn test
class LongRangeLearningTest {
    static final int LENGTH = 1152, SYMBOLS = 8, NOISE_FROM = 1 + SYMBOLS, VOCAB = NOISE_FROM + 16;

    static SequenceClassifier.Batch batch(Random random, int size) {
        int[][] ids = new int[size][LENGTH];
        boolean[][] pool = new boolean[size][LENGTH];
        int[] labels = new int[size];
        for (int b = 0; b < size; b++) {
            for (int t = 0; t < LENGTH; t++) ids[b][t] = NOISE_FROM + random.nextInt(VOCAB - NOISE_FROM);
            pool[b][LENGTH - 1] = true;
            int x = 1 + random.nextInt(SYMBOLS);
            labels[b] = random.nextInt(2);
            int y = labels[b] == 1 ? x : 1 + (x - 1 + 1 + random.nextInt(SYMBOLS - 1)) % SYMBOLS;
            ids[b][random.nextInt(64)] = x;
            ids[b][LENGTH - 1] = y;
        }
        return new SequenceClassifier.Batch(ids, null, pool, labels);
    }

    @Test
    void learnsALabelThatDependsOnTokensMoreThanAThousandPositionsApart() {
        ReformerConfig config = ReformerConfig.builder()
                .hiddenSize(32).numAttentionHeads(2).attentionHeadSize(16).attnLayers(List.of("lsh", "lsh"))
                .numHashes(2).numBuckets(64).lshAttnChunkLength(64).lshNumChunksBefore(1).lshNumChunksAfter(0)
                .feedForwardSize(64).axialPosShape(List.of(32, 36)).axialPosEmbdsDim(List.of(16, 16))
                .maxPositionEmbeddings(LENGTH).vocabSize(VOCAB).initializerRange(0.1).axialNormStd(0.02)
                .hiddenDropoutProb(0).localAttentionProbsDropoutProb(0).build();
        // fresh rotations on every step, from a fixed sequence: the run repeats exactly
        ReformerModel model = new ReformerModel(config, Params.init(config, 1, DataType.FLOAT), new Rotations.Sequence(5));
        SequenceClassifier classifier = SequenceClassifier.withNewHead(model, 2, 2);
        int steps = Integer.parseInt(System.getenv().getOrDefault("STEPS", "800"));
        AdamW optimizer = new AdamW(new AdamW.Settings(3e-3, 0.01, 1.0, 20, steps));
        Random random = new Random(3);
        double accuracy = 0;
        long started = System.nanoTime();
        for (int step = 1; step <= steps; step++) {
            double loss = classifier.lossAndGradients(batch(random, 8));
            optimizer.update(classifier.params(), classifier.gradients());
            if (step % 20 == 0) {
                SequenceClassifier.Batch test = batch(new Random(99), 128);
                int[] predicted = classifier.predict(test);
                int correct = 0;
                for (int b = 0; b < predicted.length; b++) if (predicted[b] == test.labels()[b]) correct++;
                accuracy = correct / (double) predicted.length;
                System.out.printf("step %d loss %.4f accuracy %.3f (%.0f ms/step)%n", step, loss, accuracy,
                        (System.nanoTime() - started) / 1e6 / step);
                if (accuracy > 0.97) break;
            }
        }
        assertTrue(accuracy > 0.95, "accuracy " + accuracy);
    }
}
