package dev.reformer.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reformer.cli.Main;
import dev.reformer.cli.TrainCommandTest;
import dev.reformer.client.LocalKafka;
import dev.reformer.protocol.KafkaHeaders;
import dev.reformer.protocol.ResultMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A streaming transcriber's per-stream caches survive a TaskManager killed with kill -9: a Kafka broker process, a
 * Flink JobManager and two TaskManagers (one slot each, the job at parallelism 2), each its own JVM. The same audio
 * streams go through two jobs of the same cluster: one left alone, one whose TaskManager is killed mid-stream and
 * replaced. The second job's committed results must be the first one's, exactly once each: every hop read against a
 * cache restored from the last checkpoint reads as it did in the uninterrupted run.
 */
class StreamingFailoverTest {
    private static final Path JOB_JAR = Path.of("..", "pipeline", "target", "reformer-pipeline-0.1.0-SNAPSHOT.jar").toAbsolutePath().normalize();
    private static final int STREAMS = 6, CHUNK_BYTES = 8000, CHUNKS_PER_SECOND = 40;

    @TempDir
    Path work;

    /** What a result says, without its times: equal between the two runs. */
    private static String gist(ResultMessage r) {
        return r.stream() + " " + r.kind() + " " + (r.window() == null ? "-" : r.window().index() + ":" + r.window().startFrame() + "-"
                + r.window().endFrame()) + " " + r.last() + " " + r.ending() + " [" + r.text() + "]";
    }

    @Test
    void cachesRestoredAfterAKillReadAsTheUninterruptedRun() throws Exception {
        assertTrue(Files.isRegularFile(JOB_JAR), "the pipeline jar is built before this module's tests: " + JOB_JAR);
        Path model = dev.reformer.pipeline.StreamingModels.untrainedTranscriber(work.resolve("model"), 100); // 4 s: hops meet evicted keys
        Random random = new Random(5);
        List<ProducerRecord<byte[], byte[]>> calm = new ArrayList<>(), killed = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            StringBuilder beeps = new StringBuilder();
            for (int k = 0; k < 40; k++) beeps.append("abc".charAt(random.nextInt(3))); // about 10 s a stream
            Path wav = work.resolve("stream-" + i + ".wav");
            TrainCommandTest.wav(wav, TrainCommandTest.beeps(beeps.toString(), 16000, random), 16000);
            byte[] bytes = Files.readAllBytes(wav);
            for (int at = 0, seq = 0; at < bytes.length; at += CHUNK_BYTES, seq++) {
                byte[] part = Arrays.copyOfRange(bytes, at, Math.min(bytes.length, at + CHUNK_BYTES));
                boolean eos = at + CHUNK_BYTES >= bytes.length;
                for (var out : List.of(calm, killed)) {
                    ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(out == calm ? "calm-audio" : "killed-audio",
                            ("speaker-" + i).getBytes(StandardCharsets.UTF_8), part);
                    r.headers().add(KafkaHeaders.SEQ, String.valueOf(seq).getBytes(StandardCharsets.UTF_8));
                    if (eos) r.headers().add(KafkaHeaders.EOS, "true".getBytes(StandardCharsets.UTF_8));
                    out.add(r);
                }
            }
        }
        // streams interleaved, each in its own order
        calm.sort(java.util.Comparator.comparingInt(r -> Integer.parseInt(new String(r.headers().lastHeader(KafkaHeaders.SEQ).value(), StandardCharsets.UTF_8))));
        killed.sort(java.util.Comparator.comparingInt(r -> Integer.parseInt(new String(r.headers().lastHeader(KafkaHeaders.SEQ).value(), StandardCharsets.UTF_8))));

        try (LocalKafka kafka = LocalKafka.start(LocalKafka.Placement.OWN_PROCESS)) {
            Properties client = new Properties();
            client.put("bootstrap.servers", kafka.bootstrapServers());
            Map<String, Integer> topics = new TreeMap<>();
            for (String job : List.of("calm", "killed")) {
                topics.put(job + "-audio", 2);
                topics.put(job + "-results", 2);
                topics.put(job + "-dead-letters", 1);
                topics.put(job + "-control", 1);
            }
            dev.reformer.client.Topics.create(kafka.bootstrapServers(), topics);
            try (FlinkCluster flink = new FlinkCluster(work, 1)) {
                flink.addTaskManager();
                Process doomed = flink.addTaskManager();

                String calmJob = submit(flink, kafka, model, "calm", work.resolve("checkpoints"));
                send(client, calm, -1, null, null);
                List<ResultMessage> expected = awaitFinals(client, "calm-results", flink, calmJob);
                flink.cancelAll();

                String killedJob = submit(flink, kafka, model, "killed", work.resolve("checkpoints"));
                send(client, killed, killed.size() / 2, flink, doomed);
                List<ResultMessage> got = CommittedResults.read(client, "killed-results", expected.size(), Duration.ofSeconds(300),
                        flink.checkpoints(killedJob));
                assertTrue(flink.get("/jobs/" + killedJob + "/exceptions").path("exceptionHistory").path("entries").size() > 0,
                        "the job restarted after the kill");

                List<String> want = expected.stream().map(StreamingFailoverTest::gist).sorted().toList();
                List<String> have = got.stream().map(StreamingFailoverTest::gist).sorted().toList();
                assertEquals(want.size(), have.size(), "as many results as the uninterrupted run, none lost or doubled");
                assertEquals(want, have, "the restored caches read as the uninterrupted ones");
                assertTrue(want.stream().anyMatch(g -> !g.endsWith("[]")), "the model said something: " + want.subList(0, 5));
                flink.cancelAll();
            }
        }
    }

    /** Submits the job reading and writing name's topics, checkpointing under checkpoints; returns its id once every task of it runs. */
    private static String submit(FlinkCluster flink, LocalKafka kafka, Path model, String name, Path checkpoints) throws Exception {
        java.util.Set<String> earlier = new java.util.HashSet<>();
        flink.get("/jobs").path("jobs").forEach(j -> earlier.add(j.path("id").asText()));
        assertEquals(0, Main.run("run", "--cluster", "127.0.0.1:" + flink.restPort, "--job-jar", JOB_JAR.toString(),
                "--audio-model", model.toString(), "--bootstrap-servers", kafka.bootstrapServers(),
                "--audio-topic", name + "-audio", "--results-topic", name + "-results", "--dead-letter-topic", name + "-dead-letters",
                "--control-topic", name + "-control", "--group-id", name, "--transactional-id-prefix", name,
                "--parallelism", "2", "--checkpoint-interval-ms", "500", "--checkpoint-dir", checkpoints.toString()));
        String[] id = new String[1];
        Await.until("job " + name + " to run every task", Duration.ofSeconds(240), () -> {
            for (var job : flink.get("/jobs").path("jobs")) {
                String jobId = job.path("id").asText();
                if (earlier.contains(jobId)) continue;
                var vertices = flink.get("/jobs/" + jobId).path("vertices");
                boolean running = vertices.size() > 0;
                for (var v : vertices) running &= v.path("status").asText().equals("RUNNING");
                if (running) id[0] = jobId;
            }
            return id[0] != null;
        });
        return id[0];
    }

    /** Sends the records at a pace; at killAt, kills the TaskManager and starts a replacement while records keep coming. */
    private static void send(Properties client, List<ProducerRecord<byte[], byte[]>> records, int killAt, FlinkCluster flink, Process doomed)
            throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client, new ByteArraySerializer(), new ByteArraySerializer())) {
            long start = System.nanoTime();
            for (int i = 0; i < records.size(); i++) {
                if (i == killAt) {
                    producer.flush();
                    flink.killHard(doomed);
                    flink.addTaskManager();
                }
                long wait = start + (long) (i * 1e9 / CHUNKS_PER_SECOND) - System.nanoTime();
                if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                producer.send(records.get(i));
            }
        }
    }

    /** Every committed result of a run, once each stream's final transcript of its end (eos) is among them. */
    private static List<ResultMessage> awaitFinals(Properties client, String topic, FlinkCluster flink, String jobId) throws Exception {
        List<ResultMessage> all = new ArrayList<>();
        try (var consumer = CommittedResults.consumer(client, "calm-reader")) {
            consumer.subscribe(List.of(topic));
            Await.until(STREAMS + " streams' final transcripts", Duration.ofSeconds(300), () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> all.add(dev.reformer.protocol.JsonCodec.readResult(r.value())));
                return all.stream().filter(r -> Boolean.TRUE.equals(r.last()) && r.ending() != null
                        && r.ending().code().equals("eos")).count() >= STREAMS;
            });
            CommittedResults.readAfterTwoMoreCheckpoints(consumer, flink.checkpoints(jobId),
                    r -> all.add(dev.reformer.protocol.JsonCodec.readResult(r.value())));
        }
        return all;
    }
}
