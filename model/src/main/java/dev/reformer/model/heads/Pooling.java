package dev.reformer.model.heads;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The mean over each row's real positions, and its backward. */
final class Pooling {
    private Pooling() {}

    /** hidden [B, T, W], valid [B][T] (null: all) → [B, W] */
    static INDArray maskedMean(INDArray hidden, boolean[][] valid) {
        return hidden.mul(weights(valid, hidden)).sum(1);
    }

    /** dPooled [B, W] → dHidden [B, T, W]: each real position gets dPooled / count. */
    static INDArray maskedMeanBackward(INDArray dPooled, boolean[][] valid, int length) {
        int batch = (int) dPooled.size(0);
        INDArray w = weights(valid, Nd4j.create(dPooled.dataType(), batch, length, 1));
        return w.mul(dPooled.reshape(batch, 1, dPooled.size(1)));
    }

    /** [B, T, 1]: 1 / (real positions of the row) at real positions, 0 elsewhere. */
    private static INDArray weights(boolean[][] valid, INDArray like) {
        int batch = (int) like.size(0), length = (int) like.size(1);
        double[] w = new double[batch * length];
        for (int b = 0; b < batch; b++) {
            int count = 0;
            for (int t = 0; t < length; t++) if (valid == null || valid[b][t]) count++;
            if (count == 0) throw new IllegalArgumentException("row " + b + " has no real position to pool");
            for (int t = 0; t < length; t++) if (valid == null || valid[b][t]) w[b * length + t] = 1.0 / count;
        }
        return Nd4j.create(w, new long[]{batch, length, 1}, org.nd4j.linalg.api.buffer.DataType.DOUBLE).castTo(like.dataType());
    }
}
