package dev.reformer.bench;


import dev.reformer.client.LocalKafka;
import dev.reformer.pipeline.JobSettings;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;



/**
 * The benchmarks of {@code ./reformer bench} behind docs/BENCHMARKS.md: attention and memory (each cell in a fresh JVM,
 * {@link BenchWorker}), frontend, pipeline and model (in this JVM). The command's help says what each measures.
 */
public final class Benchmarks {
    /** What to measure and how; the fields are the bench command's options (its help says what each means). */
    public record Options(String what, List<Integer> lengths, List<Integer> layers, List<Integer> hashes, int seconds, List<Integer> streams, int messages, int batchSize, int bytesPerPosition, long batchDeadlineMs, long checkpointIntervalMs, String stateBackend, Path latencies, String kafka, Path audioModel, Path textModel, int repeats, double fullMemoryFraction, Path model, int passes, Path markdown, Path peer) {}

    private final String what;
    private final List<Integer> lengths;
    private final List<Integer> layers;
    private final List<Integer> hashes;
    private final int seconds;
    private final List<Integer> streams;
    private final String stateBackend;
    private final int messages;
    private final int batchSize;
    private final int bytesPerPosition;
    private final long batchDeadlineMs;
    private final long checkpointIntervalMs;
    private final Path latencies;
    private final String kafka;
    private final Path audioModel;
    private final Path textModel;
    private final int repeats;
    private final double fullMemoryFraction;
    private final Path model;
    private final int passes;
    private final Path markdown;
    private final Path peer;

    private Benchmarks(Options o) {
        this.what = o.what();
        this.lengths = o.lengths();
        this.layers = o.layers();
        this.hashes = o.hashes();
        this.seconds = o.seconds();
        this.streams = o.streams();
        this.stateBackend = o.stateBackend();
        this.messages = o.messages();
        this.batchSize = o.batchSize();
        this.bytesPerPosition = o.bytesPerPosition();
        this.batchDeadlineMs = o.batchDeadlineMs();
        this.checkpointIntervalMs = o.checkpointIntervalMs();
        this.latencies = o.latencies();
        this.kafka = o.kafka();
        this.audioModel = o.audioModel();
        this.textModel = o.textModel();
        this.repeats = o.repeats();
        this.fullMemoryFraction = o.fullMemoryFraction();
        this.model = o.model();
        this.passes = o.passes();
        this.markdown = o.markdown();
        this.peer = o.peer();
    }

    private static final Pattern RESULT = Pattern.compile("RESULT \\{\"median_ms\": ([0-9.]+), \"min_ms\": ([0-9.]+), "
            + "\"peak_mib\": (-?[0-9.]+), \"gflop\": ([0-9.]+)\\}");

    record Cell(double medianMs, double minMs, double peakMib, double gflop) {
        double gflops() { return gflop / (medianMs / 1000); }
    }

    /** Runs the benchmark o.what() names, prints its table (and writes it with --markdown); the exit code. */
    public static int run(Options o) throws Exception {
        return new Benchmarks(o).call();
    }

    private int call() throws Exception {
        for (int length : lengths == null ? List.<Integer>of() : lengths) {
            if (length <= 0 || length % 64 != 0) {
                throw new IllegalArgumentException("length " + length + " is not a positive multiple of 64 (the chunk length)");
            }
        }
        return switch (what) {
            case "attention" -> attention(lengths == null ? List.of(1024, 4096, 16384, 65536) : lengths);
            case "memory" -> memory(lengths == null ? List.of(4096, 16384) : lengths);
            case "frontend" -> frontend();
            case "pipeline" -> pipeline();
            case "model" -> model();
            case "streaming" -> streaming();
            case "capacity" -> capacity();
            default -> throw new IllegalArgumentException("unknown benchmark '" + what + "'; try: attention, memory, frontend, pipeline, model, streaming, capacity");
        };
    }

    /** The job through real Kafka and Flink in this JVM: capacity and latency, micro-batching on and off. */
    private int pipeline() throws Exception {
        Path work = Files.createTempDirectory("reformer-bench-pipeline");
        if (streams.size() != 1) throw new IllegalArgumentException("bench pipeline takes one --streams count, not " + streams);
        String table = PipelineBench.run(new PipelineBench.Options(streams.get(0), seconds, messages, batchSize, batchDeadlineMs, checkpointIntervalMs, bytesPerPosition,
                audioModel, textModel, LocalKafka.Placement.of(kafka), latencies), work);
        System.out.print(table);
        writeMarkdown("pipeline --kafka " + kafka + " --streams " + streams + " --seconds " + seconds + " --messages " + messages + " --batch-size " + batchSize
                + " --batch-deadline-ms " + batchDeadlineMs + " --checkpoint-interval-ms " + checkpointIntervalMs + (audioModel != null ? " --audio-model " + audioModel : "")
                + (textModel != null ? " --text-model " + textModel : " --bytes-per-position " + bytesPerPosition), table);
        return 0;
    }

    /** One model's forward pass on this thread: batched against one input at a time. */
    private int model() throws Exception {
        if (model == null) throw new IllegalArgumentException("bench model needs --model DIR (a directory ./reformer train wrote, e.g. models/spam)");
        String table = ModelBench.run(model, batchSize, passes) + "\n" + encoderAlone();
        System.out.print(table);
        writeMarkdown("model --model " + model + " --batch-size " + batchSize + " --passes " + passes
                + (peer == null ? "" : " --peer " + peer), table);
        return 0;
    }

    /**
     * The model's encoder alone in a fresh JVM on every core (wall time), batches of --batch-size inputs of its full
     * length, beside ND4J's sgemm of the same run and, with --peer, the reference's figure for the same shape.
     */
    private String encoderAlone() throws Exception {
        Peers peers = peer == null ? null : Peers.read(peer);
        System.err.println("  encoder alone, batches of " + batchSize + ", in a fresh JVM; ND4J sgemm (yardstick) ...");
        Cell sgemm = sgemm();
        Cell ours = run(List.of("reformer", model.toString(), String.valueOf(batchSize), String.valueOf(Math.max(repeats, 21))));
        dev.reformer.model.ReformerConfig config = dev.reformer.model.ReformerConfig.read(model.resolve("config.json"));
        int length = config.maxPositionEmbeddings();
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "Encoder alone (no front-end, no head), %d threads, batch %d x %d positions;"
                + " ND4J sgemm 2048x2048 in this run: %.1f GFLOP/s%n%n", Runtime.getRuntime().availableProcessors(), batchSize, length, sgemm.gflops()));
        out.append("| model | median ms per batch | sequences/s |" + (peers == null ? "" : " HF ms (theirs) | HF ms here | vs HF |") + "\n");
        out.append("|---|---:|---:|" + (peers == null ? "" : "---:|---:|---:|") + "\n");
        out.append(String.format(Locale.ROOT, "| %s | %.2f | %.0f |", model.getFileName(), ours.medianMs, batchSize * 1000 / ours.medianMs));
        if (peers != null) {
            out.append(peers.cells().stream().filter(c -> c.cell().equals("model") && c.impl().equals("hf") && c.length() == length).findFirst()
                    .map(hf -> {
                        double here = peers.scaledMs(hf, sgemm.gflops());
                        return String.format(Locale.ROOT, " %.1f | %.1f | %.2fx |", hf.medianMs(), here, here / ours.medianMs);
                    }).orElse(" | | |"));
            out.append("\n").append(peerNote(peers, sgemm));
        } else {
            out.append("\n");
        }
        return out.toString();
    }

    /** One stream, windows recomputed every hop against each position computed once from the stream's cache. */
    private int streaming() throws Exception {
        String table = StreamingBench.run(seconds);
        System.out.print(table);
        writeMarkdown("streaming --seconds " + seconds, table);
        return 0;
    }

    /** Streams a streaming transcriber serves in real time, and when their results become readable. */
    private int capacity() throws Exception {
        String table = StreamingCapacityBench.run(new StreamingCapacityBench.Options(streams, seconds, stateBackend, checkpointIntervalMs, audioModel,
                LocalKafka.Placement.of(kafka)), Files.createTempDirectory("reformer-bench-capacity"));
        System.out.print(table);
        writeMarkdown("capacity --streams " + join(streams) + " --seconds " + seconds + " --state-backend " + stateBackend
                + " --checkpoint-interval-ms " + checkpointIntervalMs + (audioModel != null ? " --audio-model " + audioModel : ""), table);
        return 0;
    }

    /** Real-time factor of the audio front-end on this thread (pin the JVM with taskset for one core). */
    private int frontend() throws Exception {
        String table = FrontendBench.run(seconds, repeats);
        System.out.print(table);
        writeMarkdown("frontend --seconds " + seconds + " --repeats " + repeats, table);
        return 0;
    }

    /** Peak memory and speed of one training step, reversible versus standard residual, at several depths. */
    private int memory(List<Integer> lengths) throws Exception {
        int total = lengths.size() * layers.size() * 2, done = 0;
        StringBuilder out = new StringBuilder();
        out.append("| L | layers | residual | peak MiB | vs 1 layer | step ms (median) | tokens/s |\n");
        out.append("|---:|---:|---|---:|---:|---:|---:|\n");
        for (int length : lengths) {
            for (String mode : List.of("reversible", "standard")) {
                Double oneLayer = null;
                for (int depth : layers) {
                    progress(++done, total, "L=" + length + ", " + depth + " layers, " + mode + " residual (one training step)");
                    Cell c = run(List.of("memory", String.valueOf(length), String.valueOf(depth), mode, String.valueOf(repeats)));
                    if (oneLayer == null) oneLayer = c.peakMib;
                    out.append(String.format(Locale.ROOT, "| %d | %d | %s | %.0f | %.2fx | %.0f | %.0f |%n", length, depth, mode,
                            c.peakMib, c.peakMib / oneLayer, c.medianMs, length / (c.medianMs / 1000)));
                }
            }
        }
        System.out.print(out);
        writeMarkdown("memory --lengths " + join(lengths) + " --layers " + join(layers) + " --repeats " + repeats, out);
        return 0;
    }

    private void writeMarkdown(String arguments, CharSequence table) throws IOException {
        if (markdown == null) return;
        String header = "Command: `./reformer bench " + arguments + "`\n\nMachine: " + machine() + "\n\nDate: "
                + LocalDate.now() + "\n\n";
        Files.writeString(markdown, header + table);
        System.err.println("wrote " + markdown);
    }

    private int attention(List<Integer> lengths) throws Exception {
        Peers peers = peer == null ? null : Peers.read(peer);
        long ram = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        int total = 1 + lengths.size() * (hashes.size() + 1), done = 0;

        progress(++done, total, "ND4J sgemm 2048 x 2048 (yardstick)");
        Cell sgemm = sgemm();

        List<String> rows = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        Map<Integer, Cell> fullByLength = new LinkedHashMap<>();
        Double lastFullMs = null;
        Integer lastFullLength = null;
        for (int length : lengths) {
            double scoreBytes = 4.0 * BenchWorker.HEADS * length * (double) length;
            Cell full = null;
            if (scoreBytes < fullMemoryFraction * ram) {
                progress(++done, total, "L=" + length + " full attention");
                full = run(List.of("attention", String.valueOf(length), "0", String.valueOf(repeats)));
                fullByLength.put(length, full);
                lastFullMs = full.medianMs;
                lastFullLength = length;
                rows.add(row(length, "full", full, null, sgemm, false) + peerColumns(peers, "dense", length, 0, full, sgemm));
            } else {
                ++done;
                skipped.add(String.format(Locale.ROOT, "full attention at L=%d: its score matrix alone needs 4 B x %d heads x L^2"
                        + " = %.1f GiB, more than %.0f%% of this machine's %.1f GiB", length, BenchWorker.HEADS,
                        scoreBytes / (1L << 30), fullMemoryFraction * 100, ram / (double) (1L << 30)));
            }
            for (int h : hashes) {
                progress(++done, total, "L=" + length + " LSH attention, " + h + " hash round" + (h > 1 ? "s" : ""));
                Cell lsh = run(List.of("attention", String.valueOf(length), String.valueOf(h), String.valueOf(repeats)));
                Cell reference = full;
                boolean extrapolated = false;
                if (reference == null && lastFullMs != null) { // quadratic cost: scale the longest measured full run
                    double scale = Math.pow((double) length / lastFullLength, 2);
                    reference = new Cell(lastFullMs * scale, 0, Double.NaN, 0);
                    extrapolated = true;
                }
                rows.add(row(length, "lsh x" + h, lsh, reference, sgemm, extrapolated) + peerColumns(peers, "lsh", length, h, lsh, sgemm));
            }
        }

        StringBuilder out = attentionTableHead(sgemm, peers != null);
        rows.forEach(r -> out.append(r).append('\n'));
        if (!skipped.isEmpty()) {
            out.append("\nNot run:\n");
            skipped.forEach(s -> out.append("- ").append(s).append('\n'));
            out.append("- speed-ups marked * compare with the longest measured full attention scaled by (L / L_full)^2\n");
        }
        if (peers != null) out.append(peerNote(peers, sgemm));
        System.out.print(out);
        writeMarkdown("attention --lengths " + join(lengths) + " --hashes " + join(hashes) + " --repeats " + repeats
                + (peer == null ? "" : " --peer " + peer), out);
        return 0;
    }

    private StringBuilder attentionTableHead(Cell sgemm, boolean withPeers) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "ND4J sgemm 2048x2048 float32 in this run: %.1f GFLOP/s (median of %d)%n%n",
                sgemm.gflops(), Math.max(repeats, SGEMM_REPEATS)));
        out.append("| L | attention | median ms | peak MiB | GFLOP/s | % of sgemm | speed-up vs full | memory vs full |"
                + (withPeers ? " HF ms (theirs) | HF ms here | vs HF | HF peak MiB | memory vs HF |" : "") + "\n");
        out.append("|---:|---|---:|---:|---:|---:|---:|---:|" + (withPeers ? "---:|---:|---:|---:|---:|" : "") + "\n");
        return out;
    }

    /** HF's figures for the same cell: its own time, read on this machine through the two sgemm yardsticks, and the ratios. */
    private static String peerColumns(Peers peers, String cell, int length, int hashRounds, Cell ours, Cell sgemm) {
        if (peers == null) return "";
        return peers.find(cell, "hf", length, hashRounds).map(hf -> {
            double here = peers.scaledMs(hf, sgemm.gflops());
            return String.format(Locale.ROOT, " %.1f | %.1f | %.2fx | %.0f | %.2fx |", hf.medianMs(), here, here / ours.medianMs,
                    hf.peakMib(), ours.peakMib / hf.peakMib());
        }).orElse(" | | | | |");
    }

    /** ND4J's 2048 x 2048 sgemm, the yardstick: a median of at least 15 runs, as it moves more than the cells do. */
    private Cell sgemm() throws IOException, InterruptedException {
        return run(List.of("sgemm", "2048", String.valueOf(Math.max(repeats, SGEMM_REPEATS))));
    }

    private static final int SGEMM_REPEATS = 15;

    private static String peerNote(Peers peers, Cell sgemm) {
        return String.format(Locale.ROOT, "%nHF = HuggingFace transformers' Reformer on PyTorch (2 threads), from the peer file. \"HF ms here\" ="
                + " their median x their ND4J sgemm (%.1f GFLOP/s) / this run's (%.1f GFLOP/s); \"vs HF\" = HF ms here / ours"
                + " (above 1: ours is faster).%n", peers.sgemmGflops(), sgemm.gflops());
    }

    private static String row(int length, String variant, Cell c, Cell full, Cell sgemm, boolean extrapolated) {
        String speedup = full == null ? "" : String.format(Locale.ROOT, "%.1fx%s", full.medianMs / c.medianMs, extrapolated ? "*" : "");
        String memory = full == null || Double.isNaN(full.peakMib) ? ""
                : String.format(Locale.ROOT, "%.2fx", c.peakMib / full.peakMib);
        return String.format(Locale.ROOT, "| %d | %s | %.1f | %.0f | %.1f | %.0f%% | %s | %s |", length, variant,
                c.medianMs, c.peakMib, c.gflops(), 100 * c.gflops() / sgemm.gflops(), speedup, memory);
    }

    private static void progress(int done, int total, String what) {
        System.err.printf("[%d/%d] %s ...%n", done, total, what);
    }

    /** Runs one BenchWorker in a fresh JVM with this JVM's classpath and the same ND4J thread count. */
    private static Cell run(List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Xms4g"); // the heap is touched up front, so the resident set's rise is native memory
        command.add("-Xmx4g");
        command.add("-XX:+AlwaysPreTouch");
        command.add("--add-modules");
        command.add("jdk.incubator.vector");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(BenchWorker.class.getName());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        // transparent huge pages for ND4J's large arrays (glibc >= 2.35), as the ./reformer launcher sets
        builder.environment().putIfAbsent("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1");
        // the sgemm yardstick is ND4J's own threading on every core, as in the peers' file; the Reformer's float32
        // kernels thread in Java (their own pool, one thread per core), so ND4J gets one thread
        // there and its OpenMP team does not contend with them for the same cores
        if (args.get(0).equals("sgemm")) builder.environment().put("OMP_NUM_THREADS", cores());
        else if (!userChoseOmpThreads()) builder.environment().put("OMP_NUM_THREADS", "1");
        Process p = builder.start();
        StringBuilder log = new StringBuilder();
        Cell cell = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            for (String line; (line = r.readLine()) != null; ) {
                Matcher m = RESULT.matcher(line);
                if (m.find()) {
                    cell = new Cell(Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)),
                            Double.parseDouble(m.group(3)), Double.parseDouble(m.group(4)));
                } else {
                    log.append(line).append('\n');
                }
            }
        }
        int code = p.waitFor();
        if (code != 0 || cell == null) {
            throw new IllegalStateException("benchmark worker " + args + " failed (exit " + code + "):\n" + log);
        }
        return cell;
    }

    /** OMP_NUM_THREADS set by the user, not by the ./reformer launcher's default (which marks its own choice). */
    private static boolean userChoseOmpThreads() {
        return System.getenv("OMP_NUM_THREADS") != null && System.getenv("REFORMER_OMP_DEFAULTED") == null;
    }

    private static String cores() {
        return String.valueOf(Runtime.getRuntime().availableProcessors());
    }

    private static String machine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        } catch (IOException ignored) {
            // the CPU name is decoration; the numbers stand without it
        }
        long ram = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        return String.format(Locale.ROOT, "%s, %d cores, %.0f GiB RAM, Java %s, ND4J 1.0.0-M2.1 (nd4j-native, OpenBLAS), OMP_NUM_THREADS=%s",
                cpu, Runtime.getRuntime().availableProcessors(), ram / (double) (1L << 30), System.getProperty("java.version"),
                (userChoseOmpThreads() ? System.getenv("OMP_NUM_THREADS") : "1") + " for the Reformer, " + cores() + " for sgemm")
                + ", GLIBC_TUNABLES=" + System.getenv().getOrDefault("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1");
    }

    private static String join(List<Integer> xs) {
        return String.join(",", xs.stream().map(String::valueOf).toList());
    }
}
