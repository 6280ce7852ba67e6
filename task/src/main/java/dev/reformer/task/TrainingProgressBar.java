package dev.reformer.task;

import dev.reformer.model.train.Trainer;
import java.util.Locale;

/** One line on stderr, redrawn: epoch, batch, loss, examples/s, ETA of the run. */
public final class TrainingProgressBar implements Trainer.Listener {
    private final int epochs;
    private final long started = System.nanoTime();
    private int doneBatches;

    public TrainingProgressBar(int epochs) { this.epochs = epochs; }

    @Override
    public void batch(int epoch, int batch, int batches, double loss, double examplesPerSecond) {
        doneBatches++;
        double elapsed = (System.nanoTime() - started) / 1e9;
        int remaining = (epochs - epoch) * batches + (batches - batch);
        double eta = elapsed / doneBatches * remaining;
        int filled = (int) Math.round(20.0 * batch / batches);
        System.err.printf(Locale.ROOT, "\repoch %d/%d [%s%s] %d/%d  loss %.4f  %.1f ex/s  ETA %s   ", epoch, epochs,
                "#".repeat(filled), ".".repeat(20 - filled), batch, batches, loss, examplesPerSecond, duration(eta));
    }

    @Override
    public void resumed(int epochsDone) {
        System.err.printf("resuming from the checkpoint: %d of %d epochs already done%n", epochsDone, epochs);
    }

    @Override
    public void epoch(Trainer.EpochMetrics m, boolean best) {
        System.err.printf(Locale.ROOT, "%nepoch %d: train loss %.4f, validation loss %.4f, accuracy %.4f%s%n",
                m.epoch(), m.trainLoss(), m.validationLoss(), m.validationAccuracy(), best ? " (best so far)" : "");
    }

    private static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : String.format("%dm%02ds", s / 60, s % 60);
    }
}
