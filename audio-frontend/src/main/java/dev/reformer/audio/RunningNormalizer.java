package dev.reformer.audio;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Per-stream mean and variance normalisation that runs forward in time, so a live stream can be normalised
 * without waiting for its end: each frame is scaled by statistics of the frames up to and including it.
 * For the first {@code memory} frames these are plain averages; afterwards an exponential average with
 * time constant {@code memory} frames, so the statistics follow a changing microphone or room.
 */
public final class RunningNormalizer {

    private static final double VARIANCE_FLOOR = 1e-8;

    private final int memory;
    private final double[] mean;
    private final double[] variance;
    private long count;

    public RunningNormalizer(int dimension, int memory) {
        this.memory = memory;
        this.mean = new double[dimension];
        this.variance = new double[dimension];
    }

    /** Updates the statistics with {@code frame} and normalises it in place. */
    public void apply(float[] frame) {
        count++;
        double rate = 1.0 / Math.min(count, memory);
        for (int i = 0; i < mean.length; i++) {
            double delta = frame[i] - mean[i];
            mean[i] += rate * delta;
            variance[i] = (1 - rate) * (variance[i] + rate * delta * delta);
            frame[i] = (float) ((frame[i] - mean[i]) / Math.sqrt(variance[i] + VARIANCE_FLOOR));
        }
    }

    void writeState(DataOutput out) throws IOException {
        out.writeLong(count);
        for (double m : mean) out.writeDouble(m);
        for (double v : variance) out.writeDouble(v);
    }

    static RunningNormalizer readState(int dimension, int memory, DataInput in) throws IOException {
        RunningNormalizer n = new RunningNormalizer(dimension, memory);
        n.count = in.readLong();
        for (int i = 0; i < dimension; i++) n.mean[i] = in.readDouble();
        for (int i = 0; i < dimension; i++) n.variance[i] = in.readDouble();
        return n;
    }
}
