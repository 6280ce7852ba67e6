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
 * vector. Rows are read from and written to ND4J's native buffers directly, so no whole-tensor copies
 * are made. Needs the JVM flag {@code --add-modules jdk.incubator.vector}; without it {@link ChunkedAttention#VECTOR_API}
 * is false and the scalar kernel runs instead.
 */
final class VectorKernel implements ChunkedAttention.Kernel {
    private static final VectorSpecies<Float> LANES = VectorMath.LANES;

    /** Per-thread scratch for one chunk, so chunks allocate nothing. */
    private static final class Scratch {
        float[] queries = new float[0], keysT = new float[0], values = new float[0], scores = new float[0];
        float[] row = new float[0], lanes = new float[LANES.length()], weighted = new float[0];
        int[] keyRows = new int[0], keyPositions = new int[0];
        float[] rotatorRows = new float[0], rotated = new float[0];

        Scratch ensureRotation(int values, int columns) {
            rotatorRows = HeapScratch.atLeast(rotatorRows, values);
            rotated = HeapScratch.atLeast(rotated, columns);
            return this;
        }

        Scratch ensure(int chunk, int window, int span, int d) {
            scores = HeapScratch.atLeast(scores, chunk * window);
            queries = HeapScratch.atLeast(queries, chunk * d);
            row = HeapScratch.atLeast(row, d);
            weighted = HeapScratch.atLeast(weighted, chunk * d);
            keysT = HeapScratch.atLeast(keysT, span * d);
            values = HeapScratch.atLeast(values, span * d);
            keyPositions = HeapScratch.atLeast(keyPositions, span);
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
        KernelThreads.range((rows + block - 1) / block).forEach(b ->
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
        return (first, count, out) -> {
            Scratch s = SCRATCH.get().ensureRotation(count * heads * d, count * heads * columns);
            x.get(first * heads * d, s.rotatorRows, 0, count * heads * d);
            Reference.reachabilityFence(source); // keeps the native rows alive as long as this rotator
            for (int h = 0; h < heads; h++) { // [count, d] of head h (every heads-th row) . [d, R*K]
                VectorMath.multiply(s.rotatorRows, h * d, heads * d, count, d, rot, h * d * columns, columns, columns,
                        s.rotated, h * columns, heads * columns);
            }
            for (int k = 0; k < count * heads * columns; k++) out[k] = s.rotated[k];
        };
    }

    /** Each row's shared-key factor, computed once: every key is read by several chunks' windows. */
    private static float[] sharedKeyScales(FloatBuffer rows, int n, int d) {
        float[] scales = new float[n];
        int block = 1024;
        KernelThreads.range((n + block - 1) / block).forEach(b -> {
            float[] row = new float[d];
            for (int i = b * block; i < Math.min(n, (b + 1) * block); i++) {
                rows.get(i * d, row, 0, d);
                scales[i] = sharedKeyScale(row, d);
            }
        });
        return scales;
    }

    /** Chunks handed to one task: their windows overlap, so a task gathers each key once for all of them. */
    private static final int CHUNKS_PER_TASK = 16;

    /** Every chunk of the plan, in tasks of up to CHUNKS_PER_TASK consecutive chunks of one group. */
    private static void attendAll(ChunkedAttention.Plan plan, FloatBuffer q, FloatBuffer k, FloatBuffer v, float[] keyScales,
                                  FloatBuffer out, float[] logsumexp) {
        int tasksPerGroup = (plan.chunksPerGroup() + CHUNKS_PER_TASK - 1) / CHUNKS_PER_TASK;
        KernelThreads.range(plan.groups() * tasksPerGroup).forEach(task -> {
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
        float[] qs = s.queries, kt = s.keysT, vs = s.values, scores = s.scores, row = s.row;

        // gather the span: keys transposed [d, span], values [span, d]
        for (int j = 0; j < span; j++) {
            int keyPos = pos[Math.floorMod(spanStart + j, slots)], keyRow = plan.row(g, keyPos);
            s.keyPositions[j] = keyPos;
            k.get(keyRow * d, row, 0, d);
            float scale = keyScales != null ? keyScales[keyRow] : 1f;
            for (int c = 0; c < d; c++) kt[c * span + j] = row[c] * scale;
            v.get(keyRow * d, vs, j * d, d);
        }

        for (int n = n0; n < n1; n++) {
            int windowStart = (n - n0) * chunk;
            for (int i = 0; i < chunk; i++) q.get(plan.row(g, pos[n * chunk + i]) * d, qs, i * d, d);

            // scores [chunk, window] = queries [chunk, d] . keys^T [d, window]
            VectorMath.multiply(qs, 0, d, chunk, d, kt, windowStart, span, window, scores, 0, window);

            // masks, then softmax through logsumexp: scores become probabilities
            for (int i = 0; i < chunk; i++) {
                int si = i * window, queryPos = pos[n * chunk + i];
                float max = maskRow(plan, scores, si, window, queryPos, s.keyPositions, windowStart, rowValid);
                logsumexp[plan.outputRow(g, n * chunk + i)] = softmaxRow(scores, si, window, max, s.lanes);
                if (plan.probabilityDropout().active()) { // dropout after the softmax
                    for (int j = 0; j < window; j++) scores[si + j] *= (float) plan.dropFactor(g, n * chunk + i, j);
                }
            }

            // weighted values [chunk, d] = probabilities [chunk, window] . values [window, d]
            float[] weighted = s.weighted;
            VectorMath.multiply(scores, 0, window, chunk, window, vs, windowStart * d, d, d, weighted, 0, d);
            for (int i = 0; i < chunk; i++) out.put(plan.outputRow(g, n * chunk + i) * d, weighted, i * d, d);
        }
    }

    /** Sets the masked scores of one query row to the reference's mask values; returns the row's maximum. */
    private static float maskRow(ChunkedAttention.Plan plan, float[] scores, int si, int window, int queryPos, int[] keyPositions,
                                 int keysFrom, boolean[] rowValid) {
        if (rowValid == null && !plan.masking().causal()) { // nothing padded, nothing hidden: only the self mask
            if (plan.masking().selfMask()) {
                for (int j = 0; j < window; j++) {
                    if (keyPositions[keysFrom + j] == queryPos) scores[si + j] = (float) ChunkedAttention.SELF_MASK_VALUE;
                }
            }
            return rowMax(scores, si, window);
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < window; j++) {
            byte code = plan.code(queryPos, keyPositions[keysFrom + j], rowValid);
            if (code == ChunkedAttention.MASKED) scores[si + j] = (float) ChunkedAttention.MASK_VALUE;
            else if (code == ChunkedAttention.SELF) scores[si + j] = (float) ChunkedAttention.SELF_MASK_VALUE;
            max = Math.max(max, scores[si + j]);
        }
        return max;
    }

    private static float rowMax(float[] scores, int si, int window) {
        int j = 0, bound = LANES.loopBound(window);
        FloatVector max = FloatVector.broadcast(LANES, Float.NEGATIVE_INFINITY);
        for (; j < bound; j += LANES.length()) max = max.max(FloatVector.fromArray(LANES, scores, si + j));
        float m = max.reduceLanes(jdk.incubator.vector.VectorOperators.MAX);
        for (; j < window; j++) m = Math.max(m, scores[si + j]);
        return m;
    }

    /** Softmax of scores[si, si + window) in place, given the row's maximum; returns its logsumexp. */
    private static float softmaxRow(float[] scores, int si, int window, float max, float[] lanes) {
        int windowBound = LANES.loopBound(window);
        FloatVector sums = FloatVector.zero(LANES);
        int j = 0;
        for (; j < windowBound; j += LANES.length()) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(LANES, scores, si + j).sub(max));
            e.intoArray(scores, si + j);
            sums = sums.add(e);
        }
        sums.intoArray(lanes, 0);
        float sum = 0;
        for (int lane = 0; lane < LANES.length(); lane++) sum += lanes[lane];
        for (; j < window; j++) sum += (scores[si + j] = VectorMath.exp(scores[si + j] - max));
        FloatVector inverse = FloatVector.broadcast(LANES, 1f / sum);
        for (j = 0; j < windowBound; j += LANES.length()) {
            FloatVector.fromArray(LANES, scores, si + j).mul(inverse).intoArray(scores, si + j);
        }
        for (; j < window; j++) scores[si + j] *= 1f / sum;
        return max + (float) Math.log(sum);
    }

    /**
     * The gradients of {@link #forward}, in float32: the same steps as {@link ScalarKernel#backward}, each
     * chunk's products done by {@link VectorMath#multiply}. A group's chunks run in order on one thread (they add into
     * the same rows); groups run in parallel.
     */
    ChunkedAttention.Gradients backward(INDArray queries, INDArray keys, INDArray values, ChunkedAttention.Plan plan,
                                        INDArray dOut) {
        INDArray q = contiguousFloat(queries), k = keys == null ? q : contiguousFloat(keys), v = contiguousFloat(values);
        INDArray dO = contiguousFloat(dOut);
        FloatBuffer qb = q.data().asNioFloat(), kb = k.data().asNioFloat(), vb = v.data().asNioFloat();
        boolean sharedKeys = keys == null;
        int d = plan.headSize(), rows = (int) queries.size(0), rounds = plan.rounds();
        INDArray perRound = Nd4j.createUninitialized(DataType.FLOAT, rounds, rows, d);
        FloatBuffer pb = perRound.data().asNioFloat();
        float[] logsumexp = new float[rounds * rows];
        float[] keyScales = sharedKeys ? sharedKeyScales(qb, rows, d) : null;
        attendAll(plan, qb, kb, vb, keyScales, pb, logsumexp);

        // through out = sum_r w_r o_r: dO_r = w_r dOut, dLse_r = w_r (dOut.o_r - sum_r' w_r' dOut.o_r')
        INDArray dPerRound = Nd4j.createUninitialized(DataType.FLOAT, rounds, rows, d);
        float[] dLogsumexp = new float[rounds * rows];
        throughRounds(pb, logsumexp, dO.data().asNioFloat(), rounds, rows, d, dPerRound.data().asNioFloat(), dLogsumexp);
        FloatBuffer dpb = dPerRound.data().asNioFloat();

        INDArray dq = Nd4j.zeros(DataType.FLOAT, rows, d), dk = Nd4j.zeros(DataType.FLOAT, rows, d);
        INDArray dv = Nd4j.zeros(DataType.FLOAT, rows, d);
        FloatBuffer dqb = dq.data().asNioFloat(), dkb = dk.data().asNioFloat(), dvb = dv.data().asNioFloat();
        KernelThreads.range(plan.groups()).forEach(g -> {
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
        KernelThreads.range((rows + 1023) / 1024).forEach(block -> {
            float[] upstream = new float[d], round = new float[d], weights = new float[rounds], dots = new float[rounds];
            for (int row = block * 1024; row < Math.min(rows, (block + 1) * 1024); row++) {
                dob.get(row * d, upstream, 0, d);
                roundWeights(logsumexp, rounds, rows, row, weights);
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
        KernelThreads.range((rows + 1023) / 1024).forEach(block -> {
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
        float max = maskRow(plan, p, si, window, queryPos, s.keyPositions, 0, rowValid), sum = 0, weighted = 0;
        for (int j = 0; j < window; j++) sum += (p[si + j] = VectorMath.exp(p[si + j] - max));
        for (int j = 0; j < window; j++) {
            p[si + j] /= sum;
            ds[si + j] *= (float) plan.dropFactor(g, n * chunk + i, j); // d loss / d probability
            weighted += p[si + j] * ds[si + j];
        }
        float dLse = dLogsumexp[plan.outputRow(g, n * chunk + i)];
        for (int j = 0; j < window; j++) {
            boolean keep = plan.code(queryPos, s.keyPositions[j], rowValid) == ChunkedAttention.KEEP;
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
            float scale = sharedKeys ? sharedKeyScale(row, d) : 1f;
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

    /** The factor that turns a shared query/key row into its key. */
    private static float sharedKeyScale(float[] row, int d) {
        double squares = 0;
        for (int c = 0; c < d; c++) squares += row[c] * row[c];
        return (float) ChunkedAttention.sharedKeyScale(squares, d);
    }

    private static void addRow(FloatBuffer target, int at, float[] source, int from, int d, float[] scratch) {
        target.get(at, scratch, 0, d);
        for (int c = 0; c < d; c++) scratch[c] += source[from + c];
        target.put(at, scratch, 0, d);
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
    private static void roundWeights(float[] logsumexp, int rounds, int rows, int row, float[] weights) {
        float max = Float.NEGATIVE_INFINITY, sum = 0;
        for (int r = 0; r < rounds; r++) max = Math.max(max, logsumexp[r * rows + row]);
        for (int r = 0; r < rounds; r++) sum += (weights[r] = (float) Math.exp(logsumexp[r * rows + row] - max));
        for (int r = 0; r < rounds; r++) weights[r] /= sum;
    }

    private static INDArray contiguousFloat(INDArray x) {
        INDArray c = x.castTo(DataType.FLOAT);
        // a view that covers its whole buffer in row-major order (a reshape) is read in place
        if (!HostValues.isDense(c) || c.offset() != 0 || c.data().length() != c.length()) c = c.dup('c');
        return c;
    }
}
