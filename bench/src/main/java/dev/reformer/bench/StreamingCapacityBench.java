package dev.reformer.bench;

import dev.reformer.client.LocalKafka;
import dev.reformer.client.Topics;
import dev.reformer.eval.Scores;
import dev.reformer.pipeline.JobSettings;
import dev.reformer.pipeline.ReformerJob;
import dev.reformer.protocol.AudioChunkHeaders;
import dev.reformer.protocol.KafkaHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * How many concurrent streams a streaming transcriber with 30 s of context serves in real time, and how late its
 * results become readable. A Kafka broker (its own process), the job in a MiniCluster of parallelism 2 on this
 * machine's cores (which the broker and this bench share), checkpoints to a local directory with the state backend
 * asked for. For each stream count, the streams send 100 ms of speech-like audio every 100 ms, in real time, for
 * --seconds; a reader on a thread of its own reads the results topic (read_committed, as an exactly-once reader does)
 * and the partials topic (at least once). Visible latency: from sending the audio chunk that completes a hop to
 * reading the hop's transcript; for final results, from sending the stream's last chunk. Only hops after the first
 * 30 s (a full context) count. A count is held when every stream's final result came and the partials' median
 * latency over the last 10 s is within a second of the median just after the context filled (the lag does not grow).
 */
public final class StreamingCapacityBench {
    private static final int CHUNK_BYTES = 3200, CHUNK_MS = 100, WAV_HEADER = 44;
    private static final double CONTEXT_SECONDS = 30;

    private StreamingCapacityBench() {}

    /** audioModel: a streaming model's directory, or null for an untrained one of the digit model's size (30 s of context). */
    public record Options(List<Integer> streams, int seconds, String stateBackend, long checkpointIntervalMs, Path audioModel,
                          LocalKafka.Placement kafka) {}

    public static String run(Options o, Path work) throws Exception {
        if (o.seconds() < CONTEXT_SECONDS + 20) throw new IllegalArgumentException("--seconds " + o.seconds() + ": streams must run"
                + " past their 30 s of context for 20 s at least (only those hops count); use e.g. 60");
        Path model = o.audioModel();
        if (model == null) StreamingBench.model(model = work.resolve("streaming-model"), StreamingBench.cachedConfig());
        System.err.println("model: " + model + "; starting the Kafka broker ...");
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT, "Streams of %d s in real time, state backend %s, checkpoints"
                + " every %d ms; visible latency p50 / p99 in ms, hops after the first 30 s%n%n", o.seconds(), o.stateBackend(), o.checkpointIntervalMs()));
        table.append("| streams | held in real time | partials topic (at least once) | results topic, hops (read_committed) | final results (read_committed) | lag growth, ms |\n");
        table.append("|---:|---|---:|---:|---:|---:|\n");
        try (LocalKafka kafka = LocalKafka.start(o.kafka())) {
            int run = 0;
            for (int streams : o.streams()) {
                System.err.printf(Locale.ROOT, "[%d/%d] %d streams ...%n", ++run, o.streams().size(), streams);
                JobSettings s = JobSettings.defaults(kafka.bootstrapServers(), model.toString(), null).withParallelism(2)
                        .withCheckpoints(o.checkpointIntervalMs(), work.resolve("checkpoints-" + run).toString()).withStateBackend(o.stateBackend())
                        .withPartialsTopic("partials").withTopicPrefix("capacity" + run + "-").withLimits(600_000, 64, 1 << 20);
                table.append(oneCount(kafka, s, streams, o.seconds())).append('\n');
            }
        }
        return table.toString();
    }

    private static String oneCount(LocalKafka kafka, JobSettings s, int streams, int seconds) throws Exception {
        Topics.forJob(s, 2, 2);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ReformerJob.build(env, s);
        JobClient job = env.executeAsync("reformer capacity bench");
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
             ResultsReader results = new ResultsReader(p, s.resultsTopic(), true);
             ResultsReader partials = new ResultsReader(p, s.partialsTopic(), false)) {
            send(producer, s, "warm", streams, 10, false); // model loading and the JIT compiler's first work, unmeasured
            results.await(finalOf("warm"), streams, 900, "final results of the warm-up");
            System.err.printf(Locale.ROOT, "  warmed up; %d streams x %d s in real time ...%n", streams, seconds);
            long[][] sentAt = send(producer, s, "live", streams, seconds, true);
            boolean allFinal = true;
            try {
                results.await(finalOf("live"), streams, 120, "final results");
            } catch (IllegalStateException late) {
                allFinal = false;
                System.err.println("  " + late.getMessage());
            }
            double[] fromPartials = visible(partials.matching(hopOf("live")), sentAt);
            double[] fromResults = visible(results.matching(hopOf("live")), sentAt);
            double[] finals = results.matching(finalOf("live")).stream()
                    .mapToDouble(r -> r.readAt() - sentAt[streamIndex(r)][sentAt[0].length - 1]).sorted().toArray();
            double growth = median(partials.matching(hopOf("live").and(r -> r.endSeconds() >= seconds - 10)), sentAt)
                    - median(partials.matching(hopOf("live").and(r -> r.endSeconds() < CONTEXT_SECONDS + 10)), sentAt);
            boolean held = allFinal && growth < 1000;
            System.err.printf(Locale.ROOT, "  %s; lag growth %.0f ms%n", held ? "held" : "not held", growth);
            return String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %.0f |", streams, held ? "yes" : "no", p50p99(fromPartials),
                    p50p99(fromResults), p50p99(finals), growth);
        } finally {
            job.cancel().get();
        }
    }

    private static Predicate<ResultsReader.Seen> finalOf(String prefix) {
        return r -> r.stream().startsWith(prefix) && r.last();
    }

    private static Predicate<ResultsReader.Seen> hopOf(String prefix) {
        return r -> r.stream().startsWith(prefix) && !r.last() && r.endSeconds() >= CONTEXT_SECONDS;
    }

    /** Sorted: from sending the chunk that completed each result's hop to reading the result. */
    private static double[] visible(List<ResultsReader.Seen> seen, long[][] sentAt) {
        return seen.stream().mapToDouble(r -> r.readAt() - sentAt[streamIndex(r)][chunkOf(r.endSeconds(), sentAt[0].length)]).sorted().toArray();
    }

    private static double median(List<ResultsReader.Seen> seen, long[][] sentAt) {
        double[] v = visible(seen, sentAt);
        return v.length == 0 ? Double.NaN : Scores.percentile(v, 0.5);
    }

    /** The chunk holding the last sample of a hop that ends at endSeconds. */
    private static int chunkOf(double endSeconds, int chunks) {
        long bytes = WAV_HEADER + Math.round(endSeconds * 16000) * 2;
        return (int) Math.max(0, Math.min(chunks - 1, (bytes + CHUNK_BYTES - 1) / CHUNK_BYTES - 1));
    }

    private static int streamIndex(ResultsReader.Seen r) {
        return Integer.parseInt(r.stream().substring(r.stream().lastIndexOf('-') + 1));
    }

    /**
     * streams × seconds of 16 kHz WAV in 100 ms records, paced (each chunk of every stream at its real time, the streams
     * spread over the 100 ms) or at once; when each chunk of each stream was sent (ms since the epoch).
     */
    private static long[][] send(KafkaProducer<byte[], byte[]> producer, JobSettings s, String prefix, int streams, int seconds,
                                 boolean paced) throws InterruptedException {
        byte[] wav = FrontendBench.speechLikeWav(16000, 1, seconds);
        int chunks = (wav.length + CHUNK_BYTES - 1) / CHUNK_BYTES;
        long[][] sentAt = new long[streams][chunks];
        long start = System.nanoTime();
        for (int c = 0; c < chunks; c++) {
            for (int i = 0; i < streams; i++) {
                if (paced) {
                    long due = start + (c * CHUNK_MS * 1_000_000L) + (long) i * CHUNK_MS * 1_000_000L / streams;
                    for (long wait; (wait = due - System.nanoTime()) > 0; ) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                byte[] part = Arrays.copyOfRange(wav, c * CHUNK_BYTES, Math.min(wav.length, (c + 1) * CHUNK_BYTES));
                ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(s.audioTopic(), (prefix + "-" + i).getBytes(StandardCharsets.UTF_8), part);
                KafkaHeaders.write(AudioChunkHeaders.wav(c, c == chunks - 1), r.headers());
                sentAt[i][c] = System.currentTimeMillis();
                producer.send(r);
            }
            if (paced) producer.flush();
        }
        producer.flush();
        return sentAt;
    }

    private static String p50p99(double[] sorted) {
        return sorted.length == 0 ? "none" : String.format(Locale.ROOT, "%.0f / %.0f", Scores.percentile(sorted, 0.5), Scores.percentile(sorted, 0.99));
    }
}
