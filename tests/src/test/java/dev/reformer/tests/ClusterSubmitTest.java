package dev.reformer.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * `./reformer run --cluster` against a real Flink session cluster (a JobManager and a TaskManager, each its own
 * JVM): the job goes over REST with its jar, serves the shipped spam model, and every message gets exactly one
 * result, equal to the model run offline on the same text.
 */
class ClusterSubmitTest {
    private static final Path SPAM_MODEL = Path.of("..", "models", "spam").toAbsolutePath().normalize();
    private static final Path JOB_JAR = Path.of("..", "pipeline", "target", "reformer-pipeline-0.1.0-SNAPSHOT.jar").toAbsolutePath().normalize();

    @TempDir
    Path work;

    @Test
    void aJobSubmittedOverRestClassifiesEveryMessageOnceAsOffline() throws Exception {
        assertTrue(Files.isRegularFile(JOB_JAR), "the pipeline jar is built before this module's tests: " + JOB_JAR);
        classifiesEveryMessageOnce(JOB_JAR, System.getProperty("java.class.path"));
    }

    /**
     * The deployment of docs/DEPLOYMENT.md: the shaded reformer-job.jar on a cluster whose classpath is Flink's own jars
     * plus target/flink-lib (ND4J, parent-first), as docker-compose.yml and deploy/Dockerfile lay it out.
     */
    @Test
    void theShadedJobJarRunsOnAClusterWithNd4jInItsLib() throws Exception {
        Path shaded = JOB_JAR.resolveSibling("reformer-job.jar"), flinkLib = JOB_JAR.resolveSibling("flink-lib");
        assertTrue(Files.isRegularFile(shaded) && Files.isDirectory(flinkLib), "the pipeline module's package phase writes " + shaded + " and " + flinkLib);
        classifiesEveryMessageOnce(shaded, FlinkCluster.distributionClasspath(flinkLib));
    }

    private void classifiesEveryMessageOnce(Path jobJar, String clusterClasspath) throws Exception {
        try (LocalKafka kafka = LocalKafka.start(LocalKafka.Placement.OWN_PROCESS)) {   // as in production: its own JVM
            Properties client = new Properties();
            client.put("bootstrap.servers", kafka.bootstrapServers());
            dev.reformer.client.Topics.create(kafka.bootstrapServers(), java.util.Map.of("text-in", 2, "results", 2, "dead-letters", 1,
                    "models-control", 1));
            try (FlinkCluster flink = new FlinkCluster(work, 2, clusterClasspath)) {
                flink.addTaskManager();
                assertEquals(0, Main.run("run", "--cluster", "127.0.0.1:" + flink.restPort, "--job-jar", jobJar.toString(),
                        "--text-model", SPAM_MODEL.toString(), "--bootstrap-servers", kafka.bootstrapServers(),
                        "--parallelism", "2", "--checkpoint-interval-ms", "1000", "--batch-deadline-ms", "20"));
                JsonNode jobs = flink.get("/jobs").path("jobs");
                assertEquals(1, jobs.size(), "one job on the cluster: " + jobs);

                List<String> texts = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    texts.add(i % 2 == 0 ? "Hi Sam, the meeting moved to Thursday at " + (i % 12 + 1) + " pm; notes attached. " + i
                            : "WINNER!!! You have been selected for a FREE prize #" + i + ". Click http://win.example now to claim $1000 cash!!!");
                }
                try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client, new ByteArraySerializer(), new ByteArraySerializer())) {
                    for (int i = 0; i < texts.size(); i++) {
                        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>("text-in", ("inbox-" + i % 8).getBytes(StandardCharsets.UTF_8),
                                texts.get(i).getBytes(StandardCharsets.UTF_8));
                        KafkaHeaders.write(new TextMessageHeaders((long) i), r.headers());
                        producer.send(r);
                    }
                }
                Map<Long, ResultMessage> bySeq = new HashMap<>();
                List<ResultMessage> all = CommittedResults.read(client, texts.size(), Duration.ofSeconds(120), flink.checkpoints(jobs.get(0).path("id").asText()));
                for (ResultMessage r : all) bySeq.put(r.seq(), r);
                assertEquals(texts.size(), all.size(), "one result per message, none twice: " + all);
                assertEquals(texts.size(), bySeq.size(), "every message has its result");

                TaskModel model = TaskModel.load(SPAM_MODEL, DataType.FLOAT);
                for (int i = 0; i < texts.size(); i++) {
                    ResultMessage r = bySeq.get((long) i);
                    assertEquals("inbox-" + i % 8, r.stream());
                    assertEquals("spam", r.model().name());
                    double[] offline = model.classify(List.of(Example.tokens(model.encodeText(texts.get(i)), 0)))[0];
                    for (int k = 0; k < offline.length; k++) {
                        double got = r.scores().get(model.labels().get(k));
                        assertEquals(offline[k], got, 1e-4, "message " + i + ", " + model.labels().get(k) + ": cluster against offline");
                    }
                }
                assertEquals("RUNNING", flink.get("/jobs").path("jobs").get(0).path("status").asText(), "the job is still running");
                flink.cancelAll();
            }
        }
    }
}
