package dev.reformer.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/** The Kafka connection options every command that talks to Kafka takes (a picocli mixin). */
final class KafkaOptions {
    @Option(names = "--bootstrap-servers", defaultValue = "127.0.0.1:9092", description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE", description = "A Kafka client property (SASL, SSL, ...); repeatable.")
    Map<String, String> kafkaProperty = new LinkedHashMap<>();

    /** The client properties: bootstrap.servers and every --kafka-property. */
    Properties properties() {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers);
        p.putAll(kafkaProperty);
        return p;
    }
}
