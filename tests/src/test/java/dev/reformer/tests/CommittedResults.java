package dev.reformer.tests;

import dev.reformer.protocol.JsonCodec;
import dev.reformer.protocol.ResultMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** The results topic as a user of the job reads it: read_committed, from the beginning, in a group of its own. */
final class CommittedResults {
    private CommittedResults() {}

    /** Waits until at least n committed results came (what says what they show), and fails, saying so, if they do not within the timeout. */
    static List<JsonNode> awaitAtLeast(Properties client, int n, Duration timeout, String what) throws Exception {
        List<JsonNode> read = read(client, n, timeout, Duration.ZERO);
        if (read.size() < n) {
            throw new AssertionError("timed out after " + Await.scaled(timeout).toSeconds() + " s waiting for " + n + " committed results ("
                    + what + "); got " + read.size());
        }
        return read;
    }

    /** Every committed result until n came or the time is up, then settle longer (a result delivered twice would show then). */
    static List<ResultMessage> read(Properties client, int n, Duration timeout, Duration settle) throws Exception {
        Properties p = new Properties();
        p.putAll(client);
        p.put("group.id", "results-reader-" + System.nanoTime());
        p.put("auto.offset.reset", "earliest");
        p.put("isolation.level", "read_committed");
        List<ResultMessage> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of("results"));
            long end = System.nanoTime() + Await.scaled(timeout).toNanos();
            while (out.size() < n && System.nanoTime() < end) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) out.add(JsonCodec.readResult(r.value()));
            }
            long settled = System.nanoTime() + settle.toNanos();
            while (System.nanoTime() < settled) for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) out.add(JsonCodec.readResult(r.value()));
        }
        return out;
    }
}
