package dev.reformer.model;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/**
 * An array's values as a Java array, row-major. DataBuffer.asDouble reads them one by one, and a cast or copy is
 * an ND4J operation with a fixed cost that outweighs a small array's values; a dense array is read in place.
 */
public final class HostValues {
    private HostValues() {}

    public static double[] doubles(INDArray a) {
        double[] out = new double[(int) a.length()];
        if (isDense(a) && a.dataType() == DataType.DOUBLE) {
            a.data().asNioDouble().get((int) a.offset(), out);
        } else if (isDense(a) && a.dataType() == DataType.FLOAT) {
            FloatBuffer values = a.data().asNioFloat();
            for (int i = 0, at = (int) a.offset(); i < out.length; i++) out[i] = values.get(at + i);
        } else {
            a.castTo(DataType.DOUBLE).dup('c').data().asNioDouble().get(out);
        }
        Reference.reachabilityFence(a);   // the buffers point into memory ND4J frees when a is collected
        return out;
    }

    /** Row-major and gapless: element i is at offset + i of its buffer. */
    public static boolean isDense(INDArray a) {
        return a.ordering() == 'c' && Shape.hasDefaultStridesForShape(a);
    }
}
