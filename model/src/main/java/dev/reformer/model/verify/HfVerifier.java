package dev.reformer.model.verify;

import dev.reformer.model.Params;
import dev.reformer.model.ReformerConfig;
import dev.reformer.model.ReformerModel;
import dev.reformer.model.layers.LocalSelfAttention;
import dev.reformer.model.layers.LshSelfAttention;
import dev.reformer.model.layers.Rotations;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs our implementation on a reference fixture, with the fixture's config, parameters and rotations,
 * and compares every output tensor. The fixture's kind is recognised from its tensor names.
 */
public final class HfVerifier {
    public enum Kind { LSH_SELF_ATTENTION, LOCAL_SELF_ATTENTION, MODEL }

    /** @param notes what was not checked, and why */
    public record Report(HfFixture fixture, Kind kind, DataType dtype, List<Comparison> comparisons, List<String> notes) {
        public boolean passed() { return comparisons.stream().allMatch(Comparison::passed); }
    }

    private HfVerifier() {}

    /** The tolerance on relative error we hold ourselves to in a data type. */
    public static double defaultTolerance(DataType dtype) {
        return dtype == DataType.DOUBLE ? 1e-10 : 1e-4;
    }

    /** Gradients chain many more operations: float32 is held to 1e-3, float64 to the given tolerance x 100. */
    static double gradientTolerance(DataType dtype, double tolerance) {
        return dtype == DataType.DOUBLE ? tolerance * 100 : Math.max(tolerance, 1e-3);
    }

    public static Kind kindOf(HfFixture f) {
        if (f.has("last_hidden_state")) return Kind.MODEL;
        if (f.has("query_key.weight")) return Kind.LSH_SELF_ATTENTION;
        if (f.has("query.weight") && f.has("key.weight")) return Kind.LOCAL_SELF_ATTENTION;
        throw new IllegalArgumentException(f.file() + " is neither a layer fixture (query_key.weight or query.weight +"
                + " key.weight) nor a model fixture (last_hidden_state): " + f.tensors().keySet());
    }

    public static Report verify(HfFixture f, DataType dtype, double tolerance) {
        Kind kind = kindOf(f);
        List<Comparison> results = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        ReformerConfig config = f.config();
        switch (kind) {
            case LSH_SELF_ATTENTION -> {
                LshSelfAttention layer = new LshSelfAttention(config, Rotations.fixed(f.get("rotations")));
                LshSelfAttention.Result r = layer.forward(f.get("hidden_states").castTo(dtype),
                        f.get("query_key.weight").castTo(dtype), f.get("value.weight").castTo(dtype), keyValid(f));
                results.add(Comparison.of("out_vectors", r.out(), f.get("out_vectors"), tolerance));
                if (f.has("buckets")) {
                    if (r.buckets() == null) {
                        notes.add("buckets: the sequence fits one chunk, so no hashing happened (as in the reference)");
                    } else {
                        results.add(Comparison.exact("buckets", flatten(r.buckets()), ints(f.get("buckets"))));
                    }
                }
            }
            case LOCAL_SELF_ATTENTION -> {
                INDArray out = new LocalSelfAttention(config).forward(f.get("hidden_states").castTo(dtype),
                        f.get("query.weight").castTo(dtype), f.get("key.weight").castTo(dtype),
                        f.get("value.weight").castTo(dtype), keyValid(f));
                results.add(Comparison.of("out_vectors", out, f.get("out_vectors"), tolerance));
            }
            case MODEL -> verifyModel(f, config, dtype, tolerance, results);
        }
        return new Report(f, kind, dtype, results, notes);
    }

    /** The whole model's last hidden state and, when the fixture has them, its loss and every parameter's gradient. */
    private static void verifyModel(HfFixture f, ReformerConfig config, DataType dtype, double tolerance, List<Comparison> results) {
        Map<String, INDArray> named = new LinkedHashMap<>();
        f.tensors().forEach((name, t) -> { if (name.startsWith("param/")) named.put(name.substring(6), t); });
        Rotations rotations = f.has("lsh_rotations") ? Rotations.fixed(f.get("lsh_rotations"))
                : Rotations.seeded(config.hashSeed());
        ReformerModel model = new ReformerModel(config, Params.fromNamed(config, named, dtype), rotations);
        int[][] mask = f.has("attention_mask") ? intRows(f.get("attention_mask")) : null;
        ReformerModel.Output output = model.forward(intRows(f.get("input_ids")), mask);
        INDArray hidden = output.lastHiddenState();
        results.add(Comparison.of("last_hidden_state", hidden, f.get("last_hidden_state"), tolerance));
        if (f.has("loss") && f.has("loss_projection")) {
            // loss = sum(last_hidden_state * loss_projection * attention_mask): its gradient is the weights
            INDArray weights = f.get("loss_projection").castTo(dtype);
            if (f.has("attention_mask")) {
                INDArray m = f.get("attention_mask").castTo(dtype);
                weights = weights.mul(m.reshape(m.size(0), m.size(1), 1));
            }
            INDArray loss = hidden.mul(weights).sum().reshape(f.get("loss").shape());
            results.add(Comparison.of("loss", loss, f.get("loss"), tolerance));
            if (f.tensors().keySet().stream().anyMatch(n -> n.startsWith("grad/"))) {
                Params grads = Params.zeros(config, dtype);
                model.backward(output, weights, grads);
                Map<String, INDArray> ours = grads.named();
                f.tensors().forEach((name, reference) -> {
                    if (!name.startsWith("grad/")) return;
                    INDArray mine = ours.get(name.substring(5));
                    if (mine == null) throw new IllegalArgumentException(f.file() + ": " + name
                            + " names no parameter of this config");
                    results.add(Comparison.of(name, mine, reference, gradientTolerance(dtype, tolerance)));
                });
            }
        }
    }

    private static boolean[][] keyValid(HfFixture f) {
        if (!f.has("attention_mask")) return null;
        int[][] m = intRows(f.get("attention_mask"));
        boolean[][] valid = new boolean[m.length][];
        for (int b = 0; b < m.length; b++) {
            valid[b] = new boolean[m[b].length];
            for (int t = 0; t < m[b].length; t++) valid[b][t] = m[b][t] != 0;
        }
        return valid;
    }

    private static int[][] intRows(INDArray x) {
        int rows = (int) x.size(0), cols = (int) x.size(1);
        int[] flat = ints(x);
        int[][] out = new int[rows][cols];
        for (int r = 0; r < rows; r++) System.arraycopy(flat, r * cols, out[r], 0, cols);
        return out;
    }

    private static int[] ints(INDArray x) {
        double[] d = x.castTo(DataType.DOUBLE).data().asDouble();
        int[] out = new int[d.length];
        for (int i = 0; i < d.length; i++) out[i] = (int) Math.round(d[i]);
        return out;
    }

    private static int[] flatten(int[][][][] x) {
        List<Integer> out = new ArrayList<>();
        for (int[][][] a : x) for (int[][] b : a) for (int[] c : b) for (int v : c) out.add(v);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
