package dev.reformer.model.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Reshapes shared by the attention layers. */
final class Attention {
    private Attention() {}

    /** [B, T, C] → [B*T, C] */
    static INDArray rows(INDArray x) {
        return x.reshape(x.size(0) * x.size(1), x.size(2));
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
