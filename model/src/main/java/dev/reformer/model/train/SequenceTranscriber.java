package dev.reformer.model.train;

import dev.reformer.model.ReformerModel;
import dev.reformer.model.heads.CtcHead;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** An encoder with a per-position CTC head: transcription (symbol 0 is the blank). */
public final class SequenceTranscriber implements Trainable {
    public static final String HEAD_WEIGHT = "ctc_head.weight", HEAD_BIAS = "ctc_head.bias";

    private final Encoder encoder;
    private final Head head;

    /** headWeight [V, 2C], headBias [V]: one output per symbol, the blank (0) included. */
    public SequenceTranscriber(Encoder encoder, INDArray headWeight, INDArray headBias) {
        this(encoder, new Head(HEAD_WEIGHT, HEAD_BIAS, headWeight, headBias));
    }

    private SequenceTranscriber(Encoder encoder, Head head) {
        this.encoder = encoder;
        this.head = head;
    }

    /** A fresh head over {@code symbols} outputs, the blank included. */
    public static SequenceTranscriber withNewHead(Encoder encoder, int symbols, long seed) {
        return new SequenceTranscriber(encoder, Head.fresh(HEAD_WEIGHT, HEAD_BIAS, symbols, encoder, seed));
    }

    @Override
    public Encoder encoder() { return encoder; }

    @Override
    public Map<String, INDArray> params() { return head.params(encoder); }

    @Override
    public Map<String, INDArray> gradients() { return head.gradients(encoder); }

    private static int[][] targets(List<Example> examples) {
        return examples.stream().map(Example::target).toArray(int[][]::new);
    }

    @Override
    public double lossAndGradients(List<Example> examples) {
        head.zeroGradients(encoder);
        Encoder.Batch batch = encoder.batch(examples);
        int[][] targets = targets(examples);
        ReformerModel.Output out = encoder.forward(batch, true);
        CtcHead.Output scores = CtcHead.forward(out.lastHiddenState(), batch.lengths(), head.weight, head.bias, targets);
        INDArray dHidden = CtcHead.backward(out.lastHiddenState(), scores, targets, head.weight, head.weightGrad, head.biasGrad);
        encoder.backward(batch, out, dHidden);
        return scores.loss();
    }

    /** Forward only: per-row log-probabilities of each real frame, and the loss when targets are given. */
    public CtcHead.Output scores(Encoder.Batch batch, int[][] targets) {
        INDArray hidden = encoder.forward(batch, false).lastHiddenState();
        return CtcHead.forward(hidden, batch.lengths(), head.weight, head.bias, targets);
    }

    /** Greedy transcription of each example. */
    public int[][] transcribe(List<Example> examples) {
        return CtcHead.decode(scores(encoder.batch(examples), null));
    }

    @Override
    public Score evaluate(List<Example> examples) {
        int[][] targets = targets(examples);
        CtcHead.Output scores = scores(encoder.batch(examples), targets);
        int[][] decoded = CtcHead.decode(scores);
        double errors = 0, labels = 0;
        for (int i = 0; i < decoded.length; i++) {
            errors += editDistance(decoded[i], targets[i]);
            labels += targets[i].length;
        }
        return new Score(scores.loss(), labels - errors, labels);
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
