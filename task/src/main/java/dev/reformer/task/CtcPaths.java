package dev.reformer.task;

import java.util.Arrays;

/**
 * A transcriber's reading as CTC gives it, and the one way it becomes text: the best symbol of each position (blanks
 * included: a path), collapsed (runs merged, blanks dropped) into symbols, spelled with the model's alphabet. Used by
 * {@link TaskModel#transcribe} and by whatever joins the paths of overlapping windows before spelling them.
 */
public final class CtcPaths {
    /** The blank symbol: index 0 of every transcriber's alphabet. */
    public static final int BLANK = 0;

    private CtcPaths() {}

    /** The most likely symbol of each position. logProbs [T][V] */
    public static int[] best(double[][] logProbs) {
        int[] best = new int[logProbs.length];
        for (int t = 0; t < best.length; t++) {
            for (int k = 1; k < logProbs[t].length; k++) if (logProbs[t][k] > logProbs[t][best[t]]) best[t] = k;
        }
        return best;
    }

    /** CTC's collapse: runs of one symbol merged, then blanks dropped. */
    public static int[] collapse(int[] path) {
        return collapse(path, -1);
    }

    /**
     * The same for a path that continues an earlier one whose last symbol was previous (a stream read hop by hop): a
     * run across the boundary is one symbol.
     */
    public static int[] collapse(int[] path, int previous) {
        int[] out = new int[path.length];
        int n = 0;
        for (int s : path) {
            if (s != previous && s != BLANK) out[n++] = s;
            previous = s;
        }
        return Arrays.copyOf(out, n);
    }

    /** Symbols (indexes into alphabet) as text, separator between two symbols. */
    public static String spell(int[] symbols, String[] alphabet, String separator) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < symbols.length; i++) text.append(i == 0 ? "" : separator).append(alphabet[symbols[i]]);
        return text.toString();
    }

    /** A path's text: collapsed, then spelled. */
    public static String text(int[] path, String[] alphabet, String separator) {
        return spell(collapse(path), alphabet, separator);
    }
}
