package dev.reformer.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reformer.cli.Main;
import dev.reformer.client.LocalKafka;
import dev.reformer.model.train.Example;
import dev.reformer.protocol.KafkaHeaders;
import dev.reformer.protocol.ResultMessage;
import dev.reformer.protocol.TextMessageHeaders;
import dev.reformer.task.TaskModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A TaskManager dies mid-stream and nothing is lost or doubled: a Kafka broker process, a Flink JobManager and two
 * TaskManagers (one slot each, the job at parallelism 2 across both), each its own JVM from the project's jars; the job
 * goes over REST; 10,000 messages stream in; after 4,000 one TaskManager is killed with kill -9 and a replacement
 * started. A read_committed reader must see every message's result exactly once, each the model's answer. Every process
 * is stopped at the end, also when the test fails (FlinkCluster and LocalKafka close them).
 */
class FailoverTest {
    private static final Path SPAM_MODEL = Path.of("..", "models", "spam").toAbsolutePath().normalize();
    private static final Path JOB_JAR = Path.of("..", "pipeline", "target", "reformer-pipeline-0.1.0-SNAPSHOT.jar").toAbsolutePath().normalize();
    private static final int MESSAGES = 10_000, KILL_AFTER = 4_000, PER_SECOND = 400;

    @TempDir
    Path work;

    private static String text(int i) {
        return i % 2 == 0 ? "Hi Sam, the meeting moved to Thursday at " + (i % 12 + 1) + " pm; the notes are attached. Message " + i
                : "WINNER!!! You have been selected for a FREE prize #" + i + ". Click http://win.example now to claim $" + (i % 90 + 10) + "00 cash!!!";
    }

    @Test
    void killingATaskManagerMidStreamLosesAndDoublesNothing() throws Exception {
        assertTrue(Files.isRegularFile(JOB_JAR), "the pipeline jar is built before this module's tests: " + JOB_JAR);
        try (LocalKafka kafka = LocalKafka.start(LocalKafka.Placement.OWN_PROCESS)) {
            Properties client = new Properties();
            client.put("bootstrap.servers", kafka.bootstrapServers());
            dev.reformer.client.Topics.create(kafka.bootstrapServers(), java.util.Map.of("text-in", 2, "results", 2, "dead-letters", 1,
                    "models-control", 1));
            try (FlinkCluster flink = new FlinkCluster(work, 1)) {
                flink.addTaskManager();
                Process doomed = flink.addTaskManager();
                assertEquals(0, Main.run("run", "--cluster", "127.0.0.1:" + flink.restPort, "--job-jar", JOB_JAR.toString(),
                        "--text-model", SPAM_MODEL.toString(), "--bootstrap-servers", kafka.bootstrapServers(),
                        "--parallelism", "2", "--checkpoint-interval-ms", "1000"));
                String jobId = flink.get("/jobs").path("jobs").get(0).path("id").asText();
                awaitAllTasksRunning(flink, jobId);

                try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client, new ByteArraySerializer(), new ByteArraySerializer())) {
                    long start = System.nanoTime();
                    for (int i = 0; i < MESSAGES; i++) {
                        if (i == KILL_AFTER) {
                            producer.flush();
                            flink.killHard(doomed);
                            flink.addTaskManager();   // the replacement, while messages keep coming
                        }
                        long due = start + (long) (i * 1e9 / PER_SECOND);
                        long wait = due - System.nanoTime();
                        if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>("text-in", ("inbox-" + i % 16).getBytes(StandardCharsets.UTF_8),
                                text(i).getBytes(StandardCharsets.UTF_8));
                        KafkaHeaders.write(new TextMessageHeaders((long) i), r.headers());
                        producer.send(r);
                    }
                }

                List<ResultMessage> all = CommittedResults.read(client, MESSAGES, Duration.ofSeconds(300), flink.checkpoints(jobId));
                if (all.size() < MESSAGES) {
                    Path logs = flink.keepLogs(Path.of("target", "flink-logs", "FailoverTest"));
                    fail(all.size() + " of " + MESSAGES + " results within 300 s; job " + flink.get("/jobs/" + jobId).path("state").asText()
                            + ", checkpoints " + flink.get("/jobs/" + jobId + "/checkpoints").path("counts") + ", exceptions "
                            + flink.get("/jobs/" + jobId + "/exceptions").path("exceptionHistory").path("entries").size()
                            + "; the cluster's logs: " + logs.toAbsolutePath());
                }
                TreeMap<Long, Integer> timesSeen = new TreeMap<>();
                for (ResultMessage r : all) timesSeen.merge(r.seq(), 1, Integer::sum);
                List<Long> doubled = timesSeen.entrySet().stream().filter(e -> e.getValue() > 1).map(java.util.Map.Entry::getKey).limit(20).toList();
                assertTrue(doubled.isEmpty(), "results seen twice, e.g. seq " + doubled);
                List<Long> missing = new ArrayList<>();
                for (long i = 0; i < MESSAGES && missing.size() < 20; i++) if (!timesSeen.containsKey(i)) missing.add(i);
                assertTrue(missing.isEmpty(), "messages without a result (" + (MESSAGES - timesSeen.size()) + "), e.g. seq " + missing);
                assertEquals(MESSAGES, all.size());

                // the restart happened: the job's exception history holds the lost TaskManager
                JsonNode exceptions = flink.get("/jobs/" + jobId + "/exceptions").path("exceptionHistory").path("entries");
                assertTrue(exceptions.size() > 0, "the job restarted after the kill: " + exceptions);
                assertEquals("RUNNING", flink.get("/jobs/" + jobId).path("state").asText());

                // and the answers are the model's: a sample from before and after the kill, against the model run offline
                TaskModel model = TaskModel.load(SPAM_MODEL, DataType.FLOAT);
                for (ResultMessage r : all) {
                    int seq = r.seq().intValue();
                    if (seq % 500 != 0) continue;
                    assertEquals("inbox-" + seq % 16, r.stream());
                    double[] offline = model.classify(List.of(Example.tokens(model.encodeText(text(seq)), 0)))[0];
                    int best = 0;
                    for (int k = 1; k < offline.length; k++) if (offline[k] > offline[best]) best = k;
                    assertEquals(model.labels().get(best), r.label(), "message " + seq);
                }
                flink.cancelAll();
            }
        }
    }

    private static void awaitAllTasksRunning(FlinkCluster flink, String jobId) throws Exception {
        Await.until("every task of job " + jobId + " to run", Duration.ofSeconds(240), () -> {
            JsonNode vertices = flink.get("/jobs/" + jobId).path("vertices");
            boolean running = vertices.size() > 0;
            for (JsonNode v : vertices) running &= v.path("status").asText().equals("RUNNING");
            return running ? Boolean.TRUE : vertices;
        });
    }
}
