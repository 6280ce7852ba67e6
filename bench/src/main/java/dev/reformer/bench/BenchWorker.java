package dev.reformer.bench;

import dev.reformer.model.Params;
import dev.reformer.model.ReformerConfig;
import dev.reformer.model.ReformerModel;
import dev.reformer.model.train.AdamW;
import dev.reformer.model.train.SequenceClassifier;
import dev.reformer.model.layers.FullAttention;
import dev.reformer.model.layers.HeapScratch;
import dev.reformer.model.layers.LayerNorm;
import dev.reformer.model.layers.Linear;
import dev.reformer.model.layers.LshSelfAttention;
import dev.reformer.model.layers.Rotations;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * One measurement in a fresh JVM, so that its peak memory is its own: the bench command starts one per
 * table cell. Prints a single line "RESULT {json}".
 *
 * <pre>
 *   attention L HASHES REPEATS   one attention sublayer (layer norm, attention, output projection);
 *                                HASHES 0 = full attention as dense ND4J matrix products
 *   sgemm N REPEATS              ND4J's own float32 N x N matrix product, the yardstick for GFLOP/s
 *   memory L LAYERS MODE REPEATS one training step (forward, classification loss, backward, AdamW) of a
 *                                LAYERS-deep model at length L; MODE reversible or standard (stored activations)
 *   reformer DIR BATCH REPEATS   a Reformer of the config in DIR (weights drawn afresh) on random float32 input
 *                                vectors [BATCH, max length, hidden]: the encoder alone, no front-end and no head
 * </pre>
 */
public final class BenchWorker {
    public static final int HIDDEN = 256, HEADS = 4, HEAD_SIZE = 64, CHUNK = 64;
    private static final String SCRATCH_BLOCK = "bench";

    public static void main(String[] args) throws Exception {
        String what = args[0];
        int repeats = Integer.parseInt(args[args.length - 1]);
        Measurement m = switch (what) {
            case "attention" -> attention(Integer.parseInt(args[1]), Integer.parseInt(args[2]), repeats);
            case "sgemm" -> sgemm(Integer.parseInt(args[1]), repeats);
            case "memory" -> trainingStep(Integer.parseInt(args[1]), Integer.parseInt(args[2]), args[3].equals("standard"), repeats);
            case "reformer" -> reformer(Path.of(args[1]), Integer.parseInt(args[2]), repeats);
            default -> throw new IllegalArgumentException("unknown measurement " + what);
        };
        System.out.printf("RESULT {\"median_ms\": %.3f, \"min_ms\": %.3f, \"peak_mib\": %.1f, \"gflop\": %.4f}%n",
                m.medianMs, m.minMs, m.peakMib, m.gflop);
    }

    public record Measurement(double medianMs, double minMs, double peakMib, double gflop) {}

    /** The attention config of the benchmark: d_model 256, 4 heads x 64, chunk 64, buckets as the reference picks. */
    public static ReformerConfig config(int length, int hashes) {
        return ReformerConfig.builder()
                .hiddenSize(HIDDEN).numAttentionHeads(HEADS).attentionHeadSize(HEAD_SIZE)
                .attnLayers(List.of("lsh")).numHashes(Math.max(1, hashes))
                .numBuckets(ReformerConfig.recommendedBuckets(length, CHUNK, length))
                .lshAttnChunkLength(CHUNK).maxPositionEmbeddings(length).axialPosEmbds(false)
                .build();
    }

    public static Measurement attention(int length, int hashes, int repeats) throws IOException {
        ReformerConfig config = config(length, hashes);
        int rounds = config.numHashes(), half = config.bucketsFor(length).stream().mapToInt(Integer::intValue).sum() / 2;
        double flops = 6.0 * length * HIDDEN * HEADS * HEAD_SIZE;                       // projections
        if (hashes == 0) {
            flops += 4.0 * HEADS * (double) length * length * HEAD_SIZE;                // QK^T and PV
        } else {
            flops += 2.0 * length * HEADS * HEAD_SIZE * rounds * half;                  // hashing
            flops += 4.0 * HEADS * rounds * (double) length * 2 * CHUNK * HEAD_SIZE;    // chunk + previous chunk
        }
        // a warm-up at a quarter of the length (at most 512): long enough to compile every path, small enough
        // that the memory it leaves to the allocator hardly hides the peak of the measured run
        int warmupLength = Math.max(2 * CHUNK, Math.min(512, length / 4));
        return measure(inOnePass(sublayer(warmupLength, hashes)), inOnePass(sublayer(length, hashes)), repeats, flops);
    }

    /**
     * The computation inside one scratch pass, as serving runs a model: its arrays come from a per-thread block
     * reused from pass to pass instead of fresh native memory (whose page faults would be most of the time).
     */
    private static Supplier<INDArray> inOnePass(Supplier<INDArray> computation) {
        return () -> Nd4j.scalar(dev.reformer.model.Scratch.run(SCRATCH_BLOCK, () -> computation.get().getDouble(0)));
    }

    /** Layer norm, attention (LSH, or full when hashes is 0), output projection, on random float32 inputs. */
    public static Supplier<INDArray> sublayer(int length, int hashes) {
        ReformerConfig config = config(length, hashes);
        Random random = new Random(1);
        INDArray x = randn(random, length, HIDDEN);
        INDArray normWeight = Nd4j.ones(DataType.FLOAT, HIDDEN), normBias = Nd4j.zeros(DataType.FLOAT, HIDDEN);
        INDArray queryKey = randn(random, HEADS * HEAD_SIZE, HIDDEN).muli(0.05);
        INDArray value = randn(random, HEADS * HEAD_SIZE, HIDDEN).muli(0.05);
        INDArray output = randn(random, HIDDEN, HEADS * HEAD_SIZE).muli(0.05);
        LshSelfAttention lsh = new LshSelfAttention(config, Rotations.seeded(7L));
        return () -> {
            INDArray normed = LayerNorm.forward(x, normWeight, normBias, 1e-12);
            INDArray heads;
            if (hashes == 0) { // dense ND4J matrix products over the whole sequence
                long rows = (long) length * HEADS;
                heads = FullAttention.sharedQk(Linear.forward(normed, queryKey, null).reshape(rows, HEAD_SIZE),
                        Linear.forward(normed, value, null).reshape(rows, HEAD_SIZE), 1, length, HEADS, false, null);
            } else {
                heads = lsh.forward(normed.reshape(1, length, HIDDEN), queryKey, value, null).out();
            }
            return Linear.forward(heads.reshape(length, HEADS * HEAD_SIZE), output, null);
        };
    }

    /** The model of the memory benchmark: d_model 256, 4 heads x 64, local and LSH layers alternating, chunk 64. */
    public static ReformerConfig trainingConfig(int length, int layers) {
        List<String> kinds = new java.util.ArrayList<>();
        for (int i = 0; i < layers; i++) kinds.add(i % 2 == 0 ? "local" : "lsh");
        return ReformerConfig.builder()
                .hiddenSize(HIDDEN).numAttentionHeads(HEADS).attentionHeadSize(HEAD_SIZE).attnLayers(kinds)
                .numHashes(2).numBuckets(ReformerConfig.recommendedBuckets(length, CHUNK, length))
                .lshAttnChunkLength(CHUNK).localAttnChunkLength(CHUNK).feedForwardSize(512)
                .axialPosShape(List.of(64, length / 64)).axialPosEmbdsDim(List.of(64, HIDDEN - 64))
                .maxPositionEmbeddings(length).vocabSize(258).hiddenDropoutProb(0).localAttentionProbsDropoutProb(0)
                .build();
    }

    public static Measurement trainingStep(int length, int layers, boolean standard, int repeats) throws IOException {
        // ND4J frees native memory when the collector finds its arrays: collect every 10 ms during the step so
        // that the peak is what the step keeps alive, not what garbage it has not yet returned
        Thread collector = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                System.gc();
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        collector.setDaemon(true);
        collector.start();
        try {
            return measure(step(2 * CHUNK, layers, standard), step(length, layers, standard), repeats, 0);
        } finally {
            collector.interrupt();
        }
    }

    /** One training step on random bytes, returning the loss (as a scalar array). */
    public static Supplier<INDArray> step(int length, int layers, boolean standard) {
        ReformerConfig config = trainingConfig(length, layers);
        ReformerModel model = new ReformerModel(config, Params.init(config, 1, DataType.FLOAT)).storingActivations(standard);
        SequenceClassifier classifier = SequenceClassifier.withNewHead(model, 2, 2);
        AdamW optimizer = new AdamW(new AdamW.Settings(1e-4, 0.01, 1.0, 10, 1000));
        Random random = new Random(3);
        int[][] ids = new int[1][length];
        for (int t = 0; t < length; t++) ids[0][t] = 2 + random.nextInt(256);
        SequenceClassifier.Batch batch = new SequenceClassifier.Batch(ids, null, null, new int[]{1});
        return () -> {
            double loss = classifier.lossAndGradients(batch);
            optimizer.update(classifier.params(), classifier.gradients());
            return Nd4j.scalar(loss);
        };
    }

    /**
     * The encoder of a saved model's config, as serving runs it (in one scratch pass), on random input vectors.
     * Its weights are drawn afresh: the work does not depend on them (chunks have fixed sizes whatever the buckets).
     */
    public static Measurement reformer(Path dir, int batch, int repeats) throws IOException {
        ReformerConfig config = ReformerConfig.read(dir.resolve("config.json"));
        ReformerModel model = new ReformerModel(config, Params.init(config, 1, DataType.FLOAT));
        INDArray input = randn(new Random(5), batch, config.maxPositionEmbeddings(), config.hiddenSize());
        Supplier<INDArray> pass = inOnePass(() -> model.forwardEmbeddings(input, null).lastHiddenState());
        return measure(pass, pass, repeats, 0);
    }

    public static Measurement sgemm(int n, int repeats) throws IOException {
        Random random = new Random(1);
        INDArray a = randn(random, n, n), b = randn(random, n, n);
        INDArray small = randn(random, 64, 64);
        return measure(() -> small.mmul(small), () -> a.mmul(b), repeats, 2.0 * n * n * n);
    }

    /**
     * Peak memory and the median of timed runs, both in the steady state: after a smaller warm-up (which compiles
     * the code and starts the thread pools) and then a full-size one (at least 3 runs and 5 s: the JIT compiles the
     * vector loops for these shapes, and the steady state is what a long-running job sees). Peak = the rise of the
     * resident set's high-water mark during one run (the bench command pre-touches the Java heap, -Xms = -Xmx with
     * -XX:+AlwaysPreTouch, so this is native memory), plus the scratch block the pass allocates its arrays from
     * (ND4J's workspace, {@link #inOnePass}: resident from run to run, so it is added by its size), plus the scratch
     * buffers the Java kernels hold ({@link HeapScratch}). Java heap garbage (small per-chunk arrays) is not counted.
     */
    public static Measurement measure(Supplier<INDArray> warmup, Supplier<INDArray> run, int repeats, double flops) throws IOException {
        for (int i = 0; i < 3; i++) warmup.get();
        // then at full size until the JIT has compiled the hot loops for these shapes: at least 3 runs and 5 s
        long warmupStart = System.nanoTime();
        for (int i = 0; i < 3 || (System.nanoTime() - warmupStart < 5_000_000_000L && i < 200); i++) run.get();
        releaseFreedMemory();
        long before = procStatusKib("VmRSS");
        resetPeak();
        run.get();
        double peakMib = (procStatusKib("VmHWM") - before + (scratchBlockBytes() + HeapScratch.bytesHeld()) / 1024.0) / 1024.0;
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            INDArray out = run.get();
            out.getDouble(0); // results are ready once read
            times.add((System.nanoTime() - t0) / 1e6);
        }
        Collections.sort(times);
        double median = times.size() % 2 == 1 ? times.get(times.size() / 2)
                : (times.get(times.size() / 2 - 1) + times.get(times.size() / 2)) / 2;
        return new Measurement(median, times.get(0), peakMib, flops / 1e9);
    }

    private static INDArray randn(Random random, long... shape) {
        long n = 1;
        for (long s : shape) n *= s;
        float[] values = new float[(int) n];
        for (int i = 0; i < values.length; i++) values[i] = (float) random.nextGaussian();
        return Nd4j.create(values, shape, 'c');
    }

    /** Bytes of the scratch block of {@link #inOnePass} on this thread (0 before its first pass). */
    private static long scratchBlockBytes() {
        var manager = Nd4j.getWorkspaceManager();
        return manager.checkIfWorkspaceExists(SCRATCH_BLOCK) ? manager.getWorkspaceForCurrentThread(SCRATCH_BLOCK).getCurrentSize() : 0;
    }

    /** Frees what is garbage and hands the allocator's free pages back (malloc_trim), so that RSS counts live memory. */
    private static void releaseFreedMemory() {
        System.gc();
        try { // JavaCPP's binding of malloc_trim(0) is private; this worker is its own process
            java.lang.reflect.Method trim = org.bytedeco.javacpp.Pointer.class.getDeclaredMethod("trimMemory");
            trim.setAccessible(true);
            trim.invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot call malloc_trim through JavaCPP: " + e, e);
        }
    }

    /** Linux's peak resident set size is resettable by writing 5 to clear_refs. */
    private static void resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException e) {
            throw new IllegalStateException("cannot reset the peak memory counter (/proc/self/clear_refs): " + e.getMessage());
        }
    }

    private static long procStatusKib(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new IllegalStateException("/proc/self/status has no " + field);
    }
}
