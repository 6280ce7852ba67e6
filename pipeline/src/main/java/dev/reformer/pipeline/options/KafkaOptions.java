package dev.reformer.pipeline.options;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/** The Kafka connection options every command that talks to Kafka takes (a picocli mixin). */
public final class KafkaOptions {
    @Option(names = "--bootstrap-servers", defaultValue = "127.0.0.1:9092", description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).")
    public String bootstrapServers;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE", description = "A Kafka client property (SASL, SSL, ...); repeatable.")
    public Map<String, String> kafkaProperty = new LinkedHashMap<>();

    /** The client properties: bootstrap.servers and every --kafka-property. */
    public Properties properties() {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers);
        p.putAll(kafkaProperty);
        return p;
    }
}
