package dev.reformer.model.train;

import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** What {@link Trainer} trains: an encoder with a head, its parameters and gradients by name, a loss and a score. */
public interface Trainable {

    Encoder encoder();

    /** Every trainable tensor by name. */
    Map<String, INDArray> params();

    /** The gradients of the last {@link #lossAndGradients} call, by the names of {@link #params()}. */
    Map<String, INDArray> gradients();

    /** Forward and backward over a batch: returns the mean loss and leaves the gradients in {@link #gradients()}. */
    double lossAndGradients(List<Example> batch);

    /**
     * Forward only. {@code correct / total} is the score that selects the best epoch: accuracy for
     * classification (one per example), 1 - label error rate for transcription (labels of the targets).
     */
    Score evaluate(List<Example> batch);

    /** @param loss mean loss over the batch's examples */
    record Score(double loss, double correct, double total) {}
}
