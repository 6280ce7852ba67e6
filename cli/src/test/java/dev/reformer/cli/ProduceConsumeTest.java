package dev.reformer.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reformer.datagen.Audio;
import dev.reformer.client.LocalKafka;
import dev.reformer.protocol.Codes;
import dev.reformer.protocol.DeadLetterMessage;
import dev.reformer.protocol.DeadLetterReason;
import dev.reformer.protocol.JsonCodec;
import dev.reformer.protocol.KafkaHeaders;
import dev.reformer.protocol.ResultMessage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** produce and consume against a real broker (a KRaft broker process on 127.0.0.1): the records follow docs/PROTOCOL.md, and consume prints what is committed. */
@Tag("slow")   // starts a Kafka broker: mvn verify (failsafe), not mvn test
class ProduceConsumeTest {
    static LocalKafka kafka;

    @TempDir
    Path dir;

    @BeforeAll
    static void broker() throws Exception {
        kafka = LocalKafka.start(LocalKafka.Placement.OWN_PROCESS);   // on 127.0.0.1 (the in-JVM test kit binds every interface)
        dev.reformer.client.Topics.create(kafka.bootstrapServers(), 1, "audio-in", "audio-48k", "text-in", "results", "dead-letters");
    }

    @AfterAll
    static void stop() throws Exception {
        kafka.close();
    }

    private static Properties props() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        return p;
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(String topic, int n) {
        Properties p = props();
        p.put("group.id", "test-" + System.nanoTime());
        p.put("auto.offset.reset", "earliest");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            long end = System.nanoTime() + 120_000_000_000L;   // until n came: generous for a busy machine
            while (out.size() < n && System.nanoTime() < end) c.poll(Duration.ofMillis(200)).forEach(out::add);
        }
        return out;
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Test
    void aWavFileIsOneStreamInNumberedChunksAndATextFileOneMessagePerLine() throws Exception {
        float[] tone = new float[16000 * 3 / 4];   // 0.75 s: 8 chunks of 100 ms, the last one short
        for (int i = 0; i < tone.length; i++) tone[i] = (float) (0.3 * Math.sin(2 * Math.PI * 440 * i / 16000.0));
        byte[] wav = Audio.wav(tone);
        Path wavFile = dir.resolve("kitchen-mic.wav"), textFile = dir.resolve("chat.txt");
        Files.write(wavFile, wav);
        Files.writeString(textFile, "hello there\n\nwie geht's?\n");
        assertEquals(0, Main.run("produce", "--bootstrap-servers", kafka.bootstrapServers(), "--speed", "4", wavFile.toString(), textFile.toString()));

        List<ConsumerRecord<byte[], byte[]>> audio = read("audio-in", 8);
        assertEquals((wav.length + 3199) / 3200, audio.size());
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (int i = 0; i < audio.size(); i++) {
            ConsumerRecord<byte[], byte[]> r = audio.get(i);
            assertEquals("kitchen-mic", new String(r.key(), StandardCharsets.UTF_8));
            assertEquals(Integer.toString(i), header(r, KafkaHeaders.SEQ));
            assertEquals(i == audio.size() - 1 ? "true" : null, header(r, KafkaHeaders.EOS));
            joined.write(r.value());
        }
        assertArrayEquals(wav, joined.toByteArray(), "the chunks are the file, in order");
        // paced: 8 chunks of 100 ms at 4x real time, 175 ms from first to last
        long span = audio.get(audio.size() - 1).timestamp() - audio.get(0).timestamp();
        assertTrue(span >= 150 && span < 600, "chunks sent at 4x real time, spread over " + span + " ms");

        List<ConsumerRecord<byte[], byte[]>> text = read("text-in", 2);
        assertEquals(List.of("hello there", "wie geht's?"), text.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList());
        assertEquals(List.of("0", "1"), text.stream().map(r -> header(r, KafkaHeaders.SEQ)).toList());
        assertEquals("chat", new String(text.get(0).key(), StandardCharsets.UTF_8));

        // a manifest: each line's text, under its stream id
        Path manifest = dir.resolve("messages.jsonl");
        Files.writeString(manifest, "{\"stream\": \"mail-1\", \"text\": \"cheap pills\", \"label\": \"spam\"}\n{\"text\": \"bonjour\"}\n");
        assertEquals(0, Main.run("produce", "--bootstrap-servers", kafka.bootstrapServers(), "--speed", "0", manifest.toString()));
        List<ConsumerRecord<byte[], byte[]>> all = read("text-in", 4);
        assertEquals(List.of("mail-1=cheap pills", "messages=bonjour"), all.subList(2, 4).stream()
                .map(r -> new String(r.key(), StandardCharsets.UTF_8) + "=" + new String(r.value(), StandardCharsets.UTF_8)).toList());
        Files.writeString(manifest, "{\"label\": \"spam\"}\n");
        assertEquals(2, Main.run("produce", "--bootstrap-servers", kafka.bootstrapServers(), manifest.toString()), "a line without text is refused");
    }

    /** A PCM WAV header and data of the given format (silence). */
    private static byte[] wav(int rate, int channels, double seconds) {
        int dataBytes = (int) (rate * seconds) * channels * 2;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(44 + dataBytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + dataBytes).put("WAVE".getBytes()).put("fmt ".getBytes()).putInt(16).putShort((short) 1)
                .putShort((short) channels).putInt(rate).putInt(rate * channels * 2).putShort((short) (channels * 2)).putShort((short) 16)
                .put("data".getBytes()).putInt(dataBytes);
        return b.array();
    }

    @Test
    void aChunkIsATenthOfASecondOfTheFilesOwnFormat() throws Exception {
        Path stereo = dir.resolve("studio.wav");
        Files.write(stereo, wav(48000, 2, 0.5));   // 19,200 bytes a tenth of a second
        assertEquals(0, Main.run("produce", "--bootstrap-servers", kafka.bootstrapServers(), "--speed", "2", "--audio-topic", "audio-48k", stereo.toString()));
        List<ConsumerRecord<byte[], byte[]>> audio = read("audio-48k", 6);
        assertEquals(List.of(19200, 19200, 19200, 19200, 19200, 44), audio.stream().map(r -> r.value().length).toList());
        long span = audio.get(audio.size() - 1).timestamp() - audio.get(0).timestamp();
        assertTrue(span >= 200 && span < 700, "0.5 s at twice real time: 250 ms from first to last chunk, not " + span);

        assertEquals(2, Main.run("produce", "--bootstrap-servers", kafka.bootstrapServers(), "--stream", "one", stereo.toString(), stereo.toString()),
                "two files as one audio stream are refused");
        assertEquals(2, Main.run("produce", "--bootstrap-servers", "127.0.0.1:1", "--speed", "0", stereo.toString()),
                "an unreachable broker is an error, not a silent loss");
    }

    @Test
    void aFlacFileIsSentAsTheWavItDecodesTo() throws Exception {
        float[] tone = new float[16000 / 2];
        for (int i = 0; i < tone.length; i++) tone[i] = (float) (0.3 * Math.sin(2 * Math.PI * 300 * i / 16000.0));
        Path wavFile = dir.resolve("for-flac.wav"), flacFile = dir.resolve("hall-mic.flac");
        Files.write(wavFile, Audio.wav(tone));
        Process sox = new ProcessBuilder("sox", wavFile.toString(), flacFile.toString()).redirectErrorStream(true).start();
        assertEquals(0, sox.waitFor(), new String(sox.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(0, Main.run("produce", "--bootstrap-servers", kafka.bootstrapServers(), "--speed", "0", "--audio-topic", "audio-flac", flacFile.toString()));
        List<ConsumerRecord<byte[], byte[]>> audio = read("audio-flac", 6);
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (ConsumerRecord<byte[], byte[]> r : audio) joined.write(r.value());
        assertEquals("hall-mic", new String(audio.get(0).key(), StandardCharsets.UTF_8));
        assertArrayEquals(Audio.wav(tone), joined.toByteArray(), "the stream is the WAV the FLAC holds");

        byte[] flac = Files.readAllBytes(flacFile);
        Files.write(flacFile, java.util.Arrays.copyOf(flac, flac.length / 2));
        assertEquals(2, Main.run("produce", "--bootstrap-servers", kafka.bootstrapServers(), "--speed", "0", flacFile.toString()),
                "a truncated FLAC is refused with its reason");
    }

    @Test
    void consumePrintsCommittedResultsAndDeadLettersOnly() throws Exception {
        Properties p = props();
        p.put("transactional.id", "test-results");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            ResultMessage yes = ResultMessage.label("mic-1", null, Codes.Input.AUDIO, "yes", 0.97, null, new ResultMessage.ModelVersion("commands", null))
                    .inWindow(new ResultMessage.WindowSpan(3, 1.5, 2.5, 150, 250), false, null).withTimes(41, null, null);
            producer.send(new ProducerRecord<>("results", "mic-1".getBytes(), JsonCodec.write(yes).getBytes()));
            DeadLetterMessage garbled = new DeadLetterMessage(DeadLetterReason.GARBLED_HEADER, "not a WAV file", Codes.Stage.ASSEMBLY, null, null,
                    "audio-in", null, 12L, null, null, null, null);
            producer.send(new ProducerRecord<>("dead-letters", "mic-9".getBytes(), JsonCodec.write(garbled).getBytes()));
            producer.commitTransaction();
            producer.beginTransaction();
            ResultMessage aborted = ResultMessage.label("mic-1", null, Codes.Input.AUDIO, "aborted", 0.5, null, null);
            producer.send(new ProducerRecord<>("results", "mic-1".getBytes(), JsonCodec.write(aborted).getBytes()));
            producer.flush();
            producer.abortTransaction();
        }
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.run("consume", "--bootstrap-servers", kafka.bootstrapServers(), "--from-beginning", "--idle-seconds", "3"));
        } finally {
            System.setOut(original);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("mic-1") && printed.contains("yes 0.97") && printed.contains("1.5-2.5 s"), printed);
        assertTrue(printed.contains("mic-9") && printed.contains("garbled_header") && printed.contains("not a WAV file"), printed);
        assertTrue(!printed.contains("aborted"), "an aborted transaction's result is not shown: " + printed);
        assertEquals(2, printed.lines().count(), printed);
    }
}
