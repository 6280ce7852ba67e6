package dev.reformer.model.heads;

import dev.reformer.model.HostValues;
import dev.reformer.model.layers.Linear;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Per-position transcription: a linear layer from each encoder output to one logit per symbol (0 = blank),
 * trained with CTC over each row's real frames, decoded greedily.
 */
public final class CtcHead {
    private CtcHead() {}

    /**
     * @param logits [B, T, V]
     * @param logProbs per row its real frames' log-softmax [T_b][V]
     * @param loss mean over rows of -log p(target) (NaN without targets)
     */
    public record Output(INDArray logits, double[][][] logProbs, double loss) {}

    /**
     * @param hidden [B, T, 2C]
     * @param lengths [B] real frames per row (a prefix of each row)
     * @param weight [V, 2C]; bias [V]
     * @param targets [B][U_b] labels in [1, V), or null to only predict
     */
    public static Output forward(INDArray hidden, int[] lengths, INDArray weight, INDArray bias, int[][] targets) {
        int batch = (int) hidden.size(0), length = (int) hidden.size(1), vocabulary = (int) weight.size(0);
        INDArray logits = Linear.forward(hidden.reshape((long) batch * length, hidden.size(2)), weight, bias)
                .reshape(batch, length, vocabulary);
        double[] l = HostValues.doubles(logits);
        double[][][] logProbs = new double[batch][][];
        double loss = 0;
        for (int b = 0; b < batch; b++) {
            logProbs[b] = new double[lengths[b]][vocabulary];
            for (int t = 0; t < lengths[b]; t++) logSoftmax(l, (b * length + t) * vocabulary, logProbs[b][t]);
            if (targets != null) loss += Ctc.lossAndGradient(logProbs[b], targets[b], null);
        }
        return new Output(logits, logProbs, targets == null ? Double.NaN : loss / batch);
    }

    /** Adds into dWeight [V, 2C] and dBias [V]; returns dHidden [B, T, 2C] of the mean loss (0 past each length). */
    public static INDArray backward(INDArray hidden, Output output, int[][] targets, INDArray weight,
                                    INDArray dWeight, INDArray dBias) {
        int batch = (int) hidden.size(0), length = (int) hidden.size(1), vocabulary = (int) weight.size(0);
        double[] d = new double[batch * length * vocabulary];
        for (int b = 0; b < batch; b++) {
            double[][] g = new double[output.logProbs()[b].length][vocabulary];
            Ctc.lossAndGradient(output.logProbs()[b], targets[b], g);
            for (int t = 0; t < g.length; t++) {
                for (int k = 0; k < vocabulary; k++) d[(b * length + t) * vocabulary + k] = g[t][k] / batch;
            }
        }
        INDArray dLogits = Nd4j.create(d, new long[]{(long) batch * length, vocabulary}, DataType.DOUBLE)
                .castTo(hidden.dataType());
        INDArray rows = hidden.reshape((long) batch * length, hidden.size(2));
        return Linear.backward(rows, weight, dLogits, dWeight, dBias).reshape(hidden.shape());
    }

    /** Greedy transcription of each row's real frames. */
    public static int[][] decode(Output output) {
        int[][] out = new int[output.logProbs().length][];
        for (int b = 0; b < out.length; b++) out[b] = Ctc.greedyDecode(output.logProbs()[b]);
        return out;
    }

    private static void logSoftmax(double[] logits, int offset, double[] out) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int k = 0; k < out.length; k++) max = Math.max(max, logits[offset + k]);
        for (int k = 0; k < out.length; k++) sum += Math.exp(logits[offset + k] - max);
        double logSum = max + Math.log(sum);
        for (int k = 0; k < out.length; k++) out[k] = logits[offset + k] - logSum;
    }
}
