package dev.reformer.tests;

import dev.reformer.client.FlinkRest;
import dev.reformer.pipeline.JobSettings;
import dev.reformer.pipeline.ModelControl;
import dev.reformer.pipeline.ReformerJob;
import dev.reformer.pipeline.Window;

import static dev.reformer.protocol.KafkaHeaders.ENCODING;
import static dev.reformer.protocol.KafkaHeaders.EOS;
import static dev.reformer.protocol.KafkaHeaders.SAMPLE_RATE;
import static dev.reformer.protocol.KafkaHeaders.SEQ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reformer.audio.PcmDecoder;
import dev.reformer.audio.StreamingFeatureExtractor;
import dev.reformer.cli.Main;
import dev.reformer.cli.TrainCommandTest;
import dev.reformer.client.LocalKafka;
import dev.reformer.model.train.Example;
import dev.reformer.protocol.Codes.Ending;
import dev.reformer.protocol.Codes.Input;
import dev.reformer.protocol.Codes.Kind;
import dev.reformer.protocol.ControlMessage;
import dev.reformer.protocol.DeadLetterMessage;
import dev.reformer.protocol.DeadLetterReason;
import dev.reformer.protocol.JsonCodec;
import dev.reformer.protocol.ResultMessage;
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
import java.util.function.Function;
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
    static LocalKafka kafka;
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
        kafka = LocalKafka.start(LocalKafka.Placement.OWN_PROCESS);   // on 127.0.0.1 (the in-JVM test kit binds every interface)
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

    static Chunk audio(JobSettings s, String stream, long seq, byte[] value, String... headers) {
        Map<String, String> h = new HashMap<>();
        if (seq >= 0) h.put(SEQ, String.valueOf(seq));
        for (int i = 0; i + 1 < headers.length; i += 2) h.put(headers[i], headers[i + 1]);
        return new Chunk(s.audioTopic(), stream, value, h);
    }

    /** A WAV cut at random places (inside the header and inside samples too), seq 0, 1, 2, ..., eos on the last. */
    static List<Chunk> chunked(JobSettings s, String stream, byte[] wav, Random random) {
        List<Chunk> chunks = new ArrayList<>();
        long seq = 0;
        for (int at = 0; at < wav.length; ) {
            int n = Math.min(wav.length - at, 1 + random.nextInt(random.nextBoolean() ? 40 : 4000));
            byte[] part = java.util.Arrays.copyOfRange(wav, at, at + n);
            at += n;
            chunks.add(at == wav.length ? audio(s, stream, seq++, part, EOS, "true") : audio(s, stream, seq++, part));
        }
        return chunks;
    }

    /** Several streams' chunks interleaved at random, each stream's own order kept. */
    static List<Chunk> interleaved(List<List<Chunk>> streams, Random random) {
        List<List<Chunk>> left = new ArrayList<>();
        streams.forEach(l -> left.add(new ArrayList<>(l)));
        List<Chunk> out = new ArrayList<>();
        while (left.stream().anyMatch(l -> !l.isEmpty())) {
            List<Chunk> next = left.get(random.nextInt(left.size()));
            if (!next.isEmpty()) out.add(next.remove(0));
        }
        return out;
    }

    static void produce(List<Chunk> input) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(clientProperties(), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (Chunk c : input) {
                ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(c.topic(), c.key() == null ? null : c.key().getBytes(StandardCharsets.UTF_8), c.value());
                c.headers().forEach((k, v) -> r.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
                producer.send(r);
            }
        }
    }

    static void createTopics(JobSettings s) throws Exception {
        dev.reformer.client.Topics.forJob(s, 2, 1);
    }

    /** Windows of 0.5 s every 0.25 s, batches of 8 or 30 ms, checkpoints every second, no stream idle during a test. */
    static JobSettings settings(String topicPrefix) {
        return JobSettings.defaults(kafka.bootstrapServers(), audioModel.toString(), textModel.toString())
                .withWindow(WINDOW, HOP).withBatching(8, 30).withCheckpoints(1000, null)
                .withLimits(600_000, 64, 500_000).withTopicPrefix(topicPrefix).withParallelism(2);
    }

    static JobClient start(JobSettings settings, boolean restarts,
                           java.util.function.UnaryOperator<org.apache.flink.streaming.api.datastream.DataStream<Window>> tap) throws Exception {
        return start(settings, restarts, tap, Map.of());
    }

    /** flink: more of Flink's configuration. */
    static JobClient start(JobSettings settings, boolean restarts,
                           java.util.function.UnaryOperator<org.apache.flink.streaming.api.datastream.DataStream<Window>> tap,
                           Map<String, String> flink) throws Exception {
        Configuration configuration = new Configuration();
        flink.forEach(configuration::setString);
        if (restarts) {
            configuration.setString("restart-strategy.type", "fixed-delay");
            configuration.setString("restart-strategy.fixed-delay.attempts", "3");
            configuration.setString("restart-strategy.fixed-delay.delay", "1 s");
        } else {
            configuration.setString("restart-strategy.type", "none");   // any failure would fail the job: no silent restarts
        }
        int restPort = freePort();   // the MiniCluster's REST API, for the job's checkpoint counts
        configuration.setString("rest.bind-address", "127.0.0.1");
        configuration.setString("rest.address", "127.0.0.1");
        configuration.setString("rest.bind-port", String.valueOf(restPort));
        configuration.setString("rest.port", String.valueOf(restPort));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(configuration);
        ReformerJob.build(env, settings, tap);
        JobClient job = env.executeAsync("reformer test job");
        REST.put(job.getJobID(), new FlinkRest("127.0.0.1:" + restPort));
        return job;
    }

    private static final Map<org.apache.flink.api.common.JobID, FlinkRest> REST = new java.util.concurrent.ConcurrentHashMap<>();

    /** The job's completed checkpoints (results are committed with them). */
    static CommittedResults.Checkpoints checkpoints(JobClient job) {
        return () -> REST.get(job.getJobID()).completedCheckpoints(job.getJobID().toHexString());
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static byte[] beepWav(String name, String symbols, int rate, Random random) throws Exception {
        Path wav = dir.resolve(name + ".wav");
        TrainCommandTest.wav(wav, TrainCommandTest.beeps(symbols, rate, random), rate);
        return Files.readAllBytes(wav);
    }

    /**
     * Offline: the model's scores for each window the job makes of a whole WAV (complete windows, then the tail);
     * a null at the end stands for the stream's end reported on its own (when no tail window was left).
     */
    static List<double[]> offlineWindows(TaskModel model, byte[] wav) throws Exception {
        float[][] frames = StreamingFeatureExtractor.extractAll(model.input().features(), PcmDecoder.wav(), wav).frames();
        List<double[]> scores = new ArrayList<>();
        int k = 0;
        for (; k * HOP + WINDOW <= frames.length; k++) scores.add(offline(model, frames, k * HOP, k * HOP + WINDOW));
        boolean tail = k * HOP < frames.length && !(k > 0 && (k - 1) * HOP + WINDOW >= frames.length)
                && (frames.length - k * HOP) / model.input().stack() > 0;
        scores.add(tail ? offline(model, frames, k * HOP, frames.length) : null);
        return scores;
    }

    /** Asserts a stream's results, in window order, against offline scores (1e-4) and returns the model versions they name. */
    static java.util.Set<String> assertOfflineEqual(String stream, List<ResultMessage> results, List<double[]> expected, TaskModel model) {
        List<ResultMessage> got = new ArrayList<>(results.stream().filter(r -> stream.equals(r.stream())).toList());
        got.sort(java.util.Comparator.comparingLong(r -> r.kind() == Kind.END ? Long.MAX_VALUE : r.window().index()));
        assertEquals(expected.size(), got.size(), stream + ": one result per window and the end, exactly once: " + got);
        java.util.Set<String> versions = new java.util.HashSet<>();
        for (int k = 0; k < got.size(); k++) {
            double[] want = expected.get(k);
            if (want == null) {
                assertEquals(Kind.END, got.get(k).kind(), stream + ": the end is reported on its own");
                continue;
            }
            for (int label = 0; label < want.length; label++) {
                double have = got.get(k).scores().get(model.labels().get(label));
                assertEquals(want[label], have, 1e-4, stream + " window " + k + " label " + model.labels().get(label));
            }
            assertEquals(k == got.size() - 1, got.get(k).marksFinal(), stream + " window " + k + ": final only at the end");
            versions.add(got.get(k).model().version());
        }
        return versions;
    }

    @Test
    void audioAndTextStreamsGiveOfflineResultsAndEveryBadRecordIsADeadLetter() throws Exception {
        JobSettings s = settings("");
        createTopics(s);
        // the input: three WAV streams (16 and 22.05 kHz) cut irregularly and interleaved, text messages, bad records
        Random random = new Random(5);
        Map<String, byte[]> wavs = new java.util.TreeMap<>();
        List<List<Chunk>> perStream = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String stream = "mic-" + i;
            wavs.put(stream, beepWav(stream, "abc".substring(i, i + 1).repeat(2 + i) + "cab", i == 1 ? 22050 : 16000, random));
            perStream.add(chunked(s, stream, wavs.get(stream), random));
        }
        List<Chunk> input = interleaved(perStream, random);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String text = (i % 2 == 0 ? "the apple of my eye is an apple" : "the sky is grey and it is raining") + " #" + i;
            texts.add(text);
            input.add(new Chunk(s.textTopic(), "chat-" + (i % 4), text.getBytes(StandardCharsets.UTF_8), Map.of()));
        }
        Map<String, String> badReasons = new java.util.LinkedHashMap<>();   // stream -> the reason its bad record must carry
        byte[] okAudio = java.util.Arrays.copyOf(wavs.get("mic-0"), 3000);
        input.add(new Chunk(s.audioTopic(), null, okAudio, Map.of(SEQ, "0")));                                  // missing key
        input.add(audio(s, "bad-empty", 0, new byte[0]));                                                          badReasons.put("bad-empty", "empty_value");
        input.add(audio(s, "bad-noseq", -1, okAudio));                                                             badReasons.put("bad-noseq", "missing_seq");
        input.add(audio(s, "bad-seq", 0, okAudio, SEQ, "seven"));                                                badReasons.put("bad-seq", "bad_seq");
        input.add(audio(s, "bad-encoding", 0, okAudio, ENCODING, "opus"));                                       badReasons.put("bad-encoding", "unsupported_encoding");
        input.add(audio(s, "bad-big", 0, new byte[600_000]));                                                      badReasons.put("bad-big", "oversized");
        input.add(new Chunk(s.textTopic(), "bad-utf8", new byte[]{'h', 'i', (byte) 0xC3, (byte) 0x28}, Map.of())); badReasons.put("bad-utf8", "invalid_utf8");
        byte[] garbled = okAudio.clone();
        garbled[0] = 'X';
        input.add(audio(s, "bad-header", 0, garbled));                                                             badReasons.put("bad-header", "garbled_header");
        input.add(audio(s, "bad-eos", 0, new byte[0], EOS, "true"));                                             badReasons.put("bad-eos", "eos_before_audio");
        byte[] nan = ByteBuffer.allocate(8000).order(ByteOrder.LITTLE_ENDIAN).putFloat(4000, Float.NaN).array();
        input.add(audio(s, "bad-nan", 0, nan, ENCODING, "f32le", SAMPLE_RATE, "16000"));                        badReasons.put("bad-nan", "non_finite_sample");
        input.add(audio(s, "bad-rate", 0, new byte[6400], ENCODING, "s16le", SAMPLE_RATE, "16000"));
        input.add(audio(s, "bad-rate", 1, new byte[6400], ENCODING, "s16le", SAMPLE_RATE, "8000"));             badReasons.put("bad-rate", "format_changed");
        input.add(audio(s, "bad-dup", 0, new byte[6400], ENCODING, "s16le", SAMPLE_RATE, "16000"));
        input.add(audio(s, "bad-dup", 0, new byte[6400], ENCODING, "s16le", SAMPLE_RATE, "16000"));             badReasons.put("bad-dup", "duplicate_seq");
        input.add(audio(s, "bad-gap", 0, new byte[6400], ENCODING, "s16le", SAMPLE_RATE, "16000"));
        input.add(audio(s, "bad-gap", 500, new byte[6400], ENCODING, "s16le", SAMPLE_RATE, "16000"));           badReasons.put("bad-gap", "seq_gap");

        JobClient job = start(s, false, w -> w);
        try {
            produce(input);
            TaskModel model = TaskModel.load(audioModel, DataType.FLOAT);
            Map<String, List<double[]>> expected = new java.util.TreeMap<>();
            int expectedAudio = 0;
            for (var e : wavs.entrySet()) {
                expected.put(e.getKey(), offlineWindows(model, e.getValue()));
                expectedAudio += expected.get(e.getKey()).size();
            }
            List<ResultMessage> results = consume(s.resultsTopic(), JsonCodec::readResult, expectedAudio + texts.size(), Duration.ofSeconds(120), checkpoints(job));
            List<DeadLetterMessage> deadLetters = consume(s.deadLetterTopic(), JsonCodec::readDeadLetter, badReasons.size() + 1, Duration.ofSeconds(60), checkpoints(job));

            for (var e : expected.entrySet()) assertOfflineEqual(e.getKey(), results, e.getValue(), model);
            List<ResultMessage> textResults = results.stream().filter(r -> r.input() == Input.TEXT).toList();
            assertEquals(texts.size(), textResults.size(), "every text message classified once");
            for (ResultMessage r : textResults) {
                assertTrue(r.stream().startsWith("chat-") && r.label() != null, r.toString());
                // the latency's parts: the wait for the micro-batch and its forward pass, within the whole
                long latency = r.latencyMs(), queued = r.queuedMs(), inference = r.inferenceMs();
                assertTrue(queued >= 0 && inference >= 0 && queued + inference <= latency + 1, r.toString());
            }
            Map<String, String> reasons = new HashMap<>();
            for (DeadLetterMessage d : deadLetters) reasons.put(d.stream() == null ? "(no key)" : d.stream(), d.reason().code());
            for (var e : badReasons.entrySet()) assertEquals(e.getValue(), reasons.get(e.getKey()), e.getKey() + ": " + deadLetters);
            assertEquals("missing_key", reasons.get("(no key)"));
            for (DeadLetterMessage d : deadLetters) assertTrue(d.valueBase64() != null && d.detail().length() > 20, d.toString());
            assertEquals(JobStatus.RUNNING, job.getJobStatus().get(), "the job never failed (restarts are off, so none happened)");
        } finally {
            job.cancel().get();
        }
    }

    /** Everything read from one topic so far, read_committed, polled on demand. */
    static final class Reader<T> implements AutoCloseable {
        final KafkaConsumer<byte[], byte[]> consumer;
        final List<T> seen = new ArrayList<>();
        private final Function<byte[], T> read;
        private final Function<T, String> streamOf;

        static Reader<ResultMessage> results(String topic) {
            return new Reader<>(topic, JsonCodec::readResult, ResultMessage::stream);
        }

        static Reader<DeadLetterMessage> deadLetters(String topic) {
            return new Reader<>(topic, JsonCodec::readDeadLetter, DeadLetterMessage::stream);
        }

        private Reader(String topic, Function<byte[], T> read, Function<T, String> streamOf) {
            this.read = read;
            this.streamOf = streamOf;
            Properties p = clientProperties();
            p.put("group.id", "test-" + topic + "-" + System.nanoTime());
            p.put("auto.offset.reset", "earliest");
            p.put("isolation.level", "read_committed");
            consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            consumer.subscribe(List.of(topic));
        }

        /** Polls until count records match, or fails after the timeout; returns the matching ones. */
        List<T> await(java.util.function.Predicate<T> which, int count, Duration timeout) throws Exception {
            long end = System.nanoTime() + timeout.toNanos();
            while (seen.stream().filter(which).count() < count && System.nanoTime() < end) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(300))) seen.add(read.apply(r.value()));
            }
            List<T> matching = seen.stream().filter(which).toList();
            assertTrue(matching.size() >= count, "waited for " + count + ", got " + matching.size() + ": " + matching);
            return matching;
        }

        List<T> ofStream(String stream, int count) throws Exception {
            return await(r -> stream.equals(streamOf.apply(r)), count, Duration.ofSeconds(90));
        }

        @Override
        public void close() {
            consumer.close();
        }
    }

    static Chunk control(JobSettings s, String name, Path path, String sha256) {
        String message = JsonCodec.write(new ControlMessage(Input.AUDIO, name, path.toString(), sha256));
        return new Chunk(s.controlTopic(), "audio", message.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    @Test
    void modelsAreSwappedMidStreamAndBadModelsAreRefused() throws Exception {
        JobSettings s = settings("swap-");
        createTopics(s);
        TaskModel first = TaskModel.load(audioModel, DataType.FLOAT);
        // a second version: the same model with the classifier's bias moved, so its scores differ
        TaskModel second = TaskModel.load(audioModel, DataType.FLOAT);
        second.trainable().params().get("classifier.bias").addi(org.nd4j.linalg.factory.Nd4j.createFromArray(1.5f, -0.5f, 0f));
        Path secondDir = dir.resolve("beeps-v2");
        second.save(secondDir);
        second = TaskModel.load(secondDir, DataType.FLOAT);
        Path truncated = dir.resolve("beeps-truncated");
        Files.createDirectories(truncated);
        Files.copy(secondDir.resolve("config.json"), truncated.resolve("config.json"));
        byte[] weights = Files.readAllBytes(secondDir.resolve("model.safetensors"));
        Files.write(truncated.resolve("model.safetensors"), java.util.Arrays.copyOf(weights, weights.length / 2));
        String v1 = ModelControl.sha256(audioModel.resolve("model.safetensors")), v2 = ModelControl.sha256(secondDir.resolve("model.safetensors"));

        Random random = new Random(9);
        JobClient job = start(s, false, w -> w);
        try (Reader<ResultMessage> results = Reader.results(s.resultsTopic()); Reader<DeadLetterMessage> deadLetters = Reader.deadLetters(s.deadLetterTopic())) {
            byte[] before = beepWav("before", "aab", 16000, random);
            produce(chunked(s, "before", before, random));
            List<double[]> expectedBefore = offlineWindows(first, before);
            assertEquals(java.util.Set.of(v1.substring(0, 12)),
                    assertOfflineEqual("before", results.ofStream("before", expectedBefore.size()), expectedBefore, first));

            produce(List.of(control(s, "wrong-sum", secondDir, "0".repeat(64)),
                    control(s, "missing", dir.resolve("no-such-model"), v2),
                    control(s, "truncated", truncated, ModelControl.sha256(truncated.resolve("model.safetensors")))));
            List<DeadLetterMessage> refused = deadLetters.await(d -> true, 3, Duration.ofSeconds(60));
            assertEquals(List.of(DeadLetterReason.MODEL_CHECKSUM, DeadLetterReason.MODEL_MISSING, DeadLetterReason.MODEL_UNLOADABLE),
                    refused.stream().map(DeadLetterMessage::reason).toList());
            byte[] probe = beepWav("probe", "c", 16000, random);
            produce(chunked(s, "probe-old", probe, random));
            for (ResultMessage r : results.ofStream("probe-old", offlineWindows(first, probe).size())) {
                if (r.model() != null) assertEquals(v1.substring(0, 12), r.model().version(), "the old model keeps serving");
            }

            produce(List.of(control(s, "beeps-v2", secondDir, v2)));
            boolean swapped = false;
            for (int attempt = 0; attempt < 30 && !swapped; attempt++) {   // the swap reaches every instance: probe until it has
                String stream = "probe-" + attempt;
                produce(chunked(s, stream, probe, random));
                swapped = results.ofStream(stream, offlineWindows(first, probe).size()).stream()
                        .allMatch(r -> r.model() == null || r.model().version().equals(v2.substring(0, 12)));
            }
            assertTrue(swapped, "a probe was served by the new model");
            byte[] after = beepWav("after", "cba", 16000, random);
            produce(chunked(s, "after", after, random));
            List<double[]> expectedAfter = offlineWindows(second, after);
            assertEquals(java.util.Set.of(v2.substring(0, 12)),
                    assertOfflineEqual("after", results.ofStream("after", expectedAfter.size()), expectedAfter, second));
            assertEquals(JobStatus.RUNNING, job.getJobStatus().get());
        } finally {
            job.cancel().get();
        }
    }

    @Test
    void aFailureMidStreamLosesNothingAndRepeatsNothing() throws Exception {
        JobSettings s = settings("fail-");
        createTopics(s);
        TaskModel model = TaskModel.load(audioModel, DataType.FLOAT);
        Random random = new Random(13);
        Map<String, List<double[]>> expected = new java.util.TreeMap<>();
        List<List<Chunk>> streams = new ArrayList<>();
        int total = 0;
        for (int i = 0; i < 10; i++) {
            String stream = "call-" + i;
            byte[] wav = beepWav(stream, "abcabc".substring(i % 3, i % 3 + 4), 16000, random);
            expected.put(stream, offlineWindows(model, wav));
            total += expected.get(stream).size();
            streams.add(chunked(s, stream, wav, random));
        }
        Path marker = dir.resolve("failed-once");
        JobClient job = start(s, true, windows -> windows.map(new FailOnce(marker, 25)).name("fails once").uid("fails-once"));
        try (Reader<ResultMessage> results = Reader.results(s.resultsTopic())) {
            produce(interleaved(streams, random));
            List<ResultMessage> all = results.await(r -> true, total, Duration.ofSeconds(180));
            // a duplicate from the recovery would be committed by the time two more checkpoints completed
            List<ResultMessage> settled = CommittedResults.read(clientProperties(), s.resultsTopic(), total, Duration.ofSeconds(120), checkpoints(job));
            assertEquals(total, settled.size(), "every result exactly once, none repeated by the recovery");
            assertTrue(Files.exists(marker), "the job did fail once");
            for (var e : expected.entrySet()) assertOfflineEqual(e.getKey(), all, e.getValue(), model);
        } finally {
            job.cancel().get();
        }
    }

    @Test
    void audioIsTranscribedWithPartialAndFinalResults() throws Exception {
        Path data = dir.resolve("ctc-data"), transcriber = dir.resolve("beeps-ctc");
        assertEquals(0, Main.run("train", "--train", TrainCommandTest.audioManifest(data, "train.jsonl", 3, 96, true).toString(),
                "--validation", TrainCommandTest.audioManifest(data, "val.jsonl", 4, 16, true).toString(), "--out", transcriber.toString(),
                "--epochs", "6", "--patience", "2", "--max-length", "128", "--learning-rate", "1e-2", "--warmup-steps", "5"));
        // margins of (W - H) / 2 = 250 ms, longer than a beep: a beep met at a seam lies whole in both windows
        JobSettings s = JobSettings.defaults(kafka.bootstrapServers(), transcriber.toString(), null)
                .withWindow(100, 50).withBatching(8, 30).withCheckpoints(1000, null)
                .withLimits(600_000, 64, 500_000).withTopicPrefix("ctc-").withParallelism(2);
        createTopics(s);
        Random random = new Random(21);
        Map<String, String> truth = new java.util.TreeMap<>();
        List<List<Chunk>> streams = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            StringBuilder beeps = new StringBuilder();
            for (int k = 0; k < 12; k++) beeps.append("abc".charAt(random.nextInt(3)));   // about 3 s: windows meet 5 times
            String stream = "dictation-" + i;
            truth.put(stream, beeps.toString());
            streams.add(chunked(s, stream, beepWav(stream, beeps.toString(), i % 2 == 0 ? 16000 : 22050, random), random));
        }
        // one stream says two things with 800 ms of quiet between them: its first transcript is final where speech ends
        String first = "abcab", second = "cbac", spoken = "two-utterances";
        float[] one = TrainCommandTest.beeps(first, 16000, random), two = TrainCommandTest.beeps(second, 16000, random);
        float[] both = java.util.Arrays.copyOf(one, one.length + 12800 + two.length);
        for (int n = one.length; n < one.length + 12800; n++) both[n] = (float) (0.003 * random.nextGaussian());
        System.arraycopy(two, 0, both, one.length + 12800, two.length);
        TrainCommandTest.wav(dir.resolve(spoken + ".wav"), both, 16000);
        streams.add(chunked(s, spoken, Files.readAllBytes(dir.resolve(spoken + ".wav")), random));
        JobClient job = start(s, false, w -> w);
        try (Reader<ResultMessage> results = Reader.results(s.resultsTopic())) {
            produce(interleaved(streams, random));
            List<ResultMessage> finals = results.await(r -> r.kind() == Kind.FINAL, truth.size() + 2, Duration.ofSeconds(120));
            List<ResultMessage> utterances = finals.stream().filter(f -> spoken.equals(f.stream()))
                    .sorted(java.util.Comparator.comparingLong(f -> f.window().index())).toList();
            assertEquals(List.of(Ending.SPEECH_END, Ending.EOS), utterances.stream().map(ResultMessage::ending).toList(),
                    "a final transcript at the end of each utterance: " + utterances);
            double pause = one.length / 16000.0;
            assertTrue(utterances.get(0).window().endS() < pause + 0.3,
                    "the first utterance is final once its speech ended, before the second began: " + utterances.get(0));
            Map<String, String> heard = new java.util.TreeMap<>();
            for (ResultMessage f : finals) if (!spoken.equals(f.stream())) heard.put(f.stream(), f.text());
            truth.put(spoken + "#1", first);
            truth.put(spoken + "#2", second);
            heard.put(spoken + "#1", utterances.get(0).text());
            heard.put(spoken + "#2", utterances.get(1).text());
            // the seams themselves are tested exactly in TranscriptStitcherTest; here the whole path, model included
            int errors = 0, symbols = 0;
            for (String stream : truth.keySet()) {
                assertTrue(heard.containsKey(stream), stream + " has a final transcript");
                errors += dev.reformer.model.train.SequenceTranscriber.editDistance(heard.get(stream).chars().toArray(), truth.get(stream).chars().toArray());
                symbols += truth.get(stream).length();
            }
            assertTrue(errors <= symbols / 20, "character error rate " + errors + "/" + symbols + ": heard " + heard + ", said " + truth);
            List<ResultMessage> afterPause = results.seen.stream().filter(r -> spoken.equals(r.stream())
                    && r.kind() == Kind.PARTIAL && r.window().index() > utterances.get(0).window().index()).toList();
            assertTrue(!afterPause.isEmpty() && afterPause.stream().allMatch(r -> r.text().length() <= second.length() + 1),
                    "the second utterance's partials start afresh: " + afterPause);
            for (String stream : truth.keySet()) {
                if (stream.startsWith(spoken)) continue;
                List<ResultMessage> partials = results.seen.stream().filter(r -> stream.equals(r.stream()) && r.kind() == Kind.PARTIAL).toList();
                assertTrue(partials.size() >= 3, stream + ": a partial result per window before the final one");
                for (int k = 1; k < partials.size(); k++) {
                    String before = partials.get(k - 1).text(), now = partials.get(k).text();
                    assertTrue(now.length() >= before.length() - 1, stream + ": partials grow toward the final: " + before + " then " + now);
                }
            }
            assertEquals(JobStatus.RUNNING, job.getJobStatus().get());
        } finally {
            job.cancel().get();
        }
        partialsAreReadableAtOnceBesideTheCommittedResults(transcriber, random);
    }

    /**
     * With --partials-topic, partial transcripts are also written at once, outside the checkpoints' transactions: before
     * any checkpoint a read_committed reader reads partials there and nothing on the results topic; after one, the
     * results topic has the same partials, and the final, which the partials topic never has.
     */
    private static void partialsAreReadableAtOnceBesideTheCommittedResults(Path transcriber, Random random) throws Exception {
        JobSettings s = JobSettings.defaults(kafka.bootstrapServers(), transcriber.toString(), null)
                .withWindow(100, 50).withBatching(8, 30).withCheckpoints(60_000, null).withPartialsTopic("partials")
                .withLimits(600_000, 64, 500_000).withTopicPrefix("ctc-partials-").withParallelism(2);
        createTopics(s);
        // the first checkpoint a whole interval after the start, not at a random time within it
        JobClient job = start(s, false, w -> w, Map.of("execution.checkpointing.min-pause", "60 s"));
        try (Reader<ResultMessage> partials = Reader.results(s.partialsTopic()); Reader<ResultMessage> results = Reader.results(s.resultsTopic())) {
            produce(chunked(s, "early", beepWav("early", "abcabcabcabc", 16000, random), random));
            List<ResultMessage> early = partials.await(r -> "early".equals(r.stream()), 4, Duration.ofSeconds(120));
            assertTrue(early.stream().allMatch(r -> r.kind() == Kind.PARTIAL), "the partials topic has partials only: " + early);
            results.consumer.poll(Duration.ofSeconds(1)).forEach(r -> results.seen.add(JsonCodec.readResult(r.value())));
            assertEquals(0, checkpoints(job).completed(), "the partials came before the first checkpoint, a minute after the start");
            assertEquals(List.of(), results.seen, "nothing is committed before the first checkpoint");
            results.await(r -> r.kind() == Kind.FINAL, 1, Duration.ofSeconds(120));
            partials.await(r -> true, (int) results.seen.stream().filter(r -> r.kind() == Kind.PARTIAL).count(), Duration.ofSeconds(30));
            java.util.Set<String> committedPartials = new java.util.HashSet<>();
            for (ResultMessage r : results.seen) if (r.kind() == Kind.PARTIAL) committedPartials.add(r.window().index() + " " + r.text());
            java.util.Set<String> quick = new java.util.HashSet<>();
            for (ResultMessage r : partials.seen) quick.add(r.window().index() + " " + r.text());
            assertEquals(committedPartials, quick, "the same partial transcripts on both topics");
        } finally {
            job.cancel().get();
        }
    }

    static double[] offline(TaskModel model, float[][] frames, int from, int to) {
        return model.classify(List.of(Example.features(model.audioPositions(frames, from, to), 0)))[0];
    }

    /** Reads the topic with read_committed until n records came or the time is up, then what the job commits until two more checkpoints. */
    static <T> List<T> consume(String topic, Function<byte[], T> read, int n, Duration timeout, CommittedResults.Checkpoints checkpoints) throws Exception {
        List<T> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = CommittedResults.consumer(clientProperties(), "test-" + topic)) {
            consumer.subscribe(List.of(topic));
            long end = System.nanoTime() + timeout.toNanos();
            while (out.size() < n && System.nanoTime() < end) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) out.add(read.apply(r.value()));
            }
            if (out.size() >= n) CommittedResults.readAfterTwoMoreCheckpoints(consumer, checkpoints, r -> out.add(read.apply(r.value())));
        }
        assertEquals(n, out.size(), topic + ": " + out);
        return out;
    }
}
