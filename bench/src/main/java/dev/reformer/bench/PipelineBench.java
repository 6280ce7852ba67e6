package dev.reformer.bench;


import dev.reformer.audio.FeatureConfig;
import dev.reformer.eval.Scores;
import dev.reformer.client.LocalKafka;
import dev.reformer.model.Params;
import dev.reformer.model.ReformerConfig;
import dev.reformer.model.ReformerModel;
import dev.reformer.pipeline.JobSettings;
import dev.reformer.pipeline.ReformerJob;
import dev.reformer.protocol.AudioChunkHeaders;
import dev.reformer.protocol.KafkaHeaders;
import dev.reformer.protocol.TextMessageHeaders;
import dev.reformer.task.TaskModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import dev.reformer.client.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The whole job on this machine: a KRaft broker (its own process, or in this JVM), a Flink MiniCluster, and models of the size
 * `./reformer train` makes by default (d_model 64, 4 layers; weights untrained, which costs the same).
 * Measures, with micro-batching on and off in the same run: audio capacity (N streams of D seconds sent at
 * once; audio seconds done per second = the aggregate real-time factor), text capacity (512-byte messages per
 * second), and end-to-end latency (p50, p99 of each result's latency_ms) with input paced at half the capacity.
 */
public final class PipelineBench {
    private PipelineBench() {}

    /**
     * audioModel, textModel: model directories to serve, or null for untrained models of the default train size;
     * latencies: where to write each paced message's latency (a CSV per run: -batched, -unbatched), or null.
     */
    public record Options(int streams, int seconds, int messages, int batch, long deadlineMs, long checkpointIntervalMs, int bytesPerPosition,
                   Path audioModel, Path textModel, LocalKafka.Placement kafka, Path latencies) {}

    public static String run(Options o, Path work) throws Exception {
        int streams = o.streams(), seconds = o.seconds(), messages = o.messages();
        Path audioModel = o.audioModel(), textModel = o.textModel();
        if (audioModel == null) makeModel(audioModel = work.resolve("audio-model"), true, 1);
        if (textModel == null) makeModel(textModel = work.resolve("text-model"), false, o.bytesPerPosition());
        System.err.println("models: audio " + audioModel + ", text " + textModel);
        System.err.println("starting the Kafka broker " + (o.kafka() == LocalKafka.Placement.OWN_PROCESS ? "as its own process" : "in this JVM") + " ...");
        LocalKafka kafka = LocalKafka.start(o.kafka());
        StringBuilder table = new StringBuilder();
        table.append("| micro-batching | audio: x real time (").append(streams).append(" streams x ").append(seconds)
                .append(" s) | text: messages/s (512 B) | emitted p50 ms at half load | emitted p99 ms | visible p50 ms (read_committed) | visible p99 ms |\n|---|---:|---:|---:|---:|---:|---:|\n");
        try {
            int run = 0;
            for (int batchSize : new int[]{o.batch(), 1}) {
                String label = batchSize == 1 ? "off (batch 1)" : "on (batch " + batchSize + ", " + o.deadlineMs() + " ms)";
                System.err.printf("[%d/2] micro-batching %s ...%n", ++run, label);
                JobSettings s = JobSettings.defaults(kafka.bootstrapServers(), audioModel.toString(), textModel.toString())
                        .withBatching(batchSize, o.deadlineMs()).withCheckpoints(o.checkpointIntervalMs(), null).withParallelism(2)
                        .withTopicPrefix("bench" + run + "-").withLimits(600_000, 64, 1 << 20);
                Topics.forJob(s, 2, 2);
                StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(new Configuration());
                ReformerJob.build(env, s);
                JobClient job = env.executeAsync("reformer bench");
                try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props(kafka), new ByteArraySerializer(), new ByteArraySerializer());
                     ResultsReader results = new ResultsReader(props(kafka), s.resultsTopic(), true)) {
                    warmUp(producer, s, results, streams, messages);
                    System.err.println("  warmed up; audio: " + streams + " streams x " + seconds + " s ...");

                    long t0 = System.nanoTime();
                    sendAudio(producer, s, "audio", streams, seconds);
                    long lastAudio = results.await("audio", windowsPer(seconds, s) * streams, 900);
                    double audioFactor = streams * (double) seconds / ((lastAudio - t0) / 1e9);

                    System.err.printf(Locale.ROOT, "  audio: %.0fx real time; text: %d messages at once ...%n", audioFactor, messages);
                    long t1 = System.nanoTime();
                    java.util.Map<String, Long> cpuBefore = cpuByThread(kafka.pid());
                    long[] textGcBefore = collections();
                    sendText(producer, s, "text", messages, 0);
                    long lastText = results.await("text", messages, 900);
                    double textRate = messages / ((lastText - t1) / 1e9);
                    long[] textGcAfter = collections();
                    System.err.printf(Locale.ROOT, "  text phase: %d garbage collections, %d ms in all; CPU by thread: %s%n",
                            textGcAfter[0] - textGcBefore[0], textGcAfter[1] - textGcBefore[1], cpuSince(cpuBefore, kafka.pid(), (lastText - t1) / 1e9));

                    double[][] latency = pacedLatency(producer, s, results, kafka, messages, textRate, latencyCsv(o, batchSize));
                    table.append(String.format(Locale.ROOT, "| %s | %.0fx | %.0f | %.0f | %.0f | %.0f | %.0f |%n", label, audioFactor, textRate,
                            Scores.percentile(latency[0], 0.5), Scores.percentile(latency[0], 0.99),
                            Scores.percentile(latency[1], 0.5), Scores.percentile(latency[1], 0.99)));
                } finally {
                    job.cancel().get();
                }
            }
        } finally {
            kafka.close();
        }
        return table.toString();
    }

    /**
     * Warm-up, so that model loading and the JIT compiler's work are not measured: per-record code reaches the optimising
     * compiler after about 10,000 calls, and code shared by the audio and text models is compiled again when the other
     * model's data changes its profile; rounds go on until the compiler threads are nearly idle (with one round of 1,000
     * messages they took 0.5-0.6 of the 2 cores during the measured text phase).
     */
    private static void warmUp(KafkaProducer<byte[], byte[]> producer, JobSettings s, ResultsReader results, int streams, int messages) throws Exception {
        var jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        for (int round = 1; ; round++) {
            long compiledBefore = jit.getTotalCompilationTime(), started = System.nanoTime();
            sendAudio(producer, s, "warm" + round, streams, 10);
            sendText(producer, s, "warm" + round, messages, 0);
            results.await("warm" + round, windowsPer(10, s) * streams + messages, 900);
            double compiling = (jit.getTotalCompilationTime() - compiledBefore) / ((System.nanoTime() - started) / 1e6);
            System.err.printf(Locale.ROOT, "  warm-up round %d (%d audio streams x 10 s, %d text messages): the JIT compiler"
                    + " busy %.0f%% of the time%n", round, streams, messages, 100 * compiling);
            if (compiling < 0.10 || round == MAX_WARM_UP_ROUNDS) break;
        }
    }

    /**
     * Latency at half the measured text capacity, paced. What is measured is the steady pace, not the switch to it:
     * after the burst the JIT compiler recompiled hundreds of Kafka's and Flink's per-record methods
     * (-XX:+PrintCompilation) in the paced phase's first seconds, hence a lead-in. csv: each message's latency, or null.
     */
    /** {latency_ms as the job measured it (to the result's emission), latency until a read_committed reader read it}. */
    private static double[][] pacedLatency(KafkaProducer<byte[], byte[]> producer, JobSettings s, ResultsReader results, LocalKafka kafka,
                                         int messages, double textRate, Path csv) throws Exception {
        int paced = Math.max(50, (int) Math.min(messages, textRate * 10));
        System.err.printf(Locale.ROOT, "  text: %.0f messages/s; latency: %d messages paced at %.0f/s after %d s at that pace ...%n",
                textRate, paced, textRate / 2, LEAD_IN_SECONDS);
        long gap = (long) (2e9 / textRate);
        sendText(producer, s, "lead-in", (int) (LEAD_IN_SECONDS * textRate / 2), gap);
        long[] gcBefore = collections();
        java.util.Map<String, Long> pacedCpuBefore = cpuByThread(kafka.pid());
        long pacedStart = System.nanoTime();
        long[] sentAt = sendText(producer, s, "paced", paced, gap);
        results.await("paced", paced, 900);
        long[] gcAfter = collections();
        System.err.printf(Locale.ROOT, "  garbage collection meanwhile: %d collections, %d ms in all; CPU by thread: %s%n",
                gcAfter[0] - gcBefore[0], gcAfter[1] - gcBefore[1],
                cpuSince(pacedCpuBefore, kafka.pid(), (System.nanoTime() - pacedStart) / 1e9));
        double[] latency = results.latencies("paced");
        double[] visible = results.matching(r -> r.stream().startsWith("paced") && r.seq() >= 0 && r.seq() < sentAt.length).stream()
                .mapToDouble(r -> r.readAt() - sentAt[(int) r.seq()]).sorted().toArray();
        System.err.printf(Locale.ROOT, "  visible to a read_committed reader (sent to read): p50 %.0f ms, p99 %.0f ms%n",
                Scores.percentile(visible, 0.5), Scores.percentile(visible, 0.99));
        System.err.println("  latency at half load, by second of sending (p50 / max ms): " + results.timeline("paced", textRate / 2));
        if (csv != null) {
            results.writeCsv("paced", csv);
            System.err.println("  each message's latency: " + csv);
        }
        return new double[][]{latency, visible};
    }

    private static Path latencyCsv(Options o, int batchSize) {
        return o.latencies() == null ? null : Path.of(o.latencies() + (batchSize == 1 ? "-unbatched.csv" : "-batched.csv"));
    }

    /**
     * CPU time so far (clock ticks) of every thread of this process, the JVM's own (GC workers, JIT compilers) included,
     * by name with numbers dropped (operator instances and workers add up). Linux only: empty elsewhere.
     */
    private static java.util.Map<String, Long> cpuByThread(long brokerPid) {
        java.util.Map<String, Long> cpu = new java.util.HashMap<>();
        if (brokerPid > 0) {
            try {
                cpu.put("(the Kafka broker's process)", ticks(Files.readString(Path.of("/proc/" + brokerPid + "/stat"))));
            } catch (java.io.IOException | RuntimeException e) {
                // not Linux, or the broker is gone
            }
        }
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    long ticks = ticks(Files.readString(task.resolve("stat")));
                    String name = Files.readString(task.resolve("comm")).trim().replaceAll("\\d+", "#").replaceAll(" \\(.*", "");
                    cpu.merge(name, ticks, Long::sum);
                } catch (java.io.IOException | RuntimeException gone) {
                    // the thread ended while being read
                }
            }
        } catch (java.io.IOException notLinux) {
            // no /proc: the bench prints that it has no figures
        }
        return cpu;
    }

    /** Warm-up rounds at most, each of --messages text messages and 10 s of every audio stream. */
    private static final int MAX_WARM_UP_ROUNDS = 6;
    /** Seconds of text at the latency phase's pace before its measured messages. */
    public static final int LEAD_IN_SECONDS = 5;

    /** utime + stime of a /proc stat line. */
    private static long ticks(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /** The thread groups that used the most CPU since before, in cores (CPU seconds per second of the phase). */
    private static String cpuSince(java.util.Map<String, Long> before, long brokerPid, double seconds) {
        java.util.Map<String, Long> now = cpuByThread(brokerPid);
        List<java.util.Map.Entry<String, Long>> used = new ArrayList<>();
        now.forEach((name, ns) -> used.add(java.util.Map.entry(name, ns - before.getOrDefault(name, 0L))));
        used.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
        if (used.isEmpty()) return "(no /proc/self/task here)";
        double tick = 100.0;   // USER_HZ, 100 on Linux
        double all = used.stream().mapToLong(java.util.Map.Entry::getValue).sum() / tick / seconds;
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%.2f cores in all (threads that ended meanwhile are not counted)", all));
        for (var e : used.subList(0, Math.min(12, used.size()))) {
            out.append(String.format(Locale.ROOT, "%n    %.2f %s", e.getValue() / tick / seconds, e.getKey()));
        }
        return out.toString();
    }

    /** {collections, milliseconds} so far, over this JVM's collectors (broker, job and bench share it). */
    private static long[] collections() {
        long count = 0, ms = 0;
        for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, gc.getCollectionCount());
            ms += Math.max(0, gc.getCollectionTime());
        }
        return new long[]{count, ms};
    }

    private static int windowsPer(int seconds, JobSettings s) {
        int frames = 1 + (seconds * 16000 - 400) / 160;
        int complete = frames < s.windowFrames() ? 0 : 1 + (frames - s.windowFrames()) / s.hopFrames();
        return complete + 1;   // the tail window, or the end marker
    }

    private static void sendAudio(KafkaProducer<byte[], byte[]> producer, JobSettings s, String prefix, int streams, int seconds) {
        byte[] wav = FrontendBench.speechLikeWav(16000, 1, seconds);
        int chunk = 3200;   // 100 ms of 16 kHz s16le
        for (int at = 0, seq = 0; at < wav.length; at += chunk, seq++) {
            for (int i = 0; i < streams; i++) {
                byte[] part = Arrays.copyOfRange(wav, at, Math.min(wav.length, at + chunk));
                ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(s.audioTopic(), (prefix + "-" + i).getBytes(StandardCharsets.UTF_8), part);
                KafkaHeaders.write(AudioChunkHeaders.wav(seq, at + chunk >= wav.length), r.headers());
                producer.send(r);
            }
        }
        producer.flush();
    }

    /** Returns when each message was sent (ms since the epoch, by seq). */
    private static long[] sendText(KafkaProducer<byte[], byte[]> producer, JobSettings s, String prefix, int n, long gapNanos) throws InterruptedException {
        String base = "the quick brown fox jumps over the lazy dog; ".repeat(12);
        long start = System.nanoTime();
        long[] sentAt = new long[n];
        for (int i = 0; i < n; i++) {
            if (gapNanos > 0) {
                long due = start + i * gapNanos;
                while (System.nanoTime() < due) Thread.sleep(0, 200_000);
            }
            byte[] text = (i + " " + base).substring(0, 512).getBytes(StandardCharsets.UTF_8);
            ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(s.textTopic(), (prefix + "-" + (i % 64)).getBytes(StandardCharsets.UTF_8), text);
            KafkaHeaders.write(new TextMessageHeaders((long) i), r.headers());   // results echo its seq: latency by send order
            sentAt[i] = System.currentTimeMillis();
            producer.send(r);
        }
        producer.flush();
        return sentAt;
    }

    private static Properties props(LocalKafka kafka) {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        return p;
    }

    /** Text models read 512 bytes, bytesPerPosition in each position. */
    private static void makeModel(Path dir, boolean audio, int bytesPerPosition) throws Exception {
        if (Files.isRegularFile(dir.resolve("model.safetensors"))) return;
        int positions = audio ? 512 : 512 / bytesPerPosition;
        ReformerConfig config = TaskModel.defaultConfig(positions, !audio && bytesPerPosition == 1);
        ReformerModel model = new ReformerModel(config, Params.init(config, 1, DataType.FLOAT));
        FeatureConfig features = FeatureConfig.logMel();
        float[] mean = new float[features.dimension()], std = new float[features.dimension()];
        Arrays.fill(std, 1);
        TaskModel.Input input = audio ? new TaskModel.Input(true, 512, features, 2, mean, std) : TaskModel.Input.bytes(positions, bytesPerPosition);
        List<String> labels = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l");
        TaskModel.create(config, TaskModel.Task.CLASSIFICATION, labels, TaskModel.SymbolUnit.CHARACTER, input, model, 1).save(dir);
    }

}
