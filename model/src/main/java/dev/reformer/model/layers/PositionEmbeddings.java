package dev.reformer.model.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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
        int axes = axialShape.size();
        INDArray[] perAxis = new INDArray[axes];
        for (int a = 0; a < axes; a++) {
            INDArray table = axialWeights.get(a).reshape(axialShape.get(a), axialWeights.get(a).size(axes)); // [n_a, d_a]
            int stride = 1;
            for (int b = a + 1; b < axes; b++) stride *= axialShape.get(b);
            int[] index = new int[length];
            for (int p = 0; p < length; p++) index[p] = (p / stride) % axialShape.get(a);
            perAxis[a] = Nd4j.pullRows(table, 1, index);                                     // [T, d_a]
        }
        return Nd4j.concat(1, perAxis);
    }

    /** @param table [max_position_embeddings, C] → [T, C] */
    public static INDArray plain(INDArray table, int length) {
        return table.get(NDArrayIndex.interval(0, length), NDArrayIndex.all()).dup();
    }
}
