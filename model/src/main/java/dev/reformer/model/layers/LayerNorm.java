package dev.reformer.model.layers;

import dev.reformer.model.HostValues;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;


/** Layer normalisation over the last dimension (biased variance, as torch.nn.LayerNorm). */
public final class LayerNorm {
    private LayerNorm() {}

    /**
     * @param x [N, C]
     * @param weight [C]
     * @param bias [C]
     * @return [N, C]
     */
    public static INDArray forward(INDArray x, INDArray weight, INDArray bias, double eps) {
        if (x.dataType() == DataType.FLOAT && ChunkedAttention.VECTOR_API) return forwardFloat(x, weight, bias, eps);
        // one pass over the rows in Java: as ND4J operations a norm was nine arrays and nine calls, and at this
        // model's sizes (64 channels) their fixed costs were most of its time
        int rows = (int) x.size(0), c = (int) x.size(1);
        double[] w = HostValues.doubles(weight), b = HostValues.doubles(bias), row = new double[c];
        HostValues.Reader in = new HostValues.Reader(x);
        HostValues.Writer y = new HostValues.Writer(x.dataType(), rows, c);
        for (int r = 0, at = 0; r < rows; r++, at += c) {
            in.get(at, row);
            double mean = sum(row) / c;
            double rstd = 1 / Math.sqrt(squaredDistances(row, mean) / c + eps);
            for (int j = 0; j < c; j++) row[j] = (row[j] - mean) * rstd * w[j] + b[j];
            y.put(at, row);
        }
        return y.array;
    }

    /** float32 with the Vector API, in parallel blocks of rows. */
    private static INDArray forwardFloat(INDArray x, INDArray weight, INDArray bias, double eps) {
        int c = (int) x.size(1);
        float[] w = HostValues.floats(weight, new float[c]), b = HostValues.floats(bias, new float[c]);
        return RowBlocks.map(x, c, (rows, n, y) -> VectorMath.layerNormRows(rows, 0, n, c, w, b, (float) eps, y));
    }

    // four partial sums, so that each add need not wait for the one before it

    private static double sum(double[] row) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;
        for (; j + 3 < row.length; j += 4) {
            s0 += row[j];
            s1 += row[j + 1];
            s2 += row[j + 2];
            s3 += row[j + 3];
        }
        for (; j < row.length; j++) s0 += row[j];
        return (s0 + s1) + (s2 + s3);
    }

    private static double squaredDistances(double[] row, double mean) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;
        for (; j + 3 < row.length; j += 4) {
            double a = row[j] - mean, b = row[j + 1] - mean, c = row[j + 2] - mean, d = row[j + 3] - mean;
            s0 += a * a;
            s1 += b * b;
            s2 += c * c;
            s3 += d * d;
        }
        for (; j < row.length; j++) s0 += (row[j] - mean) * (row[j] - mean);
        return (s0 + s1) + (s2 + s3);
    }

    /**
     * Backward recomputes the normalised input from x instead of keeping it. Adds into dWeight and dBias [C].
     *
     * @param x [N, C] the forward input
     * @param dy [N, C]
     * @return dx [N, C] = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy * weight
     */
    public static INDArray backward(INDArray x, INDArray weight, double eps, INDArray dy, INDArray dWeight, INDArray dBias) {
        INDArray centered = x.sub(x.mean(true, 1));
        INDArray rstd = Transforms.pow(centered.mul(centered).mean(true, 1).addi(eps), -0.5, false); // [N, 1]
        INDArray normed = centered.mul(rstd);                                                 // [N, C]
        dWeight.addi(dy.mul(normed).sum(0));
        dBias.addi(dy.sum(0));
        INDArray dNormed = dy.mulRowVector(weight);
        INDArray meanDNormed = dNormed.mean(true, 1);
        INDArray meanDNormedNormed = dNormed.mul(normed).mean(true, 1);
        return dNormed.subi(meanDNormed).subi(normed.muli(meanDNormedNormed)).muli(rstd);
    }
}
