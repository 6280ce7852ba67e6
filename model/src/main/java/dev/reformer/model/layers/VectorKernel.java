package dev.reformer.model.layers;

import dev.reformer.model.HostValues;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;

/**
 * Chunked attention in float32 with the JDK Vector API (fused multiply-add over 8 or 16 lanes): the same
 * steps as {@link ScalarKernel}, with keys gathered transposed so that every inner loop runs along a
 * vector, and every product done by {@link VectorMath#multiply}. Rows are read from and written to ND4J's
 * native buffers directly, so no whole-tensor copies are made; {@link VectorBackward} holds the gradients. Needs the JVM flag {@code --add-modules jdk.incubator.vector}; without it {@link ChunkedAttention#VECTOR_API}
 * is false and the scalar kernel runs instead.
 */
final class VectorKernel implements ChunkedAttention.Kernel {
    private static final VectorSpecies<Float> LANES = VectorMath.LANES;

    /** Per-thread scratch for one chunk, so chunks allocate nothing. */
    private static final class Scratch {
        float[] queries = new float[0], keysT = new float[0], keyRows = new float[0], values = new float[0], scores = new float[0];
        float[] lanes = new float[LANES.length()], weighted = new float[0], keyPositionsAsFloats = new float[0], inverseSums = new float[0];
        int[] keyPositions = new int[0];
        float[] rotatorRows = new float[0], rotated = new float[0], rowsT = new float[0], rotatedT = new float[0];

        Scratch ensureRotation(int values, int columns, int headValues, int headColumns) {
            rotatorRows = HeapScratch.atLeast(rotatorRows, values);
            rotated = HeapScratch.atLeast(rotated, columns);
            rowsT = HeapScratch.atLeast(rowsT, headValues);
            rotatedT = HeapScratch.atLeast(rotatedT, headColumns);
            return this;
        }

        Scratch ensure(int chunk, int window, int span, int d) {
            scores = HeapScratch.atLeast(scores, chunk * window);
            queries = HeapScratch.atLeast(queries, chunk * d);
            weighted = HeapScratch.atLeast(weighted, chunk * d);
            keysT = HeapScratch.atLeast(keysT, span * d);
            keyRows = HeapScratch.atLeast(keyRows, span * d);
            values = HeapScratch.atLeast(values, span * d);
            keyPositions = HeapScratch.atLeast(keyPositions, span);
            keyPositionsAsFloats = HeapScratch.atLeast(keyPositionsAsFloats, span);
            inverseSums = HeapScratch.atLeast(inverseSums, chunk);
            return this;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    @Override
    public INDArray forward(INDArray queries, INDArray keys, INDArray values, ChunkedAttention.Plan plan) {
        INDArray q = contiguousFloat(queries), k = keys == null ? q : contiguousFloat(keys), v = contiguousFloat(values);
        FloatBuffer qb = q.data().asNioFloat(), kb = k.data().asNioFloat(), vb = v.data().asNioFloat();
        boolean sharedKeys = keys == null;
        int d = plan.headSize(), rows = (int) queries.size(0), rounds = plan.rounds();
        // native, not Java heap: with one round this is the output itself; it is freed with its INDArray
        INDArray perRound = Nd4j.createUninitialized(DataType.FLOAT, rounds, rows, d);        // [R, rows, D]
        FloatBuffer pb = perRound.data().asNioFloat();
        float[] logsumexp = new float[rounds * rows];                                         // [R, rows]
        float[] keyScales = sharedKeys ? sharedKeyScales(qb, rows, d) : null;
        attendAll(plan, qb, kb, vb, keyScales, pb, logsumexp);
        // the buffers point into native memory that ND4J frees when its arrays are collected
        Reference.reachabilityFence(q);
        Reference.reachabilityFence(k);
        Reference.reachabilityFence(v);
        if (rounds == 1) return perRound.reshape(rows, d);

        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, rows, d);
        FloatBuffer ob = out.data().asNioFloat();
        int block = 1024;
        KernelThreads.forEach((rows + block - 1) / block, b ->
                combineRounds(pb, logsumexp, rounds, rows, d, b * block, Math.min(rows, (b + 1) * block), ob));
        Reference.reachabilityFence(perRound);
        return out;
    }

    @Override
    public ChunkedAttention.Rotator rotator(INDArray rows, INDArray rotations) {
        INDArray source = contiguousFloat(rows);
        FloatBuffer x = source.data().asNioFloat();
        float[] rot = contiguousFloat(rotations).data().asFloat();                    // [H, D, R*K]
        int heads = (int) rotations.size(0), d = (int) rows.size(1), columns = (int) (rotations.size(2) * rotations.size(3));
        // columns not a whole number of vectors (24 at 16K): [R*K, d] . [d, count] runs along the rows instead, in
        // whole vectors, with the same sums; the scalar tail columns had been a third of the work
        boolean alongRows = columns % LANES.length() != 0;
        float[] rotT = alongRows ? new float[rot.length] : null;                      // [H, R*K, D]
        for (int h = 0; alongRows && h < heads; h++) {
            for (int c = 0; c < d; c++) for (int k = 0; k < columns; k++) rotT[(h * columns + k) * d + c] = rot[(h * d + c) * columns + k];
        }
        return (first, count, out) -> {
            Scratch s = SCRATCH.get().ensureRotation(count * heads * d, count * heads * columns, count * d, count * columns);
            x.get(first * heads * d, s.rotatorRows, 0, count * heads * d);
            Reference.reachabilityFence(source); // keeps the native rows alive as long as this rotator
            for (int h = 0; h < heads; h++) {
                if (!alongRows) { // [count, d] of head h (every heads-th row) . [d, R*K]
                    VectorMath.multiply(s.rotatorRows, h * d, heads * d, count, d, rot, h * d * columns, columns, columns,
                            s.rotated, h * columns, heads * columns);
                } else {
                    for (int i = 0; i < count; i++) for (int c = 0; c < d; c++) s.rowsT[c * count + i] = s.rotatorRows[(i * heads + h) * d + c];
                    VectorMath.multiply(rotT, h * columns * d, d, columns, d, s.rowsT, 0, count, count, s.rotatedT, 0, count);
                    for (int i = 0; i < count; i++) for (int k = 0; k < columns; k++) s.rotated[(i * heads + h) * columns + k] = s.rotatedT[k * count + i];
                }
            }
            for (int k = 0; k < count * heads * columns; k++) out[k] = s.rotated[k];
        };
    }

    /** Each row's shared-key factor, computed once: every key is read by several chunks' windows. */
    static float[] sharedKeyScales(FloatBuffer rows, int n, int d) {
        float[] scales = new float[n];
        int block = 1024;
        KernelThreads.forEach((n + block - 1) / block, b -> {
            float[] row = new float[d];
            for (int i = b * block; i < Math.min(n, (b + 1) * block); i++) {
                rows.get(i * d, row, 0, d);
                scales[i] = sharedKeyScale(row, d);
            }
        });
        return scales;
    }

    /** Chunks handed to one task: their windows overlap, so a task gathers each key once for all of them. */
    private static final int CHUNKS_PER_TASK = 8;

    /** Every chunk of the plan, in tasks of up to CHUNKS_PER_TASK consecutive chunks of one group. */
    static void attendAll(ChunkedAttention.Plan plan, FloatBuffer q, FloatBuffer k, FloatBuffer v, float[] keyScales,
                                  FloatBuffer out, float[] logsumexp) {
        int tasksPerGroup = (plan.chunksPerGroup() + CHUNKS_PER_TASK - 1) / CHUNKS_PER_TASK;
        KernelThreads.forEach(plan.groups() * tasksPerGroup, task -> {
            int g = task / tasksPerGroup, first = task % tasksPerGroup * CHUNKS_PER_TASK;
            attendChunks(plan, g, first, Math.min(plan.chunksPerGroup(), first + CHUNKS_PER_TASK), q, k, v, keyScales, out, logsumexp);
        });
    }

    /**
     * Chunks [n0, n1) of group g. Their windows are consecutive runs of one span of slots, chunk n0 - before to
     * n1 + after (wrapping): the span's keys are gathered once, scaled and transposed [d, span], with its values
     * [span, d], and chunk n's window is the span's columns from (n - n0) * chunk on.
     *
     * @param keyScales each row's shared-key factor, or null when the keys are not shared
     */
    private static void attendChunks(ChunkedAttention.Plan plan, int g, int n0, int n1, FloatBuffer q, FloatBuffer k,
                                     FloatBuffer v, float[] keyScales, FloatBuffer out, float[] logsumexp) {
        int chunk = plan.chunk(), window = plan.window(), d = plan.headSize(), slots = plan.chunksPerGroup() * chunk;
        int span = (n1 - n0 + plan.before() + plan.after()) * chunk, spanStart = (n0 - plan.before()) * chunk;
        int[] pos = plan.positions()[g];
        boolean[] rowValid = plan.rowValid(g);
        Scratch s = SCRATCH.get().ensure(chunk, window, span, d);
        float[] qs = s.queries, kt = s.keysT, vs = s.values, scores = s.scores;

        // gather the span: keys [span, d] (scaled), then transposed [d, span] in cache-sized tiles; values [span, d]
        float[] keyRows = s.keyRows;
        for (int j = 0; j < span; j++) {
            int keyPos = pos[Math.floorMod(spanStart + j, slots)], keyRow = plan.row(g, keyPos);
            s.keyPositions[j] = keyPos;
            s.keyPositionsAsFloats[j] = keyPos;      // exact below 2^24: compared as floats, in vectors
            k.get(keyRow * d, keyRows, j * d, d);
            if (keyScales != null) VectorMath.scale(keyRows, j * d, d, keyScales[keyRow]);
            v.get(keyRow * d, vs, j * d, d);
        }
        VectorMath.transpose(keyRows, span, d, kt);

        for (int n = n0; n < n1; n++) {
            int windowStart = (n - n0) * chunk;
            for (int i = 0; i < chunk; i++) q.get(plan.row(g, pos[n * chunk + i]) * d, qs, i * d, d);

            // scores [chunk, window] = queries [chunk, d] . keys^T [d, window]
            VectorMath.multiply(qs, 0, d, chunk, d, kt, windowStart, span, window, scores, 0, window);

            // masks, then softmax through logsumexp. Without dropout the rows keep e^(score - max) and the weighted
            // values are divided by the row's sum afterwards: d divisions a row instead of a window's
            boolean dropout = plan.probabilityDropout().active();
            for (int i = 0; i < chunk; i++) {
                int si = i * window, queryPos = pos[n * chunk + i];
                float max = rowValid == null && plan.masking().onlySelf()
                        ? selfMaskRow(scores, si, window, queryPos, s.keyPositionsAsFloats, windowStart, plan.masking().selfMask())
                        : maskRow(plan, g, n * chunk + i, scores, si, window, queryPos, s.keyPositions, windowStart, rowValid);
                float sum = expRow(scores, si, window, max, s.lanes);
                logsumexp[plan.outputRow(g, n * chunk + i)] = max + (float) Math.log(sum);
                s.inverseSums[i] = 1f / sum;
                if (dropout) { // probabilities, then dropout after the softmax
                    for (int j = 0; j < window; j++) scores[si + j] *= s.inverseSums[i] * (float) plan.dropFactor(g, n * chunk + i, j);
                }
            }

            // weighted values [chunk, d] = probabilities [chunk, window] . values [window, d]
            float[] weighted = s.weighted;
            VectorMath.multiply(scores, 0, window, chunk, window, vs, windowStart * d, d, d, weighted, 0, d);
            for (int i = 0; i < chunk; i++) {
                if (!dropout) VectorMath.scale(weighted, i * d, d, s.inverseSums[i]);
                out.put(plan.outputRow(g, n * chunk + i) * d, weighted, i * d, d);
            }
        }
    }

    /** Sets the masked scores of one query row to the reference's mask values; returns the row's maximum. */
    static float maskRow(ChunkedAttention.Plan plan, int group, int querySlot, float[] scores, int si, int window, int queryPos, int[] keyPositions,
                                 int keysFrom, boolean[] rowValid) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < window; j++) {
            byte code = plan.code(group, querySlot, queryPos, keyPositions[keysFrom + j], rowValid);
            if (code == ChunkedAttention.MASKED) scores[si + j] = (float) ChunkedAttention.MASK_VALUE;
            else if (code == ChunkedAttention.SELF) scores[si + j] = (float) ChunkedAttention.SELF_MASK_VALUE;
            max = Math.max(max, scores[si + j]);
        }
        return max;
    }

    /**
     * maskRow when nothing is padded or hidden, in vectors: only the self mask (LSH), where the key's position equals
     * the query's. keyPositions as floats, so that the comparison gives a float mask directly.
     */
    private static float selfMaskRow(float[] scores, int si, int window, int queryPos, float[] keyPositions, int keysFrom,
                                     boolean selfMask) {
        int j = 0, bound = LANES.loopBound(window);
        FloatVector max = FloatVector.broadcast(LANES, Float.NEGATIVE_INFINITY);
        FloatVector selfValue = FloatVector.broadcast(LANES, (float) ChunkedAttention.SELF_MASK_VALUE);
        for (; j < bound; j += LANES.length()) {
            FloatVector score = FloatVector.fromArray(LANES, scores, si + j);
            if (selfMask) {
                score = score.blend(selfValue, FloatVector.fromArray(LANES, keyPositions, keysFrom + j).eq(queryPos));
                score.intoArray(scores, si + j);
            }
            max = max.max(score);
        }
        float m = max.reduceLanes(jdk.incubator.vector.VectorOperators.MAX);
        for (; j < window; j++) {
            if (selfMask && keyPositions[keysFrom + j] == queryPos) scores[si + j] = (float) ChunkedAttention.SELF_MASK_VALUE;
            m = Math.max(m, scores[si + j]);
        }
        return m;
    }

    /** scores[si, si + window) become e^(score - max) in place; returns their sum. */
    private static float expRow(float[] scores, int si, int window, float max, float[] lanes) {
        int j = 0, windowBound = LANES.loopBound(window);
        FloatVector sums = FloatVector.zero(LANES);
        for (; j < windowBound; j += LANES.length()) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(LANES, scores, si + j).sub(max));
            e.intoArray(scores, si + j);
            sums = sums.add(e);
        }
        float sum = VectorMath.sumLanes(sums, lanes);
        for (; j < window; j++) sum += (scores[si + j] = VectorMath.exp(scores[si + j] - max));
        return sum;
    }

    /** The factor that turns a shared query/key row into its key. */
    static float sharedKeyScale(float[] row, int d) {
        double squares = 0;
        for (int c = 0; c < d; c++) squares += row[c] * row[c];
        return (float) ChunkedAttention.sharedKeyScale(squares, d);
    }

    /** Rows [from, to): out[row] = sum over rounds of softmax_r(logsumexp[r, row]) * perRound[r, row]. */
    private static void combineRounds(FloatBuffer perRound, float[] logsumexp, int rounds, int rows, int d,
                                      int from, int to, FloatBuffer out) {
        float[] weights = new float[rounds], combined = new float[d], round = new float[d];
        int dBound = LANES.loopBound(d);
        for (int row = from; row < to; row++) {
            roundWeights(logsumexp, rounds, rows, row, weights);
            java.util.Arrays.fill(combined, 0f);
            for (int r = 0; r < rounds; r++) {
                float w = weights[r];
                perRound.get((r * rows + row) * d, round, 0, d);
                int c = 0;
                for (; c < dBound; c += LANES.length()) {
                    FloatVector.fromArray(LANES, round, c)
                            .fma(FloatVector.broadcast(LANES, w), FloatVector.fromArray(LANES, combined, c))
                            .intoArray(combined, c);
                }
                for (; c < d; c++) combined[c] += w * round[c];
            }
            out.put(row * d, combined, 0, d);
        }
    }

    /** weights[r] = softmax over rounds of logsumexp[r, row] (float32 twin of ScalarKernel's). */
    static void roundWeights(float[] logsumexp, int rounds, int rows, int row, float[] weights) {
        float max = Float.NEGATIVE_INFINITY, sum = 0;
        for (int r = 0; r < rounds; r++) max = Math.max(max, logsumexp[r * rows + row]);
        for (int r = 0; r < rounds; r++) sum += (weights[r] = (float) Math.exp(logsumexp[r * rows + row] - max));
        for (int r = 0; r < rounds; r++) weights[r] /= sum;
    }

    static INDArray contiguousFloat(INDArray x) {
        INDArray c = x.castTo(DataType.FLOAT);
        // a view that covers its whole buffer in row-major order (a reshape) is read in place
        if (!HostValues.isDense(c) || c.offset() != 0 || c.data().length() != c.length()) c = c.dup('c');
        return c;
    }
}
