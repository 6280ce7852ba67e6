package dev.reformer.model;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An array's values as a Java array, row-major. DataBuffer.asDouble reads them one by one, and a cast or copy is
 * an ND4J operation with a fixed cost that outweighs a small array's values; a dense array is read in place.
 */
public final class HostValues {
    private HostValues() {}

    public static double[] doubles(INDArray a) {
        return doubles(a, new double[(int) a.length()]);
    }

    /** Into out (of a's length), which a caller may reuse from call to call. */
    public static double[] doubles(INDArray a, double[] out) {
        if (out.length != a.length()) throw new IllegalArgumentException("out has " + out.length + " values, the array " + a.length());
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

    /** Writes rows of values into a new row-major FLOAT or DOUBLE array. */
    public static final class Writer {
        public final INDArray array;
        private final FloatBuffer floats;
        private final java.nio.DoubleBuffer doubles;

        public Writer(DataType type, long... shape) {
            array = Nd4j.createUninitialized(type, shape);
            if (type != DataType.FLOAT && type != DataType.DOUBLE) throw new IllegalArgumentException("FLOAT or DOUBLE, not " + type);
            floats = type == DataType.FLOAT ? array.data().asNioFloat() : null;
            doubles = type == DataType.DOUBLE ? array.data().asNioDouble() : null;
        }

        /** values into the elements at, at + 1, ... (row-major) */
        public void put(int at, double[] values) {
            if (doubles != null) {
                doubles.put(at, values);
            } else {
                for (int i = 0; i < values.length; i++) floats.put(at + i, (float) values[i]);
            }
        }
    }

    /** Row-major and gapless: element i is at offset + i of its buffer. */
    public static boolean isDense(INDArray a) {
        return a.ordering() == 'c' && Shape.hasDefaultStridesForShape(a);
    }
}
