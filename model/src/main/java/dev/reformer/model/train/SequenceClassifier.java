package dev.reformer.model.train;

import dev.reformer.model.ReformerModel;
import dev.reformer.model.heads.ClassificationHead;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** An encoder with a classification head (masked mean pooling, cross-entropy): text and audio classification. */
public final class SequenceClassifier implements Trainable {
    public static final String HEAD_WEIGHT = "classifier.weight", HEAD_BIAS = "classifier.bias";

    private final Encoder encoder;
    private final INDArray headWeight, headBias;     // [K, 2C], [K]
    private final INDArray headWeightGrad, headBiasGrad;

    public SequenceClassifier(Encoder encoder, INDArray headWeight, INDArray headBias) {
        this.encoder = encoder;
        this.headWeight = headWeight;
        this.headBias = headBias;
        this.headWeightGrad = Nd4j.zerosLike(headWeight);
        this.headBiasGrad = Nd4j.zerosLike(headBias);
    }

    /** A token-id classifier with a fresh head of numLabels outputs. */
    public static SequenceClassifier withNewHead(ReformerModel model, int numLabels, long seed) {
        return withNewHead(Encoder.ofTokens(model), numLabels, seed);
    }

    /** A fresh head of numLabels outputs, initialised as the reference initialises linear layers. */
    public static SequenceClassifier withNewHead(Encoder encoder, int numLabels, long seed) {
        INDArray[] head = newLinear(numLabels, 2 * encoder.model().config().hiddenSize(), encoder, seed);
        return new SequenceClassifier(encoder, head[0], head[1]);
    }

    /** Weight [out, in] ~ N(0, initializer_range), bias 0, in the encoder's data type. */
    static INDArray[] newLinear(int out, int in, Encoder encoder, long seed) {
        Random random = new Random(seed);
        double[] w = new double[out * in];
        for (int i = 0; i < w.length; i++) w[i] = random.nextGaussian() * encoder.model().config().initializerRange();
        DataType dtype = encoder.model().params().wordEmbeddings.dataType();
        return new INDArray[]{Nd4j.create(w, new long[]{out, in}, DataType.DOUBLE).castTo(dtype), Nd4j.zeros(dtype, out)};
    }

    @Override
    public Encoder encoder() { return encoder; }

    public ReformerModel model() { return encoder.model(); }

    public int numLabels() { return (int) headWeight.size(0); }

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
    public Map<String, INDArray> params() {
        Map<String, INDArray> m = new LinkedHashMap<>(encoder.params());
        m.put(HEAD_WEIGHT, headWeight);
        m.put(HEAD_BIAS, headBias);
        return m;
    }

    @Override
    public Map<String, INDArray> gradients() {
        Map<String, INDArray> m = new LinkedHashMap<>(encoder.gradients());
        m.put(HEAD_WEIGHT, headWeightGrad);
        m.put(HEAD_BIAS, headBiasGrad);
        return m;
    }

    @Override
    public double lossAndGradients(List<Example> examples) {
        return lossAndGradients(batch(examples));
    }

    /** Forward and backward: returns the mean cross-entropy and leaves the gradients in {@link #gradients()}. */
    public double lossAndGradients(Batch batch) {
        encoder.zeroGradients();
        headWeightGrad.assign(0);
        headBiasGrad.assign(0);
        ReformerModel.Output out = encoder.forward(batch.inputs(), true);
        boolean[][] pool = poolOf(batch);
        ClassificationHead.Output head = ClassificationHead.forward(out.lastHiddenState(), pool, headWeight, headBias, batch.labels());
        INDArray dHidden = ClassificationHead.backward(out.lastHiddenState(), pool, headWeight, head, batch.labels(),
                headWeightGrad, headBiasGrad);
        encoder.backward(batch.inputs(), out, dHidden);
        return head.loss();
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
        ClassificationHead.Output head = scores(batch);
        return new Evaluation(head.loss(), ClassificationHead.predict(head.logits()));
    }

    /** Most likely label of each row. */
    public int[] predict(Batch batch) {
        return ClassificationHead.predict(scores(new Batch(batch.inputs(), batch.pool(), null)).logits());
    }

    /** Forward only: the head's logits [B, K] (and the loss when the batch has labels). */
    public ClassificationHead.Output scores(Batch batch) {
        INDArray hidden = encoder.forward(batch.inputs(), false).lastHiddenState();
        return ClassificationHead.forward(hidden, poolOf(batch), headWeight, headBias, batch.labels());
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
