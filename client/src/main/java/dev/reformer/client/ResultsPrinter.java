package dev.reformer.client;

import dev.reformer.protocol.DeadLetterMessage;
import dev.reformer.protocol.JsonCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Prints the job's results and dead letters as they are committed ({@code ./reformer consume}): read_committed, so a
 * result appears when the job's checkpoint that wrote it completes; one line each, or the JSON itself.
 */
public final class ResultsPrinter {
    private ResultsPrinter() {}

    /**
     * What to print.
     *
     * @param stream      only this stream's records, or null for all
     * @param max         stop after this many (0: no limit)
     * @param idleSeconds stop when nothing came this long (0: wait for ever)
     */
    public record Options(String resultsTopic, String deadLetterTopic, boolean fromBeginning, boolean json, String stream, long max,
                          double idleSeconds) {}

    /** Prints until --max, --idle-seconds or Ctrl-C; the exit code: 1 when the topics have no partitions within 30 s. */
    public static int run(Properties kafka, Options o) {
        String resultsTopic = o.resultsTopic(), deadLetterTopic = o.deadLetterTopic(), stream = o.stream();
        String bootstrapServers = kafka.getProperty("bootstrap.servers");
        boolean fromBeginning = o.fromBeginning(), json = o.json();
        long max = o.max();
        double idleSeconds = o.idleSeconds();
        Properties p = new Properties();
        p.putAll(kafka);
        p.put("isolation.level", "read_committed");
        p.put("group.id", "reformer-consume-" + System.nanoTime());   // its own group: every consume sees everything
        p.put("auto.offset.reset", fromBeginning ? "earliest" : "latest");
        p.put("enable.auto.commit", "false");
        long printed = 0, lastSeen = System.nanoTime();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(resultsTopic, deadLetterTopic));
            // from "now" means from when the partitions are assigned: wait for that before saying so
            List<ConsumerRecord<byte[], byte[]>> first = new java.util.ArrayList<>();
            long assignDeadline = System.nanoTime() + 30_000_000_000L;
            while (consumer.assignment().isEmpty() && System.nanoTime() < assignDeadline) consumer.poll(Duration.ofMillis(100)).forEach(first::add);
            if (consumer.assignment().isEmpty()) {
                System.err.println("error: no partitions of " + resultsTopic + " or " + deadLetterTopic + " at " + bootstrapServers
                        + " within 30 s; check --bootstrap-servers and that the job (or the demo) created the topics");
                return 1;
            }
            System.err.println("reading " + resultsTopic + " and " + deadLetterTopic + " at " + bootstrapServers + (fromBeginning ? " from the beginning" : "")
                    + " (Ctrl-C stops)");
            while (max == 0 || printed < max) {
                List<ConsumerRecord<byte[], byte[]>> records = new java.util.ArrayList<>(first);
                first.clear();
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                boolean shown = false;
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
                    if (stream != null && !stream.equals(key)) continue;
                    shown = true;
                    String value = new String(r.value(), StandardCharsets.UTF_8);
                    if (json) {
                        System.out.println(value);
                    } else if (r.topic().equals(deadLetterTopic)) {
                        System.out.println(deadLetterLine(key, value));
                    } else {
                        System.out.println(resultLine(value));
                    }
                    if (max > 0 && ++printed >= max) break;
                }
                System.out.flush();
                if (shown) lastSeen = System.nanoTime();   // --idle-seconds counts what is shown (--stream)
                else if (idleSeconds > 0 && System.nanoTime() - lastSeen > idleSeconds * 1e9) break;
            }
        }
        return 0;
    }

    private static String resultLine(String value) {
        try {
            return ResultsBoard.describe(JsonCodec.readResult(value));
        } catch (java.io.UncheckedIOException notJson) {
            return "(not JSON) " + value;
        }
    }

    private static String deadLetterLine(String key, String value) {
        try {
            DeadLetterMessage d = JsonCodec.readDeadLetter(value);
            return String.format("%-10s dead letter: %s (%s, %s offset %d): %s", key, d.reason().code(), d.stage().code(),
                    d.topic() == null ? "" : d.topic(), d.offset() == null ? 0 : d.offset(), d.detail());
        } catch (java.io.UncheckedIOException notJson) {
            return key + " dead letter (not JSON): " + value;
        }
    }
}
