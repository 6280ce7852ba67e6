package dev.reformer.model.layers;

import dev.reformer.model.HostValues;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;

/**
 * A row-wise float32 function of an [N, in] array into a new [N, out] one, in blocks of 64 rows over
 * {@link KernelThreads}, each block copied between ND4J's native buffers and per-thread Java buffers. The Java
 * kernels run on arrays; the blocks keep those buffers small whatever N is, and a block's rows in cache.
 */
final class RowBlocks {
    static final int ROWS = 64;

    /** Maps in [rows, in] to out [rows, out], rows at most ROWS. */
    @FunctionalInterface
    interface Block {
        void apply(float[] in, int rows, float[] out);
    }

    private static final class Buffers {
        float[] in = new float[0], out = new float[0];
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private RowBlocks() {}

    static INDArray map(INDArray x, int outColumns, Block block) {
        int n = (int) x.size(0), in = (int) x.size(1);
        INDArray dense = HostValues.denseFloat(x), y = Nd4j.createUninitialized(DataType.FLOAT, new long[]{n, outColumns}, 'c');
        FloatBuffer xs = dense.data().asNioFloat(), ys = y.data().asNioFloat();
        int offset = (int) dense.offset();
        KernelThreads.forEach((n + ROWS - 1) / ROWS, b -> {
            int from = b * ROWS, rows = Math.min(ROWS, n - from);
            Buffers buffers = BUFFERS.get();
            float[] inRows = buffers.in = HeapScratch.atLeast(buffers.in, ROWS * in);
            float[] outRows = buffers.out = HeapScratch.atLeast(buffers.out, ROWS * outColumns);
            xs.get(offset + from * in, inRows, 0, rows * in);
            block.apply(inRows, rows, outRows);
            ys.put(from * outColumns, outRows, 0, rows * outColumns);
        });
        Reference.reachabilityFence(dense);   // the buffers point into native memory ND4J frees when its arrays are collected
        Reference.reachabilityFence(y);
        return y;
    }
}
