package dev.reformer.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reformer.audio.PcmDecoder;
import dev.reformer.cli.Main;
import dev.reformer.client.LocalKafka;
import dev.reformer.protocol.AudioChunkHeaders;
import dev.reformer.protocol.Codes;
import dev.reformer.protocol.KafkaHeaders;
import dev.reformer.protocol.ResultMessage;
import dev.reformer.protocol.TextMessageHeaders;
import dev.reformer.task.TaskModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * An operator stops the job with a savepoint while audio streams are mid-way ({@code ./reformer stop --savepoint}),
 * more input arrives while it is down, and {@code ./reformer run --from-savepoint} continues it; then the job is
 * cancelled and continued again with {@code --from-checkpoint} from its retained checkpoints. Every text message has
 * its result exactly once, and every audio stream, cut twice across the restarts, gives exactly the windows the model
 * gives its whole audio offline.
 */
class StopResumeTest {
    static final Path COMMANDS = BadInputTest.COMMANDS, SPAM = BadInputTest.SPAM;
    static final int STREAMS = 4, MESSAGES = 600, CHUNKS = 30;

    @TempDir
    Path work;

    @Test
    void aJobStoppedWithASavepointOrCancelledContinuesExactlyOnce() throws Exception {
        // audio: 4 streams of 30 chunks of 0.1 s; text: 600 messages; each sent in three parts, one per run of the job
        Map<String, byte[]> audio = new TreeMap<>();
        for (int s = 0; s < STREAMS; s++) audio.put("call-" + s, BadInputTest.pcm(CHUNKS * 0.1, s));
        try (LocalKafka kafka = LocalKafka.start(LocalKafka.Placement.OWN_PROCESS)) {
            Properties client = new Properties();
            client.put("bootstrap.servers", kafka.bootstrapServers());
            dev.reformer.client.Topics.create(kafka.bootstrapServers(), java.util.Map.of("audio-in", 2, "text-in", 2, "results", 1,
                    "dead-letters", 1, "models-control", 1));
            Path checkpoints = work.resolve("checkpoints"), savepoints = work.resolve("savepoints");
            String[] job = {"--audio-model", COMMANDS.toString(), "--text-model", SPAM.toString(), "--bootstrap-servers", kafka.bootstrapServers(),
                    "--checkpoint-interval-ms", "1000", "--checkpoint-dir", checkpoints.toString(), "--idle-timeout-ms", "600000"};

            try (LocalRun first = LocalRun.start(job)) {
                send(client, audio, 0, 10, 0, 200);
                CommittedResults.awaitAtLeast(client, 100, Duration.ofSeconds(180), "results are flowing: stop mid-stream");
                assertEquals(0, Main.run("stop", "--savepoint", savepoints.toString(), "--rest", first.restAddress));
                assertEquals(0, first.awaitExit(180), "run returns once its job stopped");
            }
            send(client, audio, 10, 20, 200, 400);   // while the job is down
            Path savepoint;
            try (Stream<Path> found = Files.list(savepoints)) {
                savepoint = found.filter(p -> p.getFileName().toString().startsWith("savepoint-")).findFirst().orElseThrow();
            }
            try (LocalRun second = LocalRun.start(concat(job, "--from-savepoint", savepoint.toUri().toString()))) {
                // everything sent so far answered: 400 messages and each stream's two complete windows of its first 2 s
                CommittedResults.awaitAtLeast(client, 400 + 2 * STREAMS, Duration.ofSeconds(180), "the resumed job caught up");
            }   // cancelled: the retained checkpoints remain
            send(client, audio, 20, CHUNKS, 400, MESSAGES);
            try (LocalRun third = LocalRun.start(concat(job, "--from-checkpoint", checkpoints.toString()))) {
                TaskModel commands = TaskModel.load(COMMANDS, DataType.FLOAT);
                Map<String, List<double[]>> expected = new TreeMap<>();
                int audioResults = 0;
                for (var e : audio.entrySet()) {
                    expected.put(e.getKey(), BadInputTest.offline(commands, PcmDecoder.raw(PcmDecoder.Encoding.S16LE, 16000, 1), e.getValue()));
                    audioResults += expected.get(e.getKey()).size();
                }
                List<ResultMessage> all = CommittedResults.read(client, MESSAGES + audioResults, Duration.ofSeconds(240), () -> third.rest.completedCheckpoints(third.jobId));
                TreeMap<Long, Integer> timesSeen = new TreeMap<>();
                for (ResultMessage r : all) if (r.input() == Codes.Input.TEXT) timesSeen.merge(r.seq(), 1, Integer::sum);
                assertEquals(MESSAGES, timesSeen.size(), "every message has a result");
                assertTrue(timesSeen.values().stream().allMatch(n -> n == 1), "none twice: " + timesSeen);
                String version = dev.reformer.pipeline.ModelControl.sha256(COMMANDS.resolve("model.safetensors")).substring(0, 12);
                for (var e : expected.entrySet()) {
                    List<ResultMessage> ofStream = all.stream().filter(r -> e.getKey().equals(r.stream())).toList();
                    BadInputTest.assertExact(ofStream, e.getValue(), commands, version, e.getKey());
                }
                assertEquals(MESSAGES + audioResults, all.size(), "nothing else, nothing twice");
                assertEquals(0, third.rest.restarts(third.jobId));
            }
        }
    }

    static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Chunks [fromChunk, toChunk) of every audio stream (eos on the last) and messages [fromMessage, toMessage). */
    static void send(Properties client, Map<String, byte[]> audio, int fromChunk, int toChunk, int fromMessage, int toMessage) throws Exception {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int c = fromChunk; c < toChunk; c++) {
            for (var e : audio.entrySet()) {
                int size = e.getValue().length / CHUNKS;
                ProducerRecord<byte[], byte[]> r = new ProducerRecord<>("audio-in", e.getKey().getBytes(StandardCharsets.UTF_8),
                        Arrays.copyOfRange(e.getValue(), c * size, c == CHUNKS - 1 ? e.getValue().length : (c + 1) * size));
                KafkaHeaders.write(AudioChunkHeaders.raw(c, Codes.Encoding.S16LE, 16000, 1, c == CHUNKS - 1), r.headers());
                records.add(r);
            }
        }
        for (int i = fromMessage; i < toMessage; i++) {
            ProducerRecord<byte[], byte[]> r = new ProducerRecord<>("text-in", ("inbox-" + i % 8).getBytes(StandardCharsets.UTF_8),
                    ((i % 2 == 0 ? "Lunch on Thursday? Notes attached, message " : "WINNER!!! Claim your FREE prize #") + i).getBytes(StandardCharsets.UTF_8));
            KafkaHeaders.write(new TextMessageHeaders((long) i), r.headers());
            records.add(r);
        }
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (ProducerRecord<byte[], byte[]> r : records) producer.send(r);
        }
    }
}
