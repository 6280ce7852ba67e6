package dev.reformer.model.layers;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.stream.IntStream;

/**
 * Chunked attention in float32 with the JDK Vector API (fused multiply-add over 8 or 16 lanes): the same
 * steps as {@link ScalarKernel}, with keys gathered transposed so that every inner loop runs along a
 * vector. Needs the JVM flag {@code --add-modules jdk.incubator.vector}; without it {@link #AVAILABLE}
 * is false and the scalar kernel runs instead.
 */
final class VectorKernel implements ChunkedAttention.Kernel {
    static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private static final VectorSpecies<Float> LANES = FloatVector.SPECIES_PREFERRED;

    /** Per-thread scratch for one chunk, so chunks allocate nothing. */
    private static final class Scratch {
        float[] queries = new float[0], keysT = new float[0], values = new float[0], scores = new float[0];
        byte[] codes = new byte[0];
        int[] keyRows = new int[0];

        void ensure(int chunk, int window, int d) {
            if (scores.length < chunk * window) {
                scores = new float[chunk * window];
                codes = new byte[chunk * window];
            }
            if (queries.length < chunk * d) queries = new float[chunk * d];
            if (keysT.length < window * d) {
                keysT = new float[window * d];
                values = new float[window * d];
                keyRows = new int[window];
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    @Override
    public ChunkedAttention.Result forward(INDArray queries, INDArray keys, INDArray values, ChunkedAttention.Plan plan) {
        float[] q = floats(queries), k = floats(keys), v = floats(values);
        int d = plan.headSize(), rows = (int) queries.size(0);
        float[] out = new float[plan.rounds() * rows * d];
        float[] logsumexp = new float[plan.rounds() * rows];
        int chunks = plan.groups() * plan.chunksPerGroup();
        IntStream.range(0, chunks).parallel().forEach(m -> attendChunk(plan, m, q, k, v, out, logsumexp));
        return new ChunkedAttention.Result(
                Nd4j.create(out, new long[]{plan.rounds(), rows, d}, 'c'),
                Nd4j.create(logsumexp, new long[]{plan.rounds(), rows, 1}, 'c'));
    }

    private static void attendChunk(ChunkedAttention.Plan plan, int m, float[] q, float[] k, float[] v,
                                    float[] out, float[] logsumexp) {
        int g = m / plan.chunksPerGroup(), n = m % plan.chunksPerGroup();
        int chunk = plan.chunk(), window = plan.window(), d = plan.headSize();
        int[] pos = plan.positions()[g];
        Scratch s = SCRATCH.get();
        s.ensure(chunk, window, d);
        float[] qs = s.queries, kt = s.keysT, vs = s.values, scores = s.scores;

        // gather: queries [chunk, d], keys transposed [d, window], values [window, d]
        for (int i = 0; i < chunk; i++) System.arraycopy(q, plan.row(g, pos[n * chunk + i]) * d, qs, i * d, d);
        for (int j = 0; j < window; j++) {
            int row = plan.row(g, pos[plan.keySlot(n, j)]);
            s.keyRows[j] = row;
            for (int c = 0; c < d; c++) kt[c * window + j] = k[row * d + c];
            System.arraycopy(v, row * d, vs, j * d, d);
        }
        plan.maskCodes(g, n, s.codes);

        // scores [chunk, window] = queries . keys^T
        int windowBound = LANES.loopBound(window);
        for (int i = 0; i < chunk; i++) {
            int qi = i * d, si = i * window;
            int j = 0;
            for (; j < windowBound; j += LANES.length()) {
                FloatVector acc = FloatVector.zero(LANES);
                for (int c = 0; c < d; c++) {
                    acc = FloatVector.fromArray(LANES, kt, c * window + j).fma(FloatVector.broadcast(LANES, qs[qi + c]), acc);
                }
                acc.intoArray(scores, si + j);
            }
            for (; j < window; j++) {
                float acc = 0;
                for (int c = 0; c < d; c++) acc += qs[qi + c] * kt[c * window + j];
                scores[si + j] = acc;
            }
        }

        // masks, softmax through logsumexp, weighted values
        int dBound = LANES.loopBound(d);
        for (int i = 0; i < chunk; i++) {
            int si = i * window;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < window; j++) {
                byte code = s.codes[si + j];
                if (code == ChunkedAttention.MASKED) scores[si + j] = (float) ChunkedAttention.MASK_VALUE;
                else if (code == ChunkedAttention.SELF) scores[si + j] = (float) ChunkedAttention.SELF_MASK_VALUE;
                max = Math.max(max, scores[si + j]);
            }
            float sum = 0;
            int j = 0;
            for (; j < windowBound; j += LANES.length()) {
                FloatVector e = FloatVector.fromArray(LANES, scores, si + j).sub(max).lanewise(VectorOperators.EXP);
                e.intoArray(scores, si + j);
                sum += e.reduceLanes(VectorOperators.ADD);
            }
            for (; j < window; j++) sum += (scores[si + j] = (float) Math.exp(scores[si + j] - max));
            int outRow = plan.outputRow(g, n * chunk + i);
            logsumexp[outRow] = max + (float) Math.log(sum);
            float inverse = 1f / sum;
            int c = 0;
            for (; c < dBound; c += LANES.length()) {
                FloatVector acc = FloatVector.zero(LANES);
                for (int jj = 0; jj < window; jj++) {
                    acc = FloatVector.fromArray(LANES, vs, jj * d + c).fma(FloatVector.broadcast(LANES, scores[si + jj] * inverse), acc);
                }
                acc.intoArray(out, outRow * d + c);
            }
            for (; c < d; c++) {
                float acc = 0;
                for (int jj = 0; jj < window; jj++) acc += scores[si + jj] * inverse * vs[jj * d + c];
                out[outRow * d + c] = acc;
            }
        }
    }

    private static float[] floats(INDArray x) {
        INDArray c = x.castTo(DataType.FLOAT);
        if (c.isView() || c.ordering() != 'c' || c.data().length() != c.length()) c = c.dup('c');
        return c.data().asFloat();
    }
}
