package dev.reformer.model.layers;

import dev.reformer.model.HostValues;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Table lookups and their backward: adding each row's gradient into the table row it came from. */
public final class Embeddings {
    private Embeddings() {}

    /**
     * table[index[i]] += dRows[i] for every i with index[i] >= 0.
     *
     * @param dRows [N, C]
     * @param table [V, C] a gradient accumulator
     */
    public static void scatterAdd(INDArray dRows, int[] index, INDArray table) {
        int c = (int) dRows.size(1);
        double[] d = HostValues.doubles(dRows);
        double[] sums = new double[(int) table.length()];
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0) continue;
            for (int k = 0; k < c; k++) sums[index[i] * c + k] += d[i * c + k];
        }
        table.addi(Nd4j.create(sums, table.shape(), DataType.DOUBLE).castTo(table.dataType()));
    }
}
