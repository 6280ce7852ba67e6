package dev.reformer.model.train;

import dev.reformer.model.ReformerModel;
import dev.reformer.model.heads.CtcHead;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** An encoder with a per-position CTC head: transcription (symbol 0 is the blank). */
public final class SequenceTranscriber implements Trainable {
    public static final String HEAD_WEIGHT = "ctc_head.weight", HEAD_BIAS = "ctc_head.bias";

    private final Encoder encoder;
    private final INDArray headWeight, headBias;     // [V, 2C], [V]
    private final INDArray headWeightGrad, headBiasGrad;

    public SequenceTranscriber(Encoder encoder, INDArray headWeight, INDArray headBias) {
        this.encoder = encoder;
        this.headWeight = headWeight;
        this.headBias = headBias;
        this.headWeightGrad = Nd4j.zerosLike(headWeight);
        this.headBiasGrad = Nd4j.zerosLike(headBias);
    }

    /** A fresh head over {@code symbols} outputs, the blank included. */
    public static SequenceTranscriber withNewHead(Encoder encoder, int symbols, long seed) {
        INDArray[] head = SequenceClassifier.newLinear(symbols, 2 * encoder.model().config().hiddenSize(), encoder, seed);
        return new SequenceTranscriber(encoder, head[0], head[1]);
    }

    @Override
    public Encoder encoder() { return encoder; }

    @Override
    public Map<String, INDArray> params() {
        Map<String, INDArray> m = new LinkedHashMap<>(encoder.params());
        m.put(HEAD_WEIGHT, headWeight);
        m.put(HEAD_BIAS, headBias);
        return m;
    }

    @Override
    public Map<String, INDArray> gradients() {
        Map<String, INDArray> m = new LinkedHashMap<>(encoder.gradients());
        m.put(HEAD_WEIGHT, headWeightGrad);
        m.put(HEAD_BIAS, headBiasGrad);
        return m;
    }

    private static int[][] targets(List<Example> examples) {
        return examples.stream().map(Example::target).toArray(int[][]::new);
    }

    @Override
    public double lossAndGradients(List<Example> examples) {
        encoder.zeroGradients();
        headWeightGrad.assign(0);
        headBiasGrad.assign(0);
        Encoder.Batch batch = encoder.batch(examples);
        int[][] targets = targets(examples);
        ReformerModel.Output out = encoder.forward(batch, true);
        CtcHead.Output head = CtcHead.forward(out.lastHiddenState(), batch.lengths(), headWeight, headBias, targets);
        INDArray dHidden = CtcHead.backward(out.lastHiddenState(), head, targets, headWeight, headWeightGrad, headBiasGrad);
        encoder.backward(batch, out, dHidden);
        return head.loss();
    }

    /** Forward only: per-row log-probabilities of each real frame, and the loss when targets are given. */
    public CtcHead.Output scores(Encoder.Batch batch, int[][] targets) {
        INDArray hidden = encoder.forward(batch, false).lastHiddenState();
        return CtcHead.forward(hidden, batch.lengths(), headWeight, headBias, targets);
    }

    /** Greedy transcription of each example. */
    public int[][] transcribe(List<Example> examples) {
        return CtcHead.decode(scores(encoder.batch(examples), null));
    }

    @Override
    public Score evaluate(List<Example> examples) {
        int[][] targets = targets(examples);
        CtcHead.Output head = scores(encoder.batch(examples), targets);
        int[][] decoded = CtcHead.decode(head);
        double errors = 0, labels = 0;
        for (int i = 0; i < decoded.length; i++) {
            errors += editDistance(decoded[i], targets[i]);
            labels += targets[i].length;
        }
        return new Score(head.loss(), labels - errors, labels);
    }

    /** Levenshtein distance: substitutions, insertions and deletions turning a into b. */
    public static int editDistance(int[] a, int[] b) {
        int[] previous = new int[b.length + 1], current = new int[b.length + 1];
        for (int j = 0; j <= b.length; j++) previous[j] = j;
        for (int i = 1; i <= a.length; i++) {
            current[0] = i;
            for (int j = 1; j <= b.length; j++) {
                current[j] = Math.min(Math.min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length];
    }
}
