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
    public INDArray forward(INDArray queries, INDArray keys, INDArray values, ChunkedAttention.Plan plan) {
        double[] q = doubles(queries), k = keys == null ? q : doubles(keys), v = doubles(values);
        boolean sharedKeys = keys == null;
        int d = plan.headSize(), rows = (int) queries.size(0), rounds = plan.rounds();
        double[] perRound = new double[rounds * rows * d];   // [R, rows, D]
        double[] logsumexp = new double[rounds * rows];      // [R, rows]
        int chunks = plan.groups() * plan.chunksPerGroup();
        IntStream.range(0, chunks).parallel().forEach(m -> attendChunk(plan, m, q, k, v, sharedKeys, perRound, logsumexp));
        double[] out = combineRounds(perRound, logsumexp, rounds, rows, d);
        return Nd4j.create(out, new long[]{rows, d}, DataType.DOUBLE).castTo(queries.dataType());
    }

    @Override
    public ChunkedAttention.Rotator rotator(INDArray rows, INDArray rotations) {
        double[] x = doubles(rows), rot = doubles(rotations);
        int d = (int) rows.size(1), columns = (int) (rotations.size(2) * rotations.size(3));
        return (row, head, out) -> {
            java.util.Arrays.fill(out, 0, columns, 0);
            for (int c = 0; c < d; c++) {
                double xc = x[row * d + c];
                int base = (head * d + c) * columns;
                for (int k = 0; k < columns; k++) out[k] += xc * rot[base + k];
            }
        };
    }

    /** Chunk m = (group g, chunk n): scores, masks, softmax via logsumexp, weighted values. */
    private static void attendChunk(ChunkedAttention.Plan plan, int m, double[] q, double[] k, double[] v,
                                    boolean sharedKeys, double[] out, double[] logsumexp) {
        int g = m / plan.chunksPerGroup(), n = m % plan.chunksPerGroup();
        int chunk = plan.chunk(), window = plan.window(), d = plan.headSize();
        int[] pos = plan.positions()[g];
        boolean[] rowValid = plan.rowValid(g);
        int[] keyRows = new int[window], keyPositions = new int[window];
        double[] keyScale = new double[window];
        for (int j = 0; j < window; j++) {
            keyPositions[j] = pos[plan.keySlot(n, j)];
            keyRows[j] = plan.row(g, keyPositions[j]);
            keyScale[j] = 1;
            if (sharedKeys) {
                double squares = 0;
                for (int c = 0; c < d; c++) squares += k[keyRows[j] * d + c] * k[keyRows[j] * d + c];
                keyScale[j] = ChunkedAttention.sharedKeyScale(squares, d);
            }
        }
        double[] scores = new double[window];
        for (int i = 0; i < chunk; i++) {
            int slot = n * chunk + i, queryPos = pos[slot], queryRow = plan.row(g, queryPos);
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < window; j++) {
                double s = 0;
                for (int c = 0; c < d; c++) s += q[queryRow * d + c] * k[keyRows[j] * d + c];
                s *= keyScale[j];
                byte code = plan.code(queryPos, keyPositions[j], rowValid);
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

    /** out[row] = sum over rounds r of softmax_r(logsumexp[r, row]) * perRound[r, row]. */
    private static double[] combineRounds(double[] perRound, double[] logsumexp, int rounds, int rows, int d) {
        if (rounds == 1) return perRound;
        double[] out = new double[rows * d];
        double[] weights = new double[rounds];
        for (int row = 0; row < rows; row++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int r = 0; r < rounds; r++) max = Math.max(max, logsumexp[r * rows + row]);
            for (int r = 0; r < rounds; r++) sum += (weights[r] = Math.exp(logsumexp[r * rows + row] - max));
            for (int r = 0; r < rounds; r++) {
                double w = weights[r] / sum;
                for (int c = 0; c < d; c++) out[row * d + c] += w * perRound[(r * rows + row) * d + c];
            }
        }
        return out;
    }

    private static double[] doubles(INDArray x) {
        INDArray c = x.castTo(DataType.DOUBLE);
        if (c.isView() || c.ordering() != 'c' || c.data().length() != c.length()) c = c.dup('c');
        return c.data().asDouble();
    }
}
