package dev.reformer.model.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;


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
        KernelThreads.forEach(chunks, m -> attendChunk(plan, m, q, k, v, sharedKeys, perRound, logsumexp));
        double[] out = combineRounds(perRound, logsumexp, rounds, rows, d);
        return Nd4j.create(out, new long[]{rows, d}, DataType.DOUBLE).castTo(queries.dataType());
    }

    @Override
    public ChunkedAttention.Rotator rotator(INDArray rows, INDArray rotations) {
        double[] x = doubles(rows), rot = doubles(rotations);
        int heads = (int) rotations.size(0), d = (int) rows.size(1), columns = (int) (rotations.size(2) * rotations.size(3));
        return (first, count, out) -> {
            java.util.Arrays.fill(out, 0, count * heads * columns, 0);
            for (int i = 0; i < count; i++) {
                for (int h = 0; h < heads; h++) {
                    int row = (first + i) * heads + h, at = (i * heads + h) * columns;
                    for (int c = 0; c < d; c++) {
                        double xc = x[row * d + c];
                        int base = (h * d + c) * columns;
                        for (int k = 0; k < columns; k++) out[at + k] += xc * rot[base + k];
                    }
                }
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
        KeyWindow keys = KeyWindow.of(plan, g, n, k, sharedKeys);
        int[] keyRows = keys.rows, keyPositions = keys.positions;
        double[] keyScale = keys.scale;
        double[] scores = new double[window];
        for (int i = 0; i < chunk; i++) {
            int slot = n * chunk + i, queryPos = pos[slot], queryRow = plan.row(g, queryPos);
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < window; j++) {
                double s = 0;
                for (int c = 0; c < d; c++) s += q[queryRow * d + c] * k[keyRows[j] * d + c];
                s *= keyScale[j];
                byte code = plan.code(g, slot, queryPos, keyPositions[j], rowValid);
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
                double p = scores[j] / sum * plan.dropFactor(g, slot, j);  // dropout after the softmax
                for (int c = 0; c < d; c++) out[outRow * d + c] += p * v[keyRows[j] * d + c];
            }
        }
    }

    /**
     * The gradients of {@link #forward}: recomputes every chunk's probabilities from the queries, keys and the
     * logsumexps of a forward pass run again here (so nothing is kept between the passes), then goes back
     * through the combination of rounds, the weighted values, the softmax and the scores. Masked and
     * self-masked scores are constants and pass no gradient to queries or keys.
     */
    ChunkedAttention.Gradients backward(INDArray queries, INDArray keys, INDArray values, ChunkedAttention.Plan plan,
                                        INDArray dOut) {
        double[] q = doubles(queries), k = keys == null ? q : doubles(keys), v = doubles(values), dO = doubles(dOut);
        boolean sharedKeys = keys == null;
        int d = plan.headSize(), rows = (int) queries.size(0), rounds = plan.rounds();
        double[] perRound = new double[rounds * rows * d], logsumexp = new double[rounds * rows];
        int chunks = plan.groups() * plan.chunksPerGroup();
        KernelThreads.forEach(chunks, m -> attendChunk(plan, m, q, k, v, sharedKeys, perRound, logsumexp));

        // through out = sum_r w_r o_r, w = softmax(logsumexp): dO_r = w_r dOut, dLse_r = w_r (dOut.o_r - sum_r' w_r' dOut.o_r')
        double[] dPerRound = new double[rounds * rows * d], dLogsumexp = new double[rounds * rows];
        double[] weights = new double[rounds], dots = new double[rounds];
        for (int row = 0; row < rows; row++) {
            roundWeights(logsumexp, rounds, rows, row, weights);
            double mean = 0;
            for (int r = 0; r < rounds; r++) {
                double dot = 0;
                for (int c = 0; c < d; c++) dot += dO[row * d + c] * perRound[(r * rows + row) * d + c];
                dots[r] = dot;
                mean += weights[r] * dot;
            }
            for (int r = 0; r < rounds; r++) {
                dLogsumexp[r * rows + row] = weights[r] * (dots[r] - mean);
                for (int c = 0; c < d; c++) dPerRound[(r * rows + row) * d + c] = weights[r] * dO[row * d + c];
            }
        }

        double[] dq = new double[rows * d], dk = new double[rows * d], dv = new double[rows * d];
        KernelThreads.forEach(plan.groups(), g -> { // a group's chunks touch only its own rows
            for (int n = 0; n < plan.chunksPerGroup(); n++) {
                backwardChunk(plan, g, n, q, k, v, sharedKeys, logsumexp, dPerRound, dLogsumexp, dq, dk, dv);
            }
        });
        if (sharedKeys) { // keys = x * scale(x): fold their gradient into the shared rows
            for (int row = 0; row < rows; row++) {
                double squares = 0, dot = 0;
                for (int c = 0; c < d; c++) {
                    squares += q[row * d + c] * q[row * d + c];
                    dot += q[row * d + c] * dk[row * d + c];
                }
                double scale = ChunkedAttention.sharedKeyScale(squares, d), meanSquare = squares / d + 1e-6;
                for (int c = 0; c < d; c++) {
                    dq[row * d + c] += scale * dk[row * d + c] - scale * q[row * d + c] * dot / (d * meanSquare);
                }
            }
        }
        DataType dtype = queries.dataType();
        long[] shape = {rows, d};
        return new ChunkedAttention.Gradients(Nd4j.create(dq, shape, DataType.DOUBLE).castTo(dtype),
                sharedKeys ? null : Nd4j.create(dk, shape, DataType.DOUBLE).castTo(dtype),
                Nd4j.create(dv, shape, DataType.DOUBLE).castTo(dtype));
    }

    /** Chunk n of group g, backwards: adds into dq, dk (the gradient of the scaled keys) and dv. */
    private static void backwardChunk(ChunkedAttention.Plan plan, int g, int n, double[] q, double[] k, double[] v,
                                      boolean sharedKeys, double[] logsumexp, double[] dOut, double[] dLogsumexp,
                                      double[] dq, double[] dk, double[] dv) {
        int chunk = plan.chunk(), window = plan.window(), d = plan.headSize();
        int[] pos = plan.positions()[g];
        boolean[] rowValid = plan.rowValid(g);
        KeyWindow keys = KeyWindow.of(plan, g, n, k, sharedKeys);
        int[] keyRows = keys.rows, keyPositions = keys.positions;
        double[] keyScale = keys.scale, p = new double[window], dScore = new double[window];
        for (int i = 0; i < chunk; i++) {
            int slot = n * chunk + i, queryPos = pos[slot], queryRow = plan.row(g, queryPos);
            int outRow = plan.outputRow(g, slot);
            double weighted = 0; // sum_j p_j dp_j
            for (int j = 0; j < window; j++) {
                byte code = plan.code(g, slot, queryPos, keyPositions[j], rowValid);
                double s;
                if (code == ChunkedAttention.MASKED) s = ChunkedAttention.MASK_VALUE;
                else if (code == ChunkedAttention.SELF) s = ChunkedAttention.SELF_MASK_VALUE;
                else {
                    s = 0;
                    for (int c = 0; c < d; c++) s += q[queryRow * d + c] * k[keyRows[j] * d + c];
                    s *= keyScale[j];
                }
                p[j] = Math.exp(s - logsumexp[outRow]);
                double dp = 0;
                for (int c = 0; c < d; c++) dp += dOut[outRow * d + c] * v[keyRows[j] * d + c];
                dScore[j] = dp * plan.dropFactor(g, slot, j);      // d loss / d probability, through dropout
                weighted += p[j] * dScore[j];
            }
            for (int j = 0; j < window; j++) {
                double kept = p[j] * plan.dropFactor(g, slot, j);
                for (int c = 0; c < d; c++) dv[keyRows[j] * d + c] += kept * dOut[outRow * d + c];
                if (plan.code(g, slot, queryPos, keyPositions[j], rowValid) != ChunkedAttention.KEEP) continue;
                double ds = p[j] * (dScore[j] - weighted + dLogsumexp[outRow]);
                for (int c = 0; c < d; c++) {
                    dq[queryRow * d + c] += ds * keyScale[j] * k[keyRows[j] * d + c];
                    dk[keyRows[j] * d + c] += ds * q[queryRow * d + c]; // d score / d key = query
                }
            }
        }
    }

    /** The keys chunk n of group g sees: their rows, original positions, and scale (1, or the shared-key norm). */
    private record KeyWindow(int[] rows, int[] positions, double[] scale) {
        static KeyWindow of(ChunkedAttention.Plan plan, int g, int n, double[] k, boolean sharedKeys) {
            int window = plan.window(), d = plan.headSize();
            int[] rows = new int[window], positions = new int[window];
            double[] scale = new double[window];
            for (int j = 0; j < window; j++) {
                positions[j] = plan.positions()[g][plan.keySlot(n, j)];
                rows[j] = plan.row(g, positions[j]);
                scale[j] = 1;
                if (sharedKeys) {
                    double squares = 0;
                    for (int c = 0; c < d; c++) squares += k[rows[j] * d + c] * k[rows[j] * d + c];
                    scale[j] = ChunkedAttention.sharedKeyScale(squares, d);
                }
            }
            return new KeyWindow(rows, positions, scale);
        }
    }

    /** out[row] = sum over rounds r of softmax_r(logsumexp[r, row]) * perRound[r, row]. */
    private static double[] combineRounds(double[] perRound, double[] logsumexp, int rounds, int rows, int d) {
        if (rounds == 1) return perRound;
        double[] out = new double[rows * d];
        double[] weights = new double[rounds];
        for (int row = 0; row < rows; row++) {
            roundWeights(logsumexp, rounds, rows, row, weights);
            for (int r = 0; r < rounds; r++) {
                for (int c = 0; c < d; c++) out[row * d + c] += weights[r] * perRound[(r * rows + row) * d + c];
            }
        }
        return out;
    }

    /** weights[r] = softmax over rounds of logsumexp[r, row]: each round's share of the probability mass. */
    static void roundWeights(double[] logsumexp, int rounds, int rows, int row, double[] weights) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int r = 0; r < rounds; r++) max = Math.max(max, logsumexp[r * rows + row]);
        for (int r = 0; r < rounds; r++) sum += (weights[r] = Math.exp(logsumexp[r * rows + row] - max));
        for (int r = 0; r < rounds; r++) weights[r] /= sum;
    }

    private static double[] doubles(INDArray x) {
        INDArray c = x.castTo(DataType.DOUBLE);
        if (c.isView() || c.ordering() != 'c' || c.data().length() != c.length()) c = c.dup('c');
        return c.data().asDouble();
    }
}
