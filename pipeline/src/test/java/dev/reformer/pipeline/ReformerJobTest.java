package dev.reformer.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reformer.audio.PcmDecoder;
import dev.reformer.audio.StreamingFeatureExtractor;
import dev.reformer.cli.Main;
import dev.reformer.cli.TrainCommandTest;
import dev.reformer.model.train.Example;
import dev.reformer.task.TaskModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The whole job on a real Kafka broker (in-JVM KRaft) and a real Flink MiniCluster: audio and text streams in,
 * results and dead letters out of exactly-once sinks, compared with the same model run offline.
 */
class ReformerJobTest {
    static final int WINDOW = 50, HOP = 25;

    @TempDir
    static Path dir;
    static KafkaClusterTestKit kafka;
    static Path audioModel, textModel;

    @BeforeAll
    static void trainModelsAndStartKafka() throws Exception {
        Path data = dir.resolve("data");
        audioModel = dir.resolve("beeps");
        textModel = dir.resolve("fruit");
        assertEquals(0, Main.run("train", "--train", TrainCommandTest.audioManifest(data, "train.jsonl", 1, 48, false).toString(),
                "--validation", TrainCommandTest.audioManifest(data, "val.jsonl", 2, 16, false).toString(), "--out", audioModel.toString(),
                "--epochs", "3", "--max-length", "128", "--learning-rate", "1e-2", "--warmup-steps", "5"));
        assertEquals(0, Main.run("train", "--train", TrainCommandTest.manifest(data, "t.jsonl", 1, 48).toString(),
                "--validation", TrainCommandTest.manifest(data, "v.jsonl", 2, 16).toString(), "--out", textModel.toString(),
                "--epochs", "2", "--max-length", "128"));
        kafka = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1)
                .setNumControllerNodes(1).build())
                .setConfigProp("transaction.state.log.replication.factor", "1").setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("offsets.topic.replication.factor", "1").setConfigProp("group.initial.rebalance.delay.ms", "0")
                .build();
        kafka.format();
        kafka.startup();
        kafka.waitForReadyBrokers();
    }

    @AfterAll
    static void stopKafka() throws Exception {
        if (kafka != null) kafka.close();
    }

    static Properties clientProperties() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        return p;
    }

    record Chunk(String topic, String key, byte[] value, Map<String, String> headers) {}

    static Chunk audio(String stream, long seq, byte[] value, String... headers) {
        Map<String, String> h = new HashMap<>();
        if (seq >= 0) h.put("seq", String.valueOf(seq));
        for (int i = 0; i + 1 < headers.length; i += 2) h.put(headers[i], headers[i + 1]);
        return new Chunk("audio-in", stream, value, h);
    }

    static List<Chunk> chunked(String stream, byte[] wav, Random random) {
        List<Chunk> chunks = new ArrayList<>();
        long seq = 0;
        for (int at = 0; at < wav.length; ) {
            int n = Math.min(wav.length - at, 1 + random.nextInt(random.nextBoolean() ? 40 : 4000));   // cut anywhere
            byte[] part = java.util.Arrays.copyOfRange(wav, at, at + n);
            at += n;
            chunks.add(at == wav.length ? audio(stream, seq++, part, "eos", "true") : audio(stream, seq++, part));
        }
        return chunks;
    }

    @Test
    void audioAndTextStreamsGiveOfflineResultsAndEveryBadRecordIsADeadLetter() throws Exception {
        try (Admin admin = Admin.create(clientProperties())) {
            admin.createTopics(List.of(new NewTopic("audio-in", 2, (short) 1), new NewTopic("text-in", 2, (short) 1),
                    new NewTopic("results", 1, (short) 1), new NewTopic("dead-letters", 1, (short) 1))).all().get();
        }
        // the input: three WAV streams (16 and 22.05 kHz) cut irregularly and interleaved, text messages, bad records
        Random random = new Random(5);
        Map<String, byte[]> wavs = new HashMap<>();
        List<List<Chunk>> perStream = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String stream = "mic-" + i;
            int rate = i == 1 ? 22050 : 16000;
            Path wav = dir.resolve(stream + ".wav");
            TrainCommandTest.wav(wav, TrainCommandTest.beeps("abc".substring(i, i + 1).repeat(2 + i) + "cab", rate, random), rate);
            wavs.put(stream, Files.readAllBytes(wav));
            perStream.add(chunked(stream, wavs.get(stream), random));
        }
        List<Chunk> input = new ArrayList<>();
        while (perStream.stream().anyMatch(l -> !l.isEmpty())) {
            List<Chunk> next = perStream.get(random.nextInt(3));
            if (!next.isEmpty()) input.add(next.remove(0));
        }
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String text = (i % 2 == 0 ? "the apple of my eye is an apple" : "the sky is grey and it is raining") + " #" + i;
            texts.add(text);
            input.add(new Chunk("text-in", "chat-" + (i % 4), text.getBytes(StandardCharsets.UTF_8), Map.of()));
        }
        Map<String, String> badReasons = new java.util.LinkedHashMap<>();   // stream -> the reason its bad record must carry
        byte[] okAudio = java.util.Arrays.copyOf(wavs.get("mic-0"), 3000);
        input.add(new Chunk("audio-in", null, okAudio, Map.of("seq", "0")));                                    // missing key
        input.add(audio("bad-empty", 0, new byte[0]));                                                          badReasons.put("bad-empty", "empty_value");
        input.add(audio("bad-noseq", -1, okAudio));                                                             badReasons.put("bad-noseq", "missing_seq");
        input.add(audio("bad-seq", 0, okAudio, "seq", "seven"));                                                badReasons.put("bad-seq", "bad_seq");
        input.add(audio("bad-encoding", 0, okAudio, "encoding", "opus"));                                       badReasons.put("bad-encoding", "unsupported_encoding");
        input.add(audio("bad-big", 0, new byte[600_000]));                                                      badReasons.put("bad-big", "oversized");
        input.add(new Chunk("text-in", "bad-utf8", new byte[]{'h', 'i', (byte) 0xC3, (byte) 0x28}, Map.of())); badReasons.put("bad-utf8", "invalid_utf8");
        byte[] garbled = okAudio.clone();
        garbled[0] = 'X';
        input.add(audio("bad-header", 0, garbled));                                                             badReasons.put("bad-header", "garbled_header");
        input.add(audio("bad-eos", 0, new byte[0], "eos", "true"));                                             badReasons.put("bad-eos", "eos_before_audio");
        byte[] nan = ByteBuffer.allocate(8000).order(ByteOrder.LITTLE_ENDIAN).putFloat(4000, Float.NaN).array();
        input.add(audio("bad-nan", 0, nan, "encoding", "f32le", "sample-rate", "16000"));                        badReasons.put("bad-nan", "non_finite_sample");
        input.add(audio("bad-rate", 0, new byte[6400], "encoding", "s16le", "sample-rate", "16000"));
        input.add(audio("bad-rate", 1, new byte[6400], "encoding", "s16le", "sample-rate", "8000"));             badReasons.put("bad-rate", "format_changed");
        input.add(audio("bad-dup", 0, new byte[6400], "encoding", "s16le", "sample-rate", "16000"));
        input.add(audio("bad-dup", 0, new byte[6400], "encoding", "s16le", "sample-rate", "16000"));             badReasons.put("bad-dup", "duplicate_seq");
        input.add(audio("bad-gap", 0, new byte[6400], "encoding", "s16le", "sample-rate", "16000"));
        input.add(audio("bad-gap", 500, new byte[6400], "encoding", "s16le", "sample-rate", "16000"));           badReasons.put("bad-gap", "seq_gap");

        JobSettings settings = JobSettings.defaults(kafka.bootstrapServers(), audioModel.toString(), textModel.toString())
                .withWindow(WINDOW, HOP).withBatching(8, 30).withCheckpoints(1000, null)
                .withLimits(600_000, 64, 500_000);   // no stream goes idle during the test
        Configuration configuration = new Configuration();
        configuration.setString("restart-strategy.type", "none");   // any failure would fail the job: no silent restarts
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(configuration);
        env.setParallelism(2);
        ReformerJob.build(env, settings);
        JobClient job = env.executeAsync("reformer test job");
        try {
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(clientProperties(), new ByteArraySerializer(), new ByteArraySerializer())) {
                for (Chunk c : input) {
                    ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(c.topic(), c.key() == null ? null : c.key().getBytes(StandardCharsets.UTF_8), c.value());
                    c.headers().forEach((k, v) -> r.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
                    producer.send(r);
                }
            }

            // the same model, offline, on the same windows of each whole file
            TaskModel model = TaskModel.load(audioModel, DataType.FLOAT);
            Map<String, List<double[]>> expected = new HashMap<>();
            int expectedAudio = 0;
            for (var e : wavs.entrySet()) {
                float[][] frames = StreamingFeatureExtractor.extractAll(model.input().features(), PcmDecoder.wav(), e.getValue()).frames();
                List<double[]> scores = new ArrayList<>();
                int k = 0;
                for (; k * HOP + WINDOW <= frames.length; k++) scores.add(offline(model, frames, k * HOP, k * HOP + WINDOW));
                boolean tail = k * HOP < frames.length && !(k > 0 && (k - 1) * HOP + WINDOW >= frames.length)
                        && (frames.length - k * HOP) / model.input().frameStack() > 0;
                if (tail) scores.add(offline(model, frames, k * HOP, frames.length));
                expected.put(e.getKey(), scores);
                expectedAudio += scores.size() + (tail ? 0 : 1);   // without a tail window the stream's end is its own result
            }

            List<JsonNode> results = consume("results", expectedAudio + texts.size(), Duration.ofSeconds(120));
            List<JsonNode> deadLetters = consume("dead-letters", badReasons.size() + 1, Duration.ofSeconds(60));

            Map<String, List<JsonNode>> audioResults = new HashMap<>();
            int textResults = 0;
            Map<String, JsonNode> ends = new HashMap<>();
            for (JsonNode r : results) {
                if (r.get("kind").asText().equals("end")) ends.put(r.get("stream").asText(), r);
                else if (r.get("input").asText().equals("audio")) audioResults.computeIfAbsent(r.get("stream").asText(), s -> new ArrayList<>()).add(r);
                else textResults++;
            }
            assertEquals(texts.size(), textResults, "every text message classified once");
            for (var e : expected.entrySet()) {
                List<JsonNode> got = audioResults.get(e.getKey());
                got.sort(java.util.Comparator.comparingLong(r -> r.get("window").get("index").asLong()));
                assertEquals(e.getValue().size(), got.size(), e.getKey() + ": one result per window, exactly once");
                for (int k = 0; k < got.size(); k++) {
                    double[] want = e.getValue().get(k);
                    for (int label = 0; label < want.length; label++) {
                        double have = got.get(k).get("scores").get(model.labels().get(label)).asDouble();
                        assertEquals(want[label], have, 1e-4, e.getKey() + " window " + k + " label " + model.labels().get(label));
                    }
                }
                boolean lastIsFinal = got.get(got.size() - 1).get("final").asBoolean();
                assertTrue(lastIsFinal ^ ends.containsKey(e.getKey()), e.getKey() + ": the end is reported once, on the last window or on its own");
            }
            Map<String, String> reasons = new HashMap<>();
            for (JsonNode d : deadLetters) reasons.put(d.path("stream").asText("(no key)"), d.get("reason").asText());
            for (var e : badReasons.entrySet()) assertEquals(e.getValue(), reasons.get(e.getKey()), e.getKey() + ": " + deadLetters);
            assertEquals("missing_key", reasons.get("(no key)"));
            assertEquals(JobStatus.RUNNING, job.getJobStatus().get(), "the job never failed (restarts are off, so none happened)");
        } finally {
            job.cancel().get();
        }
    }

    static double[] offline(TaskModel model, float[][] frames, int from, int to) {
        return model.classify(List.of(Example.features(model.audioPositions(frames, from, to), 0)))[0];
    }

    /** Reads the topic with read_committed until n records came or the time is up. */
    static List<JsonNode> consume(String topic, int n, Duration timeout) throws Exception {
        Properties p = clientProperties();
        p.put("group.id", "test-" + topic + "-" + System.nanoTime());
        p.put("auto.offset.reset", "earliest");
        p.put("isolation.level", "read_committed");
        List<JsonNode> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long end = System.nanoTime() + timeout.toNanos();
            while (out.size() < n && System.nanoTime() < end) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) out.add(json.readTree(r.value()));
            }
            // anything beyond n would be a duplicate: wait a little longer for one
            long settle = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < settle) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) out.add(json.readTree(r.value()));
            }
        }
        assertEquals(n, out.size(), topic + ": " + out);
        return out;
    }
}
