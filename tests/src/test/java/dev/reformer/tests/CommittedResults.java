package dev.reformer.tests;

import dev.reformer.protocol.JsonCodec;
import dev.reformer.protocol.ResultMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The results topic as a user of the job reads it: read_committed, from the beginning, in a group of its own. Results
 * are committed with the job's checkpoints, so "nothing twice" is checked after the job has completed two more
 * checkpoints and the topic is read to its end: whatever the job produced before then is committed (or aborted) by
 * then, a duplicate included. No fixed wait.
 */
final class CommittedResults {
    private CommittedResults() {}

    /** The job's completed checkpoints so far (its REST API). */
    @FunctionalInterface
    interface Checkpoints {
        long completed() throws Exception;
    }

    /** Waits until at least n committed results came (what says what they show), and fails, saying so, if they do not within the timeout. */
    static List<ResultMessage> awaitAtLeast(Properties client, int n, Duration timeout, String what) throws Exception {
        List<ResultMessage> read = read(client, n, timeout, null);
        if (read.size() < n) {
            throw new AssertionError("timed out after " + Await.scaled(timeout).toSeconds() + " s waiting for " + n + " committed results ("
                    + what + "); got " + read.size());
        }
        return read;
    }

    /**
     * Every committed result until n came or the time is up; then, when checkpoints is given and n came, every result
     * committed until the job completed two more checkpoints (a result delivered twice would be among them).
     */
    static List<ResultMessage> read(Properties client, int n, Duration timeout, Checkpoints checkpoints) throws Exception {
        return read(client, "results", n, timeout, checkpoints);
    }

    /** As {@link #read(Properties, int, Duration, Checkpoints)}, from the given results topic. */
    static List<ResultMessage> read(Properties client, String topic, int n, Duration timeout, Checkpoints checkpoints) throws Exception {
        List<ResultMessage> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(client, "results-reader")) {
            consumer.subscribe(List.of(topic));
            long end = System.nanoTime() + Await.scaled(timeout).toNanos();
            while (out.size() < n && System.nanoTime() < end) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) out.add(JsonCodec.readResult(r.value()));
            }
            // short of n, the caller's checks say what is missing; at n, a duplicate would come with the next checkpoints
            if (checkpoints != null && out.size() >= n) readAfterTwoMoreCheckpoints(consumer, checkpoints, r -> out.add(JsonCodec.readResult(r.value())));
        }
        return out;
    }

    /** A read_committed consumer from the beginning, in a group of its own. */
    static KafkaConsumer<byte[], byte[]> consumer(Properties client, String group) {
        Properties p = new Properties();
        p.putAll(client);
        p.put("group.id", group + "-" + System.nanoTime());
        p.put("auto.offset.reset", "earliest");
        p.put("isolation.level", "read_committed");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Waits for two more completed checkpoints, then reads every partition the consumer holds to its end (the last stable offset). */
    static void readAfterTwoMoreCheckpoints(KafkaConsumer<byte[], byte[]> consumer, Checkpoints checkpoints,
                                            Consumer<ConsumerRecord<byte[], byte[]>> sink) throws Exception {
        long target = checkpoints.completed() + 2;
        Await.until("the job to complete checkpoint number " + target + " (two more), so that every result it produced is committed",
                Duration.ofSeconds(120), () -> checkpoints.completed() >= target);
        Map<TopicPartition, Long> ends = consumer.endOffsets(consumer.assignment());
        Await.until("the results read to the end offsets " + ends, Duration.ofSeconds(60), () -> {
            consumer.poll(Duration.ofMillis(200)).forEach(sink);
            return ends.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
        });
    }
}
