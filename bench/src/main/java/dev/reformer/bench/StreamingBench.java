package dev.reformer.bench;

import dev.reformer.audio.FeatureConfig;
import dev.reformer.audio.PcmDecoder;
import dev.reformer.audio.StreamingFeatureExtractor;
import dev.reformer.model.Params;
import dev.reformer.model.ReformerConfig;
import dev.reformer.model.ReformerModel;
import dev.reformer.model.StreamState;
import dev.reformer.model.layers.KernelThreads;
import dev.reformer.model.layers.Rotations;
import dev.reformer.model.train.Example;
import dev.reformer.task.StreamingTranscription;
import dev.reformer.task.TaskModel;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * One audio stream through a transcriber of the digit model's size with 30 s of context, two ways, in one run:
 * windowed (every hop, the model reads the last 30 s again from scratch: a Reformer with the reference's chunked
 * LSH attention over the window) and cached (a streaming model of the same size and context reads each hop's
 * positions once against its per-stream cache, {@link StreamingTranscription}). CPU time of this thread per hop,
 * as the Flink operator runs it (the kernels on the calling thread; the operator keeps a stream's state deserialised and
 * writes to keyed state only the hop's new entries and a small carry-over), once the context is full; the state each
 * mode keeps per stream. The state backend's own cost is in {@code bench pipeline --streaming}. Untrained weights: the work does not depend on what the weights say.
 */
public final class StreamingBench {
    /** The pipeline's hop: 50 frames of 10 ms. */
    static final int HOP_FRAMES = 50;
    /** 30 s at 40 ms a position (frame stack 4). */
    static final int CONTEXT = 750, STACK = 4, WINDOW_POSITIONS = 768;

    private StreamingBench() {}

    /** seconds: length of the stream (the first 30 s fill the context and are not measured). */
    public static String run(int seconds) throws Exception {
        if (seconds < 40) throw new IllegalArgumentException("--seconds " + seconds + ": the stream must be longer than its 30 s of context"
                + " (the hops after it are measured); use at least 40, e.g. 120");
        Path dir = Files.createTempDirectory("reformer-bench-streaming");
        TaskModel windowed = model(dir.resolve("windowed"), windowedConfig());
        TaskModel cached = model(dir.resolve("cached"), cachedConfig());
        float[][] frames = StreamingFeatureExtractor.extractAll(FeatureConfig.logMel(), PcmDecoder.wav(),
                FrontendBench.speechLikeWav(16000, 1, seconds)).frames();
        int firstMeasured = CONTEXT * STACK / HOP_FRAMES + 1, hops = frames.length / HOP_FRAMES;
        System.err.printf(Locale.ROOT, "  %d hops of %d ms (%d measured, after the first 30 s); windowed ...%n", hops, HOP_FRAMES * 10, hops - firstMeasured);
        double[] windowedMs = KernelThreads.callingThreadOnly(() -> windowedHops(windowed, frames, hops, firstMeasured));
        System.err.println("  cached (a whole pass to warm up, then the measured one) ...");
        StreamingTranscription served = new StreamingTranscription(cached);
        // a whole unmeasured pass first: a hop is small work, and the JIT compiler needs many of them
        KernelThreads.callingThreadOnly(() -> cachedHops(served, frames, hops, firstMeasured, true, new long[1], new byte[1][]));
        byte[][] state = new byte[1][];
        long[] written = new long[1];
        double[] cachedMs = KernelThreads.callingThreadOnly(() -> cachedHops(served, frames, hops, firstMeasured, true, written, state));
        double[] computeMs = KernelThreads.callingThreadOnly(() -> cachedHops(served, frames, hops, firstMeasured, false, new long[1], new byte[1][]));
        long windowBytes = 4L * CONTEXT * STACK * FeatureConfig.logMel().dimension();
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "One stream of %d s, hops of %d ms, context 30 s (%d positions of 40 ms);"
                + " model: hidden 64, 2 heads x 32, local/LSH/local/LSH, 2 hash rounds; CPU time of the calling thread per hop,"
                + " %d hops after the first 30 s%n%n", seconds, HOP_FRAMES * 10, CONTEXT, cachedMs.length));
        out.append("| mode | positions computed per hop | CPU ms per hop, p50 | p99 | CPU ms per second of audio | compute vs windowed | state per stream |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|\n");
        double windowedPerSecond = mean(windowedMs) * 1000 / (HOP_FRAMES * 10), cachedPerSecond = mean(cachedMs) * 1000 / (HOP_FRAMES * 10);
        out.append(String.format(Locale.ROOT, "| windowed (30 s recomputed every hop) | %d | %.2f | %.2f | %.1f | 1.00x | %s (the window's frames) |%n",
                CONTEXT, percentile(windowedMs, 50), percentile(windowedMs, 99), windowedPerSecond, kib(windowBytes)));
        double computePerSecond = mean(computeMs) * 1000 / (HOP_FRAMES * 10);
        out.append(String.format(Locale.ROOT, "| cached, as the operator runs it (the hop's new entries and carry-over to bytes: %s a hop) | %.1f | %.2f | %.2f | %.1f | %.1fx less | %s (keys, values, buckets) |%n",
                kib(written[0]), HOP_FRAMES / (double) STACK, percentile(cachedMs, 50), percentile(cachedMs, 99), cachedPerSecond,
                windowedPerSecond / cachedPerSecond, kib(state[0].length)));
        out.append(String.format(Locale.ROOT, "| cached, the model's work alone | %.1f | %.2f | %.2f | %.1f | %.1fx less | |%n",
                HOP_FRAMES / (double) STACK, percentile(computeMs, 50), percentile(computeMs, 99), computePerSecond,
                windowedPerSecond / computePerSecond));
        return out.toString();
    }

    private static double[] windowedHops(TaskModel model, float[][] frames, int hops, int firstMeasured) {
        var threads = ManagementFactory.getThreadMXBean();
        double[] ms = new double[hops - firstMeasured];
        for (int hop = firstMeasured - 20; hop < hops; hop++) { // unmeasured hops first warm the JIT up
            int end = (hop + 1) * HOP_FRAMES, start = Math.max(0, end - CONTEXT * STACK);
            long t0 = threads.getCurrentThreadCpuTime();
            model.transcribe(List.of(Example.transcript(model.audioPositions(frames, start, end), new int[]{1})));
            if (hop >= firstMeasured) ms[hop - firstMeasured] = (threads.getCurrentThreadCpuTime() - t0) / 1e6;
        }
        return ms;
    }

    /**
     * Each hop as the operator runs it (asOperator: the memo checked against the stream's carry-over, the hop, the hop's
     * new entries and the carry-over made into the bytes the keyed state stores; the backend's own puts are not in it),
     * or the model's work alone. written[0]: bytes of state written per hop, on average; state[0]: the stream's state.
     */
    private static double[] cachedHops(StreamingTranscription served, float[][] frames, int hops, int firstMeasured, boolean asOperator,
                                       long[] written, byte[][] state) {
        var threads = ManagementFactory.getThreadMXBean();
        double[] ms = new double[hops - firstMeasured];
        StreamingTranscription.State s = served.newState();
        byte[] carry = s.carryBytes();
        long bytes = 0;
        for (int hop = 0; hop < hops; hop++) {
            long t0 = threads.getCurrentThreadCpuTime();
            if (asOperator && !Arrays.equals(s.carryBytes(), carry)) throw new IllegalStateException("the memo went stale");
            StreamState.Mark mark = s.encoder().mark();
            served.step(s, Arrays.copyOfRange(frames, hop * HOP_FRAMES, (hop + 1) * HOP_FRAMES));
            if (asOperator) {
                long[] added = {0};
                s.encoder().changesSince(mark, new StreamState.Changes() {
                    @Override
                    public void removed(int layer, long position) {}

                    @Override
                    public void added(int layer, long position, byte[] entry) { added[0] += entry.length; }
                });
                carry = s.carryBytes();
                if (hop >= firstMeasured) bytes += added[0] + carry.length;
            }
            if (hop >= firstMeasured) ms[hop - firstMeasured] = (threads.getCurrentThreadCpuTime() - t0) / 1e6;
        }
        written[0] = bytes / ms.length;
        state[0] = s.toBytes();
        return ms;
    }

    /** The digit model's layers at 768 positions, as the windowed mode serves: bidirectional, axial positions, buckets per length. */
    static ReformerConfig windowedConfig() {
        return TaskModel.defaultConfig(WINDOW_POSITIONS, false).toBuilder().hiddenDropoutProb(0).localAttentionProbsDropoutProb(0).build();
    }

    /** The same size, streaming: causal, 30 s of context, 16 buckets (about 47 keys a bucket in a full context). */
    static ReformerConfig cachedConfig() {
        return windowedConfig().toBuilder().isDecoder(true).numBuckets(16).hashSeed(1L).streamingContextLength(CONTEXT).build();
    }

    static TaskModel model(Path dir, ReformerConfig config) throws Exception {
        FeatureConfig features = FeatureConfig.logMel();
        float[] mean = new float[features.dimension()], std = new float[features.dimension()];
        Arrays.fill(std, 1f);
        List<String> symbols = List.of("", "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "oh");
        TaskModel.create(config, TaskModel.Task.TRANSCRIPTION, symbols, TaskModel.SymbolUnit.WORD,
                new TaskModel.Input(true, WINDOW_POSITIONS, features, STACK, mean, std),
                new ReformerModel(config, Params.init(config, 1, DataType.FLOAT), new Rotations.Sequence(1)), 1).save(dir);
        return TaskModel.load(dir, DataType.FLOAT);
    }

    private static double mean(double[] xs) {
        return Arrays.stream(xs).average().orElse(0);
    }

    private static double percentile(double[] xs, int p) {
        double[] sorted = xs.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static String kib(long bytes) {
        return String.format(Locale.ROOT, "%.0f KiB", bytes / 1024.0);
    }
}
