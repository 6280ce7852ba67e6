package dev.reformer.model.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.stream.IntStream;

/**
 * Chunked attention in plain float64 Java: the readable statement of what {@link VectorKernel} does fast,
 * and the precision used to check against the reference. Float32 inputs are computed in float64 and
 * returned as float32 (the fallback when the Vector API is not available).
 */
final class ScalarKernel implements ChunkedAttention.Kernel {

    @Override
    public ChunkedAttention.Result forward(INDArray queries, INDArray keys, INDArray values, ChunkedAttention.Plan plan) {
        double[] q = doubles(queries), k = doubles(keys), v = doubles(values);
        int d = plan.headSize(), rows = (int) queries.size(0);
        double[] out = new double[plan.rounds() * rows * d];
        double[] logsumexp = new double[plan.rounds() * rows];
        int chunks = plan.groups() * plan.chunksPerGroup();
        IntStream.range(0, chunks).parallel().forEach(m -> attendChunk(plan, m, q, k, v, out, logsumexp));
        DataType dtype = queries.dataType();
        return new ChunkedAttention.Result(
                Nd4j.create(out, new long[]{plan.rounds(), rows, d}, DataType.DOUBLE).castTo(dtype),
                Nd4j.create(logsumexp, new long[]{plan.rounds(), rows, 1}, DataType.DOUBLE).castTo(dtype));
    }

    /** Chunk m = (group g, chunk n): scores, masks, softmax via logsumexp, weighted values. */
    private static void attendChunk(ChunkedAttention.Plan plan, int m, double[] q, double[] k, double[] v,
                                    double[] out, double[] logsumexp) {
        int g = m / plan.chunksPerGroup(), n = m % plan.chunksPerGroup();
        int chunk = plan.chunk(), window = plan.window(), d = plan.headSize();
        int[] pos = plan.positions()[g];
        int[] keyRows = new int[window];
        for (int j = 0; j < window; j++) keyRows[j] = plan.row(g, pos[plan.keySlot(n, j)]);
        byte[] codes = new byte[chunk * window];
        plan.maskCodes(g, n, codes);
        double[] scores = new double[window];
        for (int i = 0; i < chunk; i++) {
            int slot = n * chunk + i;
            int queryRow = plan.row(g, pos[slot]);
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < window; j++) {
                double s = 0;
                for (int c = 0; c < d; c++) s += q[queryRow * d + c] * k[keyRows[j] * d + c];
                byte code = codes[i * window + j];
                if (code == ChunkedAttention.MASKED) s = ChunkedAttention.MASK_VALUE;
                else if (code == ChunkedAttention.SELF) s = ChunkedAttention.SELF_MASK_VALUE;
                scores[j] = s;
                max = Math.max(max, s);
            }
            double sum = 0;
            for (int j = 0; j < window; j++) sum += (scores[j] = Math.exp(scores[j] - max));
            int outRow = plan.outputRow(g, slot);
            logsumexp[outRow] = max + Math.log(sum);
            for (int j = 0; j < window; j++) {
                double p = scores[j] / sum;
                for (int c = 0; c < d; c++) out[outRow * d + c] += p * v[keyRows[j] * d + c];
            }
        }
    }

    private static double[] doubles(INDArray x) {
        INDArray c = x.castTo(DataType.DOUBLE);
        if (c.isView() || c.ordering() != 'c' || c.data().length() != c.length()) c = c.dup('c');
        return c.data().asDouble();
    }
}
