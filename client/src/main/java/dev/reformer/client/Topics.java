package dev.reformer.client;

import dev.reformer.pipeline.JobSettings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * Creates Kafka topics: the one place the demo, the bench and the tests make the job's topics. One replica each, as a
 * one-node broker ({@link LocalKafka}) allows.
 */
public final class Topics {
    private Topics() {}

    /** Creates each topic with its number of partitions and waits until the broker has made them all. */
    public static void create(String bootstrapServers, Map<String, Integer> partitionsByTopic) throws ExecutionException, InterruptedException {
        Properties client = new Properties();
        client.put("bootstrap.servers", bootstrapServers);
        List<NewTopic> topics = new ArrayList<>();
        partitionsByTopic.forEach((name, partitions) -> topics.add(new NewTopic(name, partitions, (short) 1)));
        try (Admin admin = Admin.create(client)) {
            admin.createTopics(topics).all().get();
        }
    }

    /** Creates the given topics with the same number of partitions each. */
    public static void create(String bootstrapServers, int partitions, String... names) throws ExecutionException, InterruptedException {
        Map<String, Integer> topics = new LinkedHashMap<>();
        for (String name : names) topics.put(name, partitions);
        create(bootstrapServers, topics);
    }

    /**
     * The topics of a job: its audio and text inputs with {@code inputPartitions} (what parallel readers can share), its
     * results (and partials, when it has them) with {@code resultPartitions}, dead letters and model control with one.
     */
    public static void forJob(JobSettings job, int inputPartitions, int resultPartitions) throws ExecutionException, InterruptedException {
        Map<String, Integer> topics = new LinkedHashMap<>();
        topics.put(job.audioTopic(), inputPartitions);
        topics.put(job.textTopic(), inputPartitions);
        topics.put(job.resultsTopic(), resultPartitions);
        if (job.partialsTopic() != null) topics.put(job.partialsTopic(), resultPartitions);
        topics.put(job.deadLetterTopic(), 1);
        topics.put(job.controlTopic(), 1);
        create(job.bootstrapServers(), topics);
    }
}
