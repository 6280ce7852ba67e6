package dev.reformer.model.layers;

import dev.reformer.model.HostValues;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;


/**
 * A dense layer as the reference stores it: weight (out, in), y = x W^T + b.
 *
 * <p>Products go through {@link Nd4j#gemm} with the transposes as flags and a row-major output: INDArray.mmul
 * of a transposed view writes a column-major result and copies it to row-major, and that copy took longer than
 * the product itself at this model's sizes (1,024 x 64 by 64 x 128: 590 us against 210 us on one thread).
 *
 * <p>In float32 with the Vector API, the forward product is computed in Java instead ({@link VectorMath#multiply}):
 * 1.7 times ND4J's sgemm (OpenBLAS) on this project's AVX-512 machines, with no per-call native overhead.
 */
public final class Linear {
    /** Per-thread buffers of the weight and its transpose. */
    private static final class Buffers {
        float[] weight = new float[0], weightT = new float[0];
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private Linear() {}

    /**
     * @param x [N, in]
     * @param weight [out, in]
     * @param bias [out] or null
     * @return [N, out]
     */
    public static INDArray forward(INDArray x, INDArray weight, INDArray bias) {
        if (x.dataType() == DataType.FLOAT && weight.dataType() == DataType.FLOAT && ChunkedAttention.VECTOR_API) {
            return forwardInJava(x, weight, bias);
        }
        INDArray y = Nd4j.createUninitialized(x.dataType(), new long[]{x.size(0), weight.size(0)}, 'c');
        Nd4j.gemm(x, weight, y, false, true, 1.0, 0.0);
        // from Java: ND4J's broadcast add made six objects a call that its deallocator tracks until the next
        // collection, which then copies them all (in serving, most of each young collection's pause)
        if (bias != null) HostValues.addToEveryRow(y, bias);
        return y;
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

    private static INDArray forwardInJava(INDArray x, INDArray weight, INDArray bias) {
        int in = (int) x.size(1), out = (int) weight.size(0);
        Buffers caller = BUFFERS.get();
        caller.weight = HostValues.floats(weight, HeapScratch.atLeast(caller.weight, out * in));
        float[] weightT = caller.weightT = HeapScratch.atLeast(caller.weightT, in * out);
        VectorMath.transpose(caller.weight, out, in, weightT);                                 // [in, out]
        float[] add = bias == null ? null : HostValues.floats(bias, new float[out]);
        return RowBlocks.map(x, out, (rows, n, y) -> {
            VectorMath.multiply(rows, n, in, weightT, out, y);
            if (add != null) for (int r = 0; r < n; r++) for (int o = 0; o < out; o++) y[r * out + o] += add[o];
        });
    }
}
