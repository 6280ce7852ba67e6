package dev.reformer.model.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Reshapes shared by the attention layers. */
final class Attention {
    private Attention() {}

    /** [B, T, C] → [B*T, C] */
    static INDArray rows(INDArray x) {
        return x.reshape(x.size(0) * x.size(1), x.size(2));
    }

    /** [B*T, H*D] → [B, H, T, D] (contiguous copy) */
    static INDArray splitHeads(INDArray x, int batch, int length, int heads, int d) {
        return x.reshape(batch, length, heads, d).permute(0, 2, 1, 3).dup('c');
    }

    /** [B*H, T, D] → [B, T, H*D] */
    static INDArray mergeHeads(INDArray x, int batch, int length, int heads, int d) {
        return x.reshape(batch, heads, length, d).permute(0, 2, 1, 3).dup('c').reshape(batch, length, (long) heads * d);
    }

    static int[][] identityPositions(int groups, int length) {
        int[][] positions = new int[groups][length];
        for (int[] p : positions) for (int t = 0; t < length; t++) p[t] = t;
        return positions;
    }

    static boolean anyPadding(boolean[][] keyValid) {
        if (keyValid == null) return false;
        for (boolean[] row : keyValid) for (boolean v : row) if (!v) return true;
        return false;
    }
}
