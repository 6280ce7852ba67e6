package dev.reformer.model.layers;

import dev.reformer.model.HostValues;
import java.lang.ref.Reference;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A dense layer as the reference stores it: weight (out, in), y = x W^T + b.
 *
 * <p>Products go through {@link Nd4j#gemm} with the transposes as flags and a row-major output: INDArray.mmul
 * of a transposed view writes a column-major result and copies it to row-major, and that copy took longer than
 * the product itself at this model's sizes (1,024 x 64 by 64 x 128: 590 us against 210 us on one thread).
 */
public final class Linear {
    private Linear() {}

    /**
     * @param x [N, in]
     * @param weight [out, in]
     * @param bias [out] or null
     * @return [N, out]
     */
    public static INDArray forward(INDArray x, INDArray weight, INDArray bias) {
        INDArray y = Nd4j.createUninitialized(x.dataType(), new long[]{x.size(0), weight.size(0)}, 'c');
        Nd4j.gemm(x, weight, y, false, true, 1.0, 0.0);
        if (bias != null) addToEveryRow(y, bias);
        return y;
    }

    /**
     * y[n, :] += bias, written from Java. ND4J's broadcast add makes six objects per call that its deallocator
     * tracks until the next garbage collection, which then copies them all: in serving, with hundreds of calls a
     * second, that copying was most of each young collection's pause.
     *
     * @param y [N, out], new and row-major (as forward makes it)
     */
    private static void addToEveryRow(INDArray y, INDArray bias) {
        int rows = (int) y.size(0), columns = (int) y.size(1);
        double[] b = HostValues.doubles(bias);
        if (y.dataType() == DataType.FLOAT) {
            FloatBuffer values = y.data().asNioFloat();
            float[] row = new float[columns], fb = new float[columns];
            for (int k = 0; k < columns; k++) fb[k] = (float) b[k];
            for (int n = 0; n < rows; n++) {
                values.get(n * columns, row);
                for (int k = 0; k < columns; k++) row[k] += fb[k];
                values.put(n * columns, row);
            }
        } else {
            DoubleBuffer values = y.data().asNioDouble();
            double[] row = new double[columns];
            for (int n = 0; n < rows; n++) {
                values.get(n * columns, row);
                for (int k = 0; k < columns; k++) row[k] += b[k];
                values.put(n * columns, row);
            }
        }
        Reference.reachabilityFence(y);   // the buffers point into memory ND4J frees when y is collected
    }

    /**
     * Adds dy^T x into dWeight [out, in] and the column sums of dy into dBias [out] (when not null).
     *
     * @param x [N, in] the forward input
     * @param dy [N, out]
     * @return dx [N, in] = dy W
     */
    public static INDArray backward(INDArray x, INDArray weight, INDArray dy, INDArray dWeight, INDArray dBias) {
        Nd4j.gemm(dy, x, dWeight, true, false, 1.0, 1.0);
        if (dBias != null) dBias.addi(dy.sum(0));
        INDArray dx = Nd4j.createUninitialized(dy.dataType(), new long[]{dy.size(0), weight.size(1)}, 'c');
        Nd4j.gemm(dy, weight, dx, false, false, 1.0, 0.0);
        return dx;
    }
}
