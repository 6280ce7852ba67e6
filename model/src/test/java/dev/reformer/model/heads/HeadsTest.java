package dev.reformer.model.heads;

import dev.reformer.model.TestData;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Heads and losses: finite-difference gradients in float64, CTC against brute force, decoding. */
class HeadsTest {
    static final DataType F64 = DataType.DOUBLE;

    static void checkScalar(String what, INDArray param, INDArray analytic, Supplier<Double> loss) {
        java.util.Random random = new java.util.Random(what.hashCode());
        for (int sample = 0; sample < 12; sample++) {
            long k = (long) (random.nextDouble() * param.length());
            double original = param.getDouble(k), h = 1e-6;
            param.putScalar(k, original + h);
            double plus = loss.get();
            param.putScalar(k, original - h);
            double minus = loss.get();
            param.putScalar(k, original);
            double numeric = (plus - minus) / (2 * h), mine = analytic.getDouble(k);
            assertTrue(Math.abs(numeric - mine) / Math.max(1, Math.abs(numeric)) < 1e-6,
                    what + " entry " + k + ": analytic " + mine + ", numeric " + numeric);
        }
    }

    @Test
    void classificationGradients() {
        INDArray hidden = TestData.randn(1, F64, 3, 7, 6), weight = TestData.randn(2, F64, 4, 6), bias = TestData.randn(3, F64, 4);
        boolean[][] valid = new boolean[3][7];
        for (int b = 0; b < 3; b++) for (int t = 0; t < 7; t++) valid[b][t] = t < 7 - 2 * b;
        int[] labels = {2, 0, 3};
        ClassificationHead.Output out = ClassificationHead.forward(hidden, valid, weight, bias, labels);
        INDArray dWeight = Nd4j.zeros(F64, 4, 6), dBias = Nd4j.zeros(F64, 4);
        INDArray dHidden = ClassificationHead.backward(hidden, valid, weight, out, labels, dWeight, dBias);
        Supplier<Double> loss = () -> ClassificationHead.forward(hidden, valid, weight, bias, labels).loss();
        checkScalar("classification hidden", hidden, dHidden, loss);
        checkScalar("classification weight", weight, dWeight, loss);
        checkScalar("classification bias", bias, dBias, loss);
        // padded positions get no gradient
        assertEquals(0.0, Math.abs(dHidden.getDouble(2, 6, 0)));
    }

    @Test
    void ctcGradients() {
        INDArray hidden = TestData.randn(4, F64, 2, 9, 5), weight = TestData.randn(5, F64, 4, 5), bias = TestData.randn(6, F64, 4);
        int[] lengths = {9, 6};
        int[][] targets = {{1, 2, 2, 3}, {3, 1}};
        CtcHead.Output out = CtcHead.forward(hidden, lengths, weight, bias, targets);
        INDArray dWeight = Nd4j.zeros(F64, 4, 5), dBias = Nd4j.zeros(F64, 4);
        INDArray dHidden = CtcHead.backward(hidden, out, targets, weight, dWeight, dBias);
        Supplier<Double> loss = () -> CtcHead.forward(hidden, lengths, weight, bias, targets).loss();
        checkScalar("ctc hidden", hidden, dHidden, loss);
        checkScalar("ctc weight", weight, dWeight, loss);
        checkScalar("ctc bias", bias, dBias, loss);
        assertEquals(0.0, Math.abs(dHidden.getDouble(1, 7, 2)), "frames past a row's length get no gradient");
    }

    /** Sums the probability of every path that collapses to the target, by enumeration. */
    @Test
    void ctcLossEqualsBruteForce() {
        java.util.Random random = new java.util.Random(7);
        int frames = 5, vocabulary = 3;
        double[][] logProbs = new double[frames][vocabulary];
        for (double[] row : logProbs) {
            double sum = 0;
            for (int k = 0; k < vocabulary; k++) sum += (row[k] = Math.exp(random.nextGaussian()));
            for (int k = 0; k < vocabulary; k++) row[k] = Math.log(row[k] / sum);
        }
        for (int[] target : new int[][]{{1}, {1, 2}, {2, 2}, {1, 2, 1}, {}}) {
            double total = 0;
            int paths = (int) Math.pow(vocabulary, frames);
            for (int code = 0; code < paths; code++) {
                int[] path = new int[frames];
                double logP = 0;
                for (int t = 0, c = code; t < frames; t++, c /= vocabulary) logP += logProbs[t][path[t] = c % vocabulary];
                if (java.util.Arrays.equals(collapse(path), target)) total += Math.exp(logP);
            }
            assertEquals(-Math.log(total), Ctc.lossAndGradient(logProbs, target, null), 1e-12,
                    "target " + java.util.Arrays.toString(target));
        }
    }

    @Test
    void ctcDecodesGreedilyAndRejectsImpossibleTargets() {
        double[][] logProbs = new double[6][4];
        int[] best = {1, 1, 0, 1, 3, 3};
        for (int t = 0; t < 6; t++) logProbs[t][best[t]] = 5;
        assertArrayEquals(new int[]{1, 1, 3}, Ctc.greedyDecode(logProbs));
        var e = assertThrows(IllegalArgumentException.class, () -> Ctc.lossAndGradient(new double[2][4], new int[]{1, 1}, null));
        assertTrue(e.getMessage().contains("needs at least 3 frames"), e.getMessage());
    }

    private static int[] collapse(int[] path) {
        List<Integer> out = new ArrayList<>();
        int previous = Ctc.BLANK;
        for (int p : path) {
            if (p != Ctc.BLANK && p != previous) out.add(p);
            previous = p;
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
