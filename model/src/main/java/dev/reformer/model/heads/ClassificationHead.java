package dev.reformer.model.heads;

import dev.reformer.model.HostValues;
import dev.reformer.model.layers.Linear;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Sequence classification: the mean of the encoder's outputs over each row's real positions, then a
 * linear layer to one logit per label; cross-entropy averaged over the batch.
 */
public final class ClassificationHead {
    private ClassificationHead() {}

    /**
     * @param logits [B, K]
     * @param pooled [B, 2C] the masked mean (backward needs it)
     * @param loss mean cross-entropy over the batch (NaN when no labels were given)
     */
    public record Output(INDArray logits, INDArray pooled, double loss) {}

    /**
     * @param hidden [B, T, 2C] the encoder's last hidden state
     * @param valid [B][T] real positions, or null for all
     * @param weight [K, 2C]; bias [K]
     * @param labels [B] in [0, K), or null to only predict
     */
    public static Output forward(INDArray hidden, boolean[][] valid, INDArray weight, INDArray bias, int[] labels) {
        INDArray pooled = Pooling.maskedMean(hidden, valid);                                   // [B, 2C]
        INDArray logits = Linear.forward(pooled, weight, bias);
        double loss = labels == null ? Double.NaN : crossEntropy(logits, labels);
        return new Output(logits, pooled, loss);
    }

    /** Adds into dWeight [K, 2C] and dBias [K]; returns dHidden [B, T, 2C] of the mean loss. */
    public static INDArray backward(INDArray hidden, boolean[][] valid, INDArray weight, Output output, int[] labels,
                                    INDArray dWeight, INDArray dBias) {
        // d mean CE / d logits = (softmax - one-hot) / B
        INDArray dLogits = softmax(output.logits());
        int batch = labels.length;
        for (int b = 0; b < batch; b++) dLogits.putScalar(b, labels[b], dLogits.getDouble(b, labels[b]) - 1);
        dLogits.divi(batch);
        INDArray dPooled = Linear.backward(output.pooled(), weight, dLogits, dWeight, dBias);
        return Pooling.maskedMeanBackward(dPooled, valid, (int) hidden.size(1));
    }

    /** Rows' probabilities. logits [B, K] → [B, K] */
    public static INDArray softmax(INDArray logits) {
        INDArray e = Transforms.exp(logits.sub(logits.max(true, 1)), false);
        return e.divi(e.sum(true, 1));
    }

    private static double crossEntropy(INDArray logits, int[] labels) {
        double[] l = HostValues.doubles(logits);
        int k = (int) logits.size(1);
        double total = 0;
        for (int b = 0; b < labels.length; b++) {
            if (labels[b] < 0 || labels[b] >= k) {
                throw new IllegalArgumentException("label " + labels[b] + " of row " + b + " is outside [0, " + k + ")");
            }
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < k; j++) max = Math.max(max, l[b * k + j]);
            for (int j = 0; j < k; j++) sum += Math.exp(l[b * k + j] - max);
            total += max + Math.log(sum) - l[b * k + labels[b]];
        }
        return total / labels.length;
    }

    /** Index of each row's largest logit. logits [B, K] */
    public static int[] predict(INDArray logits) {
        return Nd4j.argMax(logits, 1).toIntVector();
    }
}
