package dev.reformer.bench;

import dev.reformer.eval.Scores;
import dev.reformer.protocol.JsonCodec;
import dev.reformer.protocol.ResultMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A topic's results as a user reads them: a consumer on a thread of its own, polling all the time, so that the moment a
 * result was read is the moment it became readable (with {@code read_committed}, when its transaction committed),
 * not the moment the bench got round to asking.
 */
final class ResultsReader implements AutoCloseable {
    /** Only what the figures need: whole JSON trees of every result kept the job's heap busy (young collections copied them). */
    record Seen(String stream, double latencyMs, long seq, long writtenAt, long queuedMs, long inferenceMs, long readAt,
                double endSeconds, boolean last) {}

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<Seen> seen = new ArrayList<>();
    private final Thread poller;
    private volatile RuntimeException failed;

    /** committed: read_committed (what an exactly-once topic's readers see), else read_uncommitted. */
    ResultsReader(Properties base, String topic, boolean committed) {
        Properties p = new Properties();
        p.putAll(base);
        p.put("group.id", "bench-" + System.nanoTime());
        p.put("auto.offset.reset", "earliest");
        p.put("isolation.level", committed ? "read_committed" : "read_uncommitted");
        consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(topic));
        poller = new Thread(this::pollUntilClosed, "results-reader-" + topic);
        poller.setDaemon(true);
        poller.start();
    }

    private void pollUntilClosed() {
        try {
            while (true) {
                var records = consumer.poll(Duration.ofMillis(100));
                long now = System.currentTimeMillis();
                List<Seen> batch = new ArrayList<>();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    ResultMessage m = JsonCodec.readResult(r.value());
                    batch.add(new Seen(m.stream(), orMinusOne(m.latencyMs()), orMinusOne(m.seq()), r.timestamp(), orMinusOne(m.queuedMs()),
                            orMinusOne(m.inferenceMs()), now, m.window() == null ? -1 : m.window().endS(), Boolean.TRUE.equals(m.last())));
                }
                synchronized (seen) {
                    seen.addAll(batch);
                    seen.notifyAll();
                }
            }
        } catch (WakeupException closing) {
            // close() asked
        } catch (RuntimeException e) {
            failed = e;
            synchronized (seen) {
                seen.notifyAll();
            }
        } finally {
            consumer.close();
        }
    }

    private static long orMinusOne(Long value) {
        return value == null ? -1 : value;
    }

    /** Waits until count results of streams named prefix* were read; returns System.nanoTime() then. */
    long await(String prefix, int count, int timeoutSeconds) throws InterruptedException {
        return await(r -> r.stream().startsWith(prefix), count, timeoutSeconds, "results of " + prefix + "*");
    }

    /** Waits until count results matching were read; returns System.nanoTime() then. */
    long await(Predicate<Seen> matching, int count, int timeoutSeconds, String what) throws InterruptedException {
        long end = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        int matched = 0, checked = 0;
        synchronized (seen) {
            while (true) {
                for (; checked < seen.size(); checked++) if (matching.test(seen.get(checked))) matched++;
                if (matched >= count) return System.nanoTime();
                if (failed != null) throw new IllegalStateException("reading the results failed: " + failed, failed);
                long left = end - System.nanoTime();
                if (left <= 0) throw new IllegalStateException("waited " + timeoutSeconds + " s for " + count + " " + what
                        + ", got " + matched + "; the job may have failed (see the log)");
                seen.wait(Math.max(1, Math.min(200, left / 1_000_000)));
            }
        }
    }

    /** The results read so far that match. */
    List<Seen> matching(Predicate<Seen> filter) {
        synchronized (seen) {
            return seen.stream().filter(filter).toList();
        }
    }

    /** p50 / max latency of each second's messages (perSecond messages a second, by the seq each result echoes). */
    String timeline(String prefix, double perSecond) {
        java.util.TreeMap<Integer, List<Double>> bySecond = new java.util.TreeMap<>();
        for (Seen r : matching(r -> r.stream().startsWith(prefix) && r.seq() >= 0)) {
            bySecond.computeIfAbsent((int) (r.seq() / perSecond), k -> new ArrayList<>()).add(r.latencyMs());
        }
        StringBuilder out = new StringBuilder();
        for (var e : bySecond.entrySet()) {
            double[] sorted = e.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
            out.append(String.format(Locale.ROOT, "%s%.0f/%.0f", out.length() == 0 ? "" : ", ", Scores.percentile(sorted, 0.5), sorted[sorted.length - 1]));
        }
        return out.toString();
    }

    /**
     * One line per result of streams named prefix*: seq; latency (ms) and the parts of it spent waiting for a batch and in
     * the batch's forward pass (the rest is Kafka, decoding, windowing and Flink's network); when the job wrote it; when
     * this reader read it.
     */
    void writeCsv(String prefix, Path file) throws java.io.IOException {
        List<String> lines = new ArrayList<>(List.of("seq,latency_ms,queued_ms,inference_ms,written_at_ms,read_at_ms"));
        for (Seen r : matching(r -> r.stream().startsWith(prefix))) {
            lines.add(r.seq() + "," + (long) r.latencyMs() + "," + r.queuedMs() + "," + r.inferenceMs() + "," + r.writtenAt() + "," + r.readAt());
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, lines);
    }

    /** Sorted latency_ms (the job's own: input record to the result's emission) of streams named prefix*. */
    double[] latencies(String prefix) {
        return matching(r -> r.stream().startsWith(prefix)).stream().mapToDouble(Seen::latencyMs).sorted().toArray();
    }

    @Override
    public void close() throws InterruptedException {
        consumer.wakeup();
        poller.join(10_000);
    }
}
