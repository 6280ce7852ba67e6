package dev.reformer.model.layers;

import dev.reformer.model.HostValues;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Table lookups and their backward: adding each row's gradient into the table row it came from. */
public final class Embeddings {
    private Embeddings() {}

    /**
     * rows[i] = table[index[i]]: [N, C] from a table [..., C] read as rows of C, in the table's type. In Java rather
     * than with Nd4j.pullRows: the job's JVM died in that native call (SIGSEGV in DataBuffer::primary, under
     * PositionEmbeddings.axial, once in about 25 benchmark runs), most likely because the view passed to it is unused
     * afterwards and can be collected while the call runs, its buffer descriptor freed under the native code.
     */
    public static INDArray gatherRows(INDArray table, int[] index) {
        int c = (int) table.size(table.rank() - 1), rows = (int) (table.length() / c);
        double[] values = HostValues.doubles(table), row = new double[c];
        HostValues.Writer out = new HostValues.Writer(table.dataType(), index.length, c);
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= rows) throw new IndexOutOfBoundsException("row " + index[i] + " of a table of " + rows);
            System.arraycopy(values, index[i] * c, row, 0, c);
            out.put(i * c, row);
        }
        return out.array;
    }

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
