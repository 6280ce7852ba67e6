package dev.reformer.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The broker as its own process: it takes a transactional write and a read_committed read, and close() leaves nothing. */
@Tag("slow")   // starts Kafka broker processes: mvn verify (failsafe), not mvn test
class LocalKafkaTest {

    /** Starts a broker process and prints its pid, then waits to be killed (by the test below). */
    public static void main(String[] args) throws Exception {
        LocalKafka kafka = LocalKafka.start(LocalKafka.Placement.OWN_PROCESS);
        System.out.println("broker " + kafka.pid());
        Thread.currentThread().join();   // until killed
    }

    @Test
    void aBrokerStopsWhenTheProcessThatStartedItIsKilled() throws Exception {
        Process starter = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LocalKafkaTest.class.getName()).redirectErrorStream(true).start();
        ProcessHandle broker = null;
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(starter.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; broker == null && (line = lines.readLine()) != null; ) {
                if (line.startsWith("broker ")) broker = ProcessHandle.of(Long.parseLong(line.substring(7).trim())).orElseThrow();
            }
            assertTrue(broker != null && broker.isAlive(), "the starter printed a live broker's pid");
            starter.destroyForcibly().waitFor();   // kill -9: no shutdown hook runs
            try {
                broker.onExit().get(120, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException stillRunning) {
                // asserted just below
            }
            assertFalse(broker.isAlive(), "the broker did not stop itself within 120 s of its parent's death");
        } finally {
            starter.destroyForcibly();
            if (broker != null) broker.destroyForcibly();
        }
    }

    @Test
    void aBrokerProcessServesTransactionsAndStopsWithoutTrace() throws Exception {
        LocalKafka kafka = LocalKafka.start(LocalKafka.Placement.OWN_PROCESS);
        ProcessHandle broker;
        String[] hostPort = kafka.bootstrapServers().split(":");
        try (kafka) {
            broker = ProcessHandle.of(kafka.pid()).orElseThrow();
            assertTrue(broker.isAlive());
            assertEquals("127.0.0.1", hostPort[0], "loopback only");
            Properties p = new Properties();
            p.put("bootstrap.servers", kafka.bootstrapServers());
            p.put("transactional.id", "local-kafka-test");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("t", "stream-1", "hello"));
                producer.commitTransaction();
            }
            Properties c = new Properties();
            c.put("bootstrap.servers", kafka.bootstrapServers());
            c.put("group.id", "local-kafka-test");
            c.put("auto.offset.reset", "earliest");
            c.put("isolation.level", "read_committed");
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of("t"));
                Optional<ConsumerRecord<String, String>> read = Optional.empty();
                long end = System.nanoTime() + 120_000_000_000L;   // until the record came: generous for a busy machine
                while (read.isEmpty() && System.nanoTime() < end) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) read = Optional.of(r);
                }
                assertEquals("hello", read.orElseThrow().value());
                assertEquals("stream-1", read.get().key());
            }
        }
        assertFalse(broker.isAlive(), "the broker process is stopped");
        assertThrows(ConnectException.class, () -> new Socket(hostPort[0], Integer.parseInt(hostPort[1])).close(), "its port is closed");
    }
}
