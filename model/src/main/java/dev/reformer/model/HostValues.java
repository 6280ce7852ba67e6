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
        new Reader(a).get(0, out);
        return out;
    }

    /**
     * All of a's values, row-major, as float32 into out (at least a's length; a caller reuses it from call to call):
     * a dense FLOAT array is copied out in one piece.
     */
    public static float[] floats(INDArray a, float[] out) {
        int n = (int) a.length();
        if (out.length < n) throw new IllegalArgumentException("out has " + out.length + " values, the array " + n);
        INDArray dense = denseFloat(a);
        dense.data().asNioFloat().get((int) dense.offset(), out, 0, n);
        Reference.reachabilityFence(dense);   // the buffer points into memory ND4J frees when dense is collected
        return out;
    }

    /** a itself when it is a dense FLOAT array (read it from its offset), else a dense FLOAT copy. */
    public static INDArray denseFloat(INDArray a) {
        return a.dataType() == DataType.FLOAT && isDense(a) ? a : a.castTo(DataType.FLOAT).dup('c');
    }

    /** Reads rows of an array: a dense FLOAT or DOUBLE one in place, any other from a row-major copy in DOUBLE. */
    public static final class Reader {
        private final INDArray source;
        private final int offset;
        private final FloatBuffer floats;
        private final java.nio.DoubleBuffer doubles;
        private final float[] row = new float[1024];

        public Reader(INDArray a) {
            boolean floating = a.dataType() == DataType.FLOAT || a.dataType() == DataType.DOUBLE;
            source = floating && isDense(a) ? a : a.castTo(floating ? a.dataType() : DataType.DOUBLE).dup('c');
            offset = (int) source.offset();
            floats = source.dataType() == DataType.FLOAT ? source.data().asNioFloat() : null;
            doubles = source.dataType() == DataType.DOUBLE ? source.data().asNioDouble() : null;
        }

        /** The elements at, at + 1, ... (row-major) into values. */
        public void get(int at, double[] values) {
            if (doubles != null) {
                doubles.get(offset + at, values);
            } else {
                for (int done = 0; done < values.length; done += row.length) {   // in pieces: no garbage the size of the array
                    int n = Math.min(row.length, values.length - done);
                    floats.get(offset + at + done, row, 0, n);
                    for (int i = 0; i < n; i++) values[done + i] = row[i];
                }
            }
            Reference.reachabilityFence(source);   // the buffers point into memory ND4J frees when source is collected
        }
    }

    /** Writes rows of values into a new row-major FLOAT or DOUBLE array. */
    public static final class Writer {
        public final INDArray array;
        private final FloatBuffer floats;
        private final java.nio.DoubleBuffer doubles;
        private float[] row32 = new float[0];

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
                if (row32.length < values.length) row32 = new float[values.length];
                for (int i = 0; i < values.length; i++) row32[i] = (float) values[i];
                floats.put(at, row32, 0, values.length);
            }
        }
    }

    /**
     * dense[n, :] += row for every n, in place, from Java.
     *
     * @param dense [N, K], row-major, gapless and FLOAT or DOUBLE (a new array, as Linear makes it)
     * @param row [K]
     */
    public static void addToEveryRow(INDArray dense, INDArray row) {
        if (!isDense(dense)) throw new IllegalArgumentException("a row-major gapless array is needed, not " + dense.shapeInfoToString());
        int rows = (int) dense.size(0), columns = (int) dense.size(1), offset = (int) dense.offset();
        double[] add = doubles(row);
        if (dense.dataType() == DataType.FLOAT) {
            FloatBuffer values = dense.data().asNioFloat();
            float[] values32 = new float[columns], add32 = new float[columns];
            for (int k = 0; k < columns; k++) add32[k] = (float) add[k];
            for (int n = 0; n < rows; n++) {
                values.get(offset + n * columns, values32);
                for (int k = 0; k < columns; k++) values32[k] += add32[k];
                values.put(offset + n * columns, values32);
            }
        } else if (dense.dataType() == DataType.DOUBLE) {
            java.nio.DoubleBuffer values = dense.data().asNioDouble();
            double[] values64 = new double[columns];
            for (int n = 0; n < rows; n++) {
                values.get(offset + n * columns, values64);
                for (int k = 0; k < columns; k++) values64[k] += add[k];
                values.put(offset + n * columns, values64);
            }
        } else {
            throw new IllegalArgumentException("FLOAT or DOUBLE, not " + dense.dataType());
        }
        Reference.reachabilityFence(dense);   // the buffers point into memory ND4J frees when dense is collected
    }

    /** Row-major and gapless: element i is at offset + i of its buffer. */
    public static boolean isDense(INDArray a) {
        return a.ordering() == 'c' && Shape.hasDefaultStridesForShape(a);
    }
}
