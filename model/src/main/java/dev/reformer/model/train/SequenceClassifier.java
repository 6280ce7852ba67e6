package dev.reformer.model.train;

import dev.reformer.model.Params;
import dev.reformer.model.ReformerModel;
import dev.reformer.model.heads.ClassificationHead;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** A Reformer encoder with a classification head: the trainable unit of text and audio classification. */
public final class SequenceClassifier {
    public static final String HEAD_WEIGHT = "classifier.weight", HEAD_BIAS = "classifier.bias";

    private final ReformerModel model;
    private final INDArray headWeight, headBias;     // [K, 2C], [K]
    private final Params grads;
    private final INDArray headWeightGrad, headBiasGrad;

    public SequenceClassifier(ReformerModel model, INDArray headWeight, INDArray headBias) {
        this.model = model;
        this.headWeight = headWeight;
        this.headBias = headBias;
        this.grads = Params.zeros(model.config(), headWeight.dataType());
        this.headWeightGrad = Nd4j.zerosLike(headWeight);
        this.headBiasGrad = Nd4j.zerosLike(headBias);
    }

    /** A fresh head of numLabels outputs, initialised as the reference initialises linear layers. */
    public static SequenceClassifier withNewHead(ReformerModel model, int numLabels, long seed) {
        int width = 2 * model.config().hiddenSize();
        Random random = new Random(seed);
        double[] w = new double[numLabels * width];
        for (int i = 0; i < w.length; i++) w[i] = random.nextGaussian() * model.config().initializerRange();
        var dtype = model.params().wordEmbeddings.dataType();
        return new SequenceClassifier(model, Nd4j.create(w, new long[]{numLabels, width}, org.nd4j.linalg.api.buffer.DataType.DOUBLE)
                .castTo(dtype), Nd4j.zeros(dtype, numLabels));
    }

    public ReformerModel model() { return model; }

    /**
     * A batch: token ids [B][T], the attention mask [B][T] (1 real, 0 padding; null: all real), which
     * positions the head pools over [B][T] (null: the real ones), and the labels [B].
     */
    public record Batch(int[][] ids, int[][] mask, boolean[][] pool, int[] labels) {}

    /** Every trainable tensor by name: the encoder's and the head's. */
    public Map<String, INDArray> params() {
        Map<String, INDArray> m = new LinkedHashMap<>(model.params().named());
        m.put(HEAD_WEIGHT, headWeight);
        m.put(HEAD_BIAS, headBias);
        return m;
    }

    /** The gradients of the last {@link #lossAndGradients} call, by the names of {@link #params()}. */
    public Map<String, INDArray> gradients() {
        Map<String, INDArray> m = new LinkedHashMap<>(grads.named());
        m.put(HEAD_WEIGHT, headWeightGrad);
        m.put(HEAD_BIAS, headBiasGrad);
        return m;
    }

    /** Forward and backward: returns the mean cross-entropy and leaves the gradients in {@link #gradients()}. */
    public double lossAndGradients(Batch batch) {
        grads.zero();
        headWeightGrad.assign(0);
        headBiasGrad.assign(0);
        ReformerModel.Output out = model.forwardForTraining(batch.ids(), batch.mask());
        boolean[][] pool = poolOf(batch);
        ClassificationHead.Output head = ClassificationHead.forward(out.lastHiddenState(), pool, headWeight, headBias, batch.labels());
        INDArray dHidden = ClassificationHead.backward(out.lastHiddenState(), pool, headWeight, head, batch.labels(),
                headWeightGrad, headBiasGrad);
        model.backward(out, dHidden, grads);
        return head.loss();
    }

    /** Mean loss and predicted labels of a batch, forward only. */
    public record Evaluation(double loss, int[] predicted) {}

    public Evaluation evaluate(Batch batch) {
        INDArray hidden = model.forward(batch.ids(), batch.mask()).lastHiddenState();
        ClassificationHead.Output head = ClassificationHead.forward(hidden, poolOf(batch), headWeight, headBias, batch.labels());
        return new Evaluation(head.loss(), ClassificationHead.predict(head.logits()));
    }

    /** Most likely label of each row. */
    public int[] predict(Batch batch) {
        INDArray hidden = model.forward(batch.ids(), batch.mask()).lastHiddenState();
        return ClassificationHead.predict(ClassificationHead.forward(hidden, poolOf(batch), headWeight, headBias, null).logits());
    }

    private static boolean[][] poolOf(Batch batch) {
        if (batch.pool() != null) return batch.pool();
        if (batch.mask() == null) return null;
        boolean[][] pool = new boolean[batch.mask().length][];
        for (int b = 0; b < pool.length; b++) {
            pool[b] = new boolean[batch.mask()[b].length];
            for (int t = 0; t < pool[b].length; t++) pool[b][t] = batch.mask()[b][t] != 0;
        }
        return pool;
    }
}
