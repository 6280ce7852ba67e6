package dev.reformer.model.train;

import dev.reformer.model.ReformerModel;
import dev.reformer.model.heads.ClassificationHead;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** An encoder with a classification head (masked mean pooling, cross-entropy): text and audio classification. */
public final class SequenceClassifier implements Trainable {
    public static final String HEAD_WEIGHT = "classifier.weight", HEAD_BIAS = "classifier.bias";

    private final Encoder encoder;
    private final Head head;

    /** headWeight [K, 2C], headBias [K]. */
    public SequenceClassifier(Encoder encoder, INDArray headWeight, INDArray headBias) {
        this(encoder, new Head(HEAD_WEIGHT, HEAD_BIAS, headWeight, headBias));
    }

    private SequenceClassifier(Encoder encoder, Head head) {
        this.encoder = encoder;
        this.head = head;
    }

    /** A token-id classifier with a fresh head of numLabels outputs. */
    public static SequenceClassifier withNewHead(ReformerModel model, int numLabels, long seed) {
        return withNewHead(Encoder.ofTokens(model), numLabels, seed);
    }

    /** A fresh head of numLabels outputs, initialised as the reference initialises linear layers. */
    public static SequenceClassifier withNewHead(Encoder encoder, int numLabels, long seed) {
        return new SequenceClassifier(encoder, Head.fresh(HEAD_WEIGHT, HEAD_BIAS, numLabels, encoder, seed));
    }

    @Override
    public Encoder encoder() { return encoder; }

    public ReformerModel model() { return encoder.model(); }

    public int numLabels() { return head.outputs(); }

    /**
     * A batch: the encoder's inputs, which positions the head pools over [B][T] (null: the real ones),
     * and the labels [B].
     */
    public record Batch(Encoder.Batch inputs, boolean[][] pool, int[] labels) {
        /** Token ids [B][T] with an attention mask [B][T] (1 real, 0 padding; null: all real). */
        public Batch(int[][] ids, int[][] mask, boolean[][] pool, int[] labels) {
            this(new Encoder.Batch(ids, null, mask, lengthsOf(ids, mask)), pool, labels);
        }

        private static int[] lengthsOf(int[][] ids, int[][] mask) {
            int[] lengths = new int[ids.length];
            for (int b = 0; b < ids.length; b++) {
                lengths[b] = mask == null ? ids[b].length : (int) java.util.Arrays.stream(mask[b]).filter(m -> m != 0).count();
            }
            return lengths;
        }
    }

    public Batch batch(List<Example> examples) {
        return new Batch(encoder.batch(examples), null, examples.stream().mapToInt(Example::label).toArray());
    }

    @Override
    public Map<String, INDArray> params() { return head.params(encoder); }

    @Override
    public Map<String, INDArray> gradients() { return head.gradients(encoder); }

    @Override
    public double lossAndGradients(List<Example> examples) {
        return lossAndGradients(batch(examples));
    }

    /** Forward and backward: returns the mean cross-entropy and leaves the gradients in {@link #gradients()}. */
    public double lossAndGradients(Batch batch) {
        head.zeroGradients(encoder);
        ReformerModel.Output out = encoder.forward(batch.inputs(), true);
        boolean[][] pool = poolOf(batch);
        ClassificationHead.Output scores = ClassificationHead.forward(out.lastHiddenState(), pool, head.weight, head.bias, batch.labels());
        INDArray dHidden = ClassificationHead.backward(out.lastHiddenState(), pool, head.weight, scores, batch.labels(),
                head.weightGrad, head.biasGrad);
        encoder.backward(batch.inputs(), out, dHidden);
        return scores.loss();
    }

    @Override
    public Score evaluate(List<Example> examples) {
        Evaluation e = evaluate(batch(examples));
        int correct = 0;
        for (int i = 0; i < examples.size(); i++) if (e.predicted()[i] == examples.get(i).label()) correct++;
        return new Score(e.loss(), correct, examples.size());
    }

    /** Mean loss and predicted labels of a batch, forward only. */
    public record Evaluation(double loss, int[] predicted) {}

    public Evaluation evaluate(Batch batch) {
        ClassificationHead.Output scores = scores(batch);
        return new Evaluation(scores.loss(), ClassificationHead.predict(scores.logits()));
    }

    /** Most likely label of each row. */
    public int[] predict(Batch batch) {
        return ClassificationHead.predict(scores(new Batch(batch.inputs(), batch.pool(), null)).logits());
    }

    /** Forward only: the head's logits [B, K] (and the loss when the batch has labels). */
    public ClassificationHead.Output scores(Batch batch) {
        INDArray hidden = encoder.forward(batch.inputs(), false).lastHiddenState();
        return ClassificationHead.forward(hidden, poolOf(batch), head.weight, head.bias, batch.labels());
    }

    private static boolean[][] poolOf(Batch batch) {
        if (batch.pool() != null) return batch.pool();
        int[][] mask = batch.inputs().mask();
        if (mask == null) return null;
        boolean[][] pool = new boolean[mask.length][];
        for (int b = 0; b < pool.length; b++) {
            pool[b] = new boolean[mask[b].length];
            for (int t = 0; t < pool[b].length; t++) pool[b][t] = mask[b][t] != 0;
        }
        return pool;
    }
}
