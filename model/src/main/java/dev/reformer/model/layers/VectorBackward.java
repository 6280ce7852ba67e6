package dev.reformer.model.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;

/**
 * The gradients of {@link VectorKernel}'s chunked attention, in float32: the forward pass again (for the outputs
 * and logsumexps), then each chunk backwards with its products done by {@link VectorMath#multiply}.
 */
final class VectorBackward {
    private VectorBackward() {}

    /**
     * The gradients of {@link #forward}, in float32: the same steps as {@link ScalarKernel#backward}, each
     * chunk's products done by {@link VectorMath#multiply}. A group's chunks run in order on one thread (they add into
     * the same rows); groups run in parallel.
     */
    static ChunkedAttention.Gradients backward(INDArray queries, INDArray keys, INDArray values, ChunkedAttention.Plan plan,
                                        INDArray dOut) {
        INDArray q = VectorKernel.contiguousFloat(queries), k = keys == null ? q : VectorKernel.contiguousFloat(keys), v = VectorKernel.contiguousFloat(values);
        INDArray dO = VectorKernel.contiguousFloat(dOut);
        FloatBuffer qb = q.data().asNioFloat(), kb = k.data().asNioFloat(), vb = v.data().asNioFloat();
        boolean sharedKeys = keys == null;
        int d = plan.headSize(), rows = (int) queries.size(0), rounds = plan.rounds();
        INDArray perRound = Nd4j.createUninitialized(DataType.FLOAT, rounds, rows, d);
        FloatBuffer pb = perRound.data().asNioFloat();
        float[] logsumexp = new float[rounds * rows];
        float[] keyScales = sharedKeys ? VectorKernel.sharedKeyScales(qb, rows, d) : null;
        VectorKernel.attendAll(plan, qb, kb, vb, keyScales, pb, logsumexp);

        // through out = sum_r w_r o_r: dO_r = w_r dOut, dLse_r = w_r (dOut.o_r - sum_r' w_r' dOut.o_r')
        INDArray dPerRound = Nd4j.createUninitialized(DataType.FLOAT, rounds, rows, d);
        float[] dLogsumexp = new float[rounds * rows];
        throughRounds(pb, logsumexp, dO.data().asNioFloat(), rounds, rows, d, dPerRound.data().asNioFloat(), dLogsumexp);
        FloatBuffer dpb = dPerRound.data().asNioFloat();

        INDArray dq = Nd4j.zeros(DataType.FLOAT, rows, d), dk = Nd4j.zeros(DataType.FLOAT, rows, d);
        INDArray dv = Nd4j.zeros(DataType.FLOAT, rows, d);
        FloatBuffer dqb = dq.data().asNioFloat(), dkb = dk.data().asNioFloat(), dvb = dv.data().asNioFloat();
        KernelThreads.forEach(plan.groups(), g -> {
            for (int n = 0; n < plan.chunksPerGroup(); n++) {
                backwardChunk(plan, g, n, qb, kb, vb, sharedKeys, logsumexp, dpb, dLogsumexp, dqb, dkb, dvb);
            }
        });
        if (sharedKeys) foldSharedKeyGradient(qb, dkb, dqb, rows, d); // keys = x * scale(x)
        Reference.reachabilityFence(q);
        Reference.reachabilityFence(k);
        Reference.reachabilityFence(v);
        Reference.reachabilityFence(dO);
        perRound.close(); // large and spent: free now rather than at the next GC
        dPerRound.close();
        if (sharedKeys) dk.close();
        return new ChunkedAttention.Gradients(dq, sharedKeys ? null : dk, dv);
    }

    /** The gradient of the weighted sum over hash rounds: each round's output gradient and its logsumexp gradient. */
    private static void throughRounds(FloatBuffer pb, float[] logsumexp, FloatBuffer dob, int rounds, int rows, int d,
                                      FloatBuffer dpb, float[] dLogsumexp) {
        KernelThreads.forEach((rows + 1023) / 1024, block -> {
            float[] upstream = new float[d], round = new float[d], weights = new float[rounds], dots = new float[rounds];
            for (int row = block * 1024; row < Math.min(rows, (block + 1) * 1024); row++) {
                dob.get(row * d, upstream, 0, d);
                VectorKernel.roundWeights(logsumexp, rounds, rows, row, weights);
                float mean = 0;
                for (int r = 0; r < rounds; r++) {
                    pb.get((r * rows + row) * d, round, 0, d);
                    float dot = 0;
                    for (int c = 0; c < d; c++) dot += upstream[c] * round[c];
                    dots[r] = dot;
                    mean += weights[r] * dot;
                }
                for (int r = 0; r < rounds; r++) {
                    dLogsumexp[r * rows + row] = weights[r] * (dots[r] - mean);
                    for (int c = 0; c < d; c++) round[c] = weights[r] * upstream[c];
                    dpb.put((r * rows + row) * d, round, 0, d);
                }
            }
        });
    }

    /** Shared query/key: the keys are x * scale(x), so their gradient folds into the shared rows' (dq) through the scale. */
    private static void foldSharedKeyGradient(FloatBuffer qb, FloatBuffer dkb, FloatBuffer dqb, int rows, int d) {
        KernelThreads.forEach((rows + 1023) / 1024, block -> {
            float[] x = new float[d], dKey = new float[d], dx = new float[d];
            for (int row = block * 1024; row < Math.min(rows, (block + 1) * 1024); row++) {
                qb.get(row * d, x, 0, d);
                dkb.get(row * d, dKey, 0, d);
                dqb.get(row * d, dx, 0, d);
                double squares = 0, dot = 0;
                for (int c = 0; c < d; c++) {
                    squares += x[c] * x[c];
                    dot += x[c] * dKey[c];
                }
                double scale = ChunkedAttention.sharedKeyScale(squares, d), meanSquare = squares / d + 1e-6;
                for (int c = 0; c < d; c++) dx[c] += (float) (scale * dKey[c] - scale * x[c] * dot / (d * meanSquare));
                dqb.put(row * d, dx, 0, d);
            }
        });
    }

    /** Per-thread scratch of the backward pass. */
    private static final class BackwardScratch {
        float[] queries, keys, keysT, valuesT, upstream, scores, dScores, transposed, chunkRows, windowRows, row;
        int[] keyRows, keyPositions;

        BackwardScratch ensure(int chunk, int window, int d) {
            if (queries == null || queries.length < chunk * d || keys.length < window * d || scores.length < chunk * window) {
                queries = new float[chunk * d];
                upstream = new float[chunk * d];
                chunkRows = new float[chunk * d];
                keys = new float[window * d];
                keysT = new float[window * d];
                valuesT = new float[window * d];
                windowRows = new float[window * d];
                scores = new float[chunk * window];
                dScores = new float[chunk * window];
                transposed = new float[chunk * window];
                row = new float[d];
                keyRows = new int[window];
                keyPositions = new int[window];
            }
            return this;
        }
    }

    private static final ThreadLocal<BackwardScratch> BACKWARD_SCRATCH = ThreadLocal.withInitial(BackwardScratch::new);

    /**
     * Row i of the chunk: the probabilities again into s.scores, normalised by their own sum rather than by the stored
     * float32 logsumexp, whose rounding near the -1e5 of a self-only row would be 1e-2 relative; and d loss / d score
     * into s.dScores, which holds d loss / d probability (before dropout) on entry.
     */
    private static void scoreGradients(ChunkedAttention.Plan plan, int g, int n, int i, int queryPos, boolean[] rowValid,
                                       BackwardScratch s, float[] dLogsumexp) {
        int chunk = plan.chunk(), window = plan.window(), si = i * window;
        float[] p = s.scores, ds = s.dScores;
        float max = VectorKernel.maskRow(plan, g, n * chunk + i, p, si, window, queryPos, s.keyPositions, 0, rowValid), sum = 0, weighted = 0;
        for (int j = 0; j < window; j++) sum += (p[si + j] = VectorMath.exp(p[si + j] - max));
        for (int j = 0; j < window; j++) {
            p[si + j] /= sum;
            ds[si + j] *= (float) plan.dropFactor(g, n * chunk + i, j); // d loss / d probability
            weighted += p[si + j] * ds[si + j];
        }
        float dLse = dLogsumexp[plan.outputRow(g, n * chunk + i)];
        for (int j = 0; j < window; j++) {
            boolean keep = plan.code(g, n * chunk + i, queryPos, s.keyPositions[j], rowValid) == ChunkedAttention.KEEP;
            ds[si + j] = keep ? p[si + j] * (ds[si + j] - weighted + dLse) : 0f;
        }
    }

    /** Chunk n of group g, backwards: adds into dq, dk (the gradient of the scaled keys) and dv. */
    private static void backwardChunk(ChunkedAttention.Plan plan, int g, int n, FloatBuffer q, FloatBuffer k, FloatBuffer v,
                                      boolean sharedKeys, float[] logsumexp, FloatBuffer dOut, float[] dLogsumexp,
                                      FloatBuffer dq, FloatBuffer dk, FloatBuffer dv) {
        int chunk = plan.chunk(), window = plan.window(), d = plan.headSize();
        int[] pos = plan.positions()[g];
        boolean[] rowValid = plan.rowValid(g);
        BackwardScratch s = BACKWARD_SCRATCH.get().ensure(chunk, window, d);
        float[] row = s.row;
        for (int i = 0; i < chunk; i++) {
            q.get(plan.row(g, pos[n * chunk + i]) * d, s.queries, i * d, d);
            dOut.get(plan.outputRow(g, n * chunk + i) * d, s.upstream, i * d, d);
        }
        for (int j = 0; j < window; j++) {
            int keyPos = pos[plan.keySlot(n, j)], keyRow = plan.row(g, keyPos);
            s.keyPositions[j] = keyPos;
            s.keyRows[j] = keyRow;
            k.get(keyRow * d, row, 0, d);
            float scale = sharedKeys ? VectorKernel.sharedKeyScale(row, d) : 1f;
            for (int c = 0; c < d; c++) {
                s.keys[j * d + c] = row[c] * scale;
                s.keysT[c * window + j] = row[c] * scale;
            }
            v.get(keyRow * d, row, 0, d);
            for (int c = 0; c < d; c++) s.valuesT[c * window + j] = row[c];
        }
        float[] p = s.scores, ds = s.dScores;
        VectorMath.multiply(s.queries, chunk, d, s.keysT, window, p);                                   // scores
        VectorMath.multiply(s.upstream, chunk, d, s.valuesT, window, ds);                               // dp = dO . V^T
        for (int i = 0; i < chunk; i++) scoreGradients(plan, g, n, i, pos[n * chunk + i], rowValid, s, dLogsumexp);
        // dQ [chunk, d] = dS . K
        VectorMath.multiply(ds, chunk, window, s.keys, d, s.chunkRows);
        for (int i = 0; i < chunk; i++) addRow(dq, plan.row(g, pos[n * chunk + i]) * d, s.chunkRows, i * d, d, row);
        // dK [window, d] = dS^T . Q
        VectorMath.transpose(ds, chunk, window, s.transposed);
        VectorMath.multiply(s.transposed, window, chunk, s.queries, d, s.windowRows);
        for (int j = 0; j < window; j++) addRow(dk, s.keyRows[j] * d, s.windowRows, j * d, d, row);
        // dV [window, d] = (P after dropout)^T . dO
        for (int i = 0; i < chunk; i++) {
            for (int j = 0; j < window; j++) {
                s.transposed[j * chunk + i] = p[i * window + j] * (float) plan.dropFactor(g, n * chunk + i, j);
            }
        }
        VectorMath.multiply(s.transposed, window, chunk, s.upstream, d, s.windowRows);
        for (int j = 0; j < window; j++) addRow(dv, s.keyRows[j] * d, s.windowRows, j * d, d, row);
    }


    private static void addRow(FloatBuffer target, int at, float[] source, int from, int d, float[] scratch) {
        target.get(at, scratch, 0, d);
        for (int c = 0; c < d; c++) scratch[c] += source[from + c];
        target.put(at, scratch, 0, d);
    }

}
