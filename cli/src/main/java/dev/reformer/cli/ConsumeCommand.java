package dev.reformer.cli;

import dev.reformer.client.ResultsBoard;
import dev.reformer.protocol.DeadLetterMessage;
import dev.reformer.protocol.JsonCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "consume", mixinStandardHelpOptions = true,
        description = {"Prints the job's results and dead letters as they are committed (read_committed: a result appears",
                "when the job's checkpoint that wrote it completes), one line each, or the JSON itself with --json. Runs",
                "until Ctrl-C, --max results or --idle-seconds without any."},
        footer = {"", "Examples:",
                "  ./reformer consume --bootstrap-servers 127.0.0.1:9092",
                "  ./reformer consume --from-beginning --json --max 100 > results.jsonl",
                "  ./reformer consume --stream mic-1 --idle-seconds 30"})
final class ConsumeCommand implements Callable<Integer> {

    @Option(names = "--bootstrap-servers", defaultValue = "127.0.0.1:9092", description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE", description = "A Kafka consumer property (SASL, SSL, ...); repeatable.")
    Map<String, String> kafkaProperty = new java.util.LinkedHashMap<>();

    @Option(names = "--results-topic", defaultValue = "results", description = "Results topic (default: ${DEFAULT-VALUE}).")
    String resultsTopic;

    @Option(names = "--dead-letter-topic", defaultValue = "dead-letters", description = "Dead-letter topic (default: ${DEFAULT-VALUE}).")
    String deadLetterTopic;

    @Option(names = "--from-beginning", description = "Read what the topics already hold (default: only what comes from now on).")
    boolean fromBeginning;

    @Option(names = "--json", description = "Print each result's JSON as it is (one object per line) instead of a summary line.")
    boolean json;

    @Option(names = "--stream", paramLabel = "ID", description = "Only this stream's results and dead letters.")
    String stream;

    @Option(names = "--max", paramLabel = "N", defaultValue = "0", description = "Stop after N results and dead letters (default: 0, no limit).")
    long max;

    @Option(names = "--idle-seconds", paramLabel = "S", defaultValue = "0",
            description = "Stop when nothing came for S seconds (default: 0, wait for ever).")
    double idleSeconds;

    @Override
    public Integer call() {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers);
        p.putAll(kafkaProperty);
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
