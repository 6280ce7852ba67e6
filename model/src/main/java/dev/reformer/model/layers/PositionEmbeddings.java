package dev.reformer.model.layers;

import dev.reformer.model.HostValues;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.List;

/**
 * Position embeddings: axial (position p = (i0, i1, ...) in mixed radix over axial_pos_shape gets the
 * concatenation of each axis' vector, so 64K positions cost a few thousand parameters) or a plain table.
 */
public final class PositionEmbeddings {
    private PositionEmbeddings() {}

    /**
     * @param axialWeights per axis a: [1..n_a..1, d_a]
     * @return [T, C] with C = sum of d_a
     */
    public static INDArray axial(List<INDArray> axialWeights, List<Integer> axialShape, int length) {
        // in Java (see Embeddings.gatherRows for why not pullRows): position p's vector is axis 0's row, then axis 1's, ...
        int axes = axialShape.size(), width = 0;
        double[][] tables = new double[axes][];
        int[] widths = new int[axes], strides = new int[axes];
        for (int a = 0; a < axes; a++) {
            tables[a] = HostValues.doubles(axialWeights.get(a));      // [n_a, d_a] row-major
            widths[a] = (int) axialWeights.get(a).size(axes);
            width += widths[a];
            strides[a] = 1;
            for (int b = a + 1; b < axes; b++) strides[a] *= axialShape.get(b);
        }
        double[] row = new double[width];
        HostValues.Writer out = new HostValues.Writer(axialWeights.get(0).dataType(), length, width);
        for (int p = 0; p < length; p++) {
            int at = 0;
            for (int a = 0; a < axes; a++) {
                int digit = (p / strides[a]) % axialShape.get(a);
                System.arraycopy(tables[a], digit * widths[a], row, at, widths[a]);
                at += widths[a];
            }
            out.put(p * width, row);
        }
        return out.array;
    }

    /**
     * Adds each axis' share of the positions' gradient into its table: axis a's vector i received the
     * gradient of every position whose a-th mixed-radix digit is i.
     *
     * @param dEmbeddings [B*T, C]
     * @param dAxialWeights per axis a: [1..n_a..1, d_a] gradient accumulators
     */
    public static void axialBackward(INDArray dEmbeddings, int batch, int length, List<Integer> axialShape,
                                     List<INDArray> dAxialWeights) {
        INDArray perPosition = dEmbeddings.reshape(batch, length, dEmbeddings.size(1)).sum(0);   // [T, C]
        long offset = 0;
        for (int a = 0; a < axialShape.size(); a++) {
            INDArray table = dAxialWeights.get(a);
            long width = table.size(axialShape.size());
            int stride = 1;
            for (int b = a + 1; b < axialShape.size(); b++) stride *= axialShape.get(b);
            int[] index = new int[length];
            for (int p = 0; p < length; p++) index[p] = (p / stride) % axialShape.get(a);
            INDArray slice = perPosition.get(NDArrayIndex.all(), NDArrayIndex.interval(offset, offset + width));
            Embeddings.scatterAdd(slice, index, table.reshape(axialShape.get(a), width));
            offset += width;
        }
    }

    /** Adds the positions' gradient, summed over the batch, into the table's first T rows. dEmbeddings [B*T, C] */
    public static void plainBackward(INDArray dEmbeddings, int batch, int length, INDArray dTable) {
        INDArray perPosition = dEmbeddings.reshape(batch, length, dEmbeddings.size(1)).sum(0);   // [T, C]
        dTable.get(NDArrayIndex.interval(0, length), NDArrayIndex.all()).addi(perPosition);
    }

    /** @param table [max_position_embeddings, C] → [T, C] */
    public static INDArray plain(INDArray table, int length) {
        return table.get(NDArrayIndex.interval(0, length), NDArrayIndex.all()).dup();
    }
}
