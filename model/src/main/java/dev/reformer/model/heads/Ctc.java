package dev.reformer.model.heads;

import java.util.ArrayList;
import java.util.List;

/**
 * Connectionist temporal classification (Graves et al. 2006) in log space, label 0 = blank. The loss of
 * one sequence is -log of the total probability of every frame-level path that collapses to the target;
 * alpha (forward) and beta (backward) run over the target with blanks between and around its labels.
 */
public final class Ctc {
    public static final int BLANK = 0;

    private Ctc() {}

    /** The fewest frames that can spell target: one per label, plus a blank between each repeated pair. */
    public static int framesNeeded(int[] target) {
        int needed = target.length;
        for (int i = 1; i < target.length; i++) if (target[i] == target[i - 1]) needed++;
        return needed;
    }

    /**
     * @param logProbs [T][V] log-softmax of each frame
     * @param target labels in [1, V), no blanks
     * @param dLogits [T][V] receives d loss / d logits (the softmax inputs) when not null
     * @return -log p(target | frames)
     */
    public static double lossAndGradient(double[][] logProbs, int[] target, double[][] dLogits) {
        int frames = logProbs.length, vocabulary = logProbs[0].length, states = 2 * target.length + 1;
        int[] label = new int[states];                                    // blank, l1, blank, l2, ..., blank
        for (int s = 0; s < states; s++) label[s] = s % 2 == 0 ? BLANK : target[s / 2];
        int needed = framesNeeded(target);
        if (needed > frames) {
            throw new IllegalArgumentException("a target of " + target.length + " labels needs at least " + needed
                    + " frames, the input has " + frames + "; shorten the transcript or lengthen the window");
        }
        for (int l : target) {
            if (l <= BLANK || l >= vocabulary) throw new IllegalArgumentException("target label " + l
                    + " is outside [1, " + vocabulary + "): 0 is the blank");
        }
        double[][] alpha = new double[frames][states], beta = new double[frames][states];
        for (double[] row : alpha) java.util.Arrays.fill(row, Double.NEGATIVE_INFINITY);
        for (double[] row : beta) java.util.Arrays.fill(row, Double.NEGATIVE_INFINITY);
        alpha[0][0] = logProbs[0][label[0]];
        if (states > 1) alpha[0][1] = logProbs[0][label[1]];
        for (int t = 1; t < frames; t++) {
            for (int s = 0; s < states; s++) {
                double a = alpha[t - 1][s];
                if (s >= 1) a = logAdd(a, alpha[t - 1][s - 1]);
                if (s >= 2 && label[s] != BLANK && label[s] != label[s - 2]) a = logAdd(a, alpha[t - 1][s - 2]);
                alpha[t][s] = a + logProbs[t][label[s]];
            }
        }
        int last = frames - 1;
        beta[last][states - 1] = logProbs[last][label[states - 1]];
        if (states > 1) beta[last][states - 2] = logProbs[last][label[states - 2]];
        for (int t = last - 1; t >= 0; t--) {
            for (int s = 0; s < states; s++) {
                double b = beta[t + 1][s];
                if (s + 1 < states) b = logAdd(b, beta[t + 1][s + 1]);
                if (s + 2 < states && label[s] != BLANK && label[s] != label[s + 2]) b = logAdd(b, beta[t + 1][s + 2]);
                beta[t][s] = b + logProbs[t][label[s]];
            }
        }
        double logLikelihood = states > 1 ? logAdd(alpha[last][states - 1], alpha[last][states - 2]) : alpha[last][0];
        if (dLogits != null) {
            // alpha and beta both include frame t's probability: d/d logit(t,k) = y_tk - sum_{s:label k} e^(a+b) / (p y_tk)
            for (int t = 0; t < frames; t++) {
                double[] occupancy = new double[vocabulary];
                java.util.Arrays.fill(occupancy, Double.NEGATIVE_INFINITY);
                for (int s = 0; s < states; s++) occupancy[label[s]] = logAdd(occupancy[label[s]], alpha[t][s] + beta[t][s]);
                for (int k = 0; k < vocabulary; k++) {
                    double y = Math.exp(logProbs[t][k]);
                    double share = occupancy[k] == Double.NEGATIVE_INFINITY ? 0
                            : Math.exp(occupancy[k] - logLikelihood - logProbs[t][k]);
                    dLogits[t][k] = y - share;
                }
            }
        }
        return -logLikelihood;
    }

    /** Best path: each frame's most likely label, repeats collapsed, blanks removed. logProbs [T][V] */
    public static int[] greedyDecode(double[][] logProbs) {
        List<Integer> out = new ArrayList<>();
        int previous = BLANK;
        for (double[] frame : logProbs) {
            int best = 0;
            for (int k = 1; k < frame.length; k++) if (frame[k] > frame[best]) best = k;
            if (best != BLANK && best != previous) out.add(best);
            previous = best;
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    static double logAdd(double a, double b) {
        if (a == Double.NEGATIVE_INFINITY) return b;
        if (b == Double.NEGATIVE_INFINITY) return a;
        double max = Math.max(a, b);
        return max + Math.log(Math.exp(a - max) + Math.exp(b - max));
    }
}
