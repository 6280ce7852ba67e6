package dev.reformer.tests;

import dev.reformer.pipeline.ModelVariants;
import static dev.reformer.protocol.KafkaHeaders.CHANNELS;
import static dev.reformer.protocol.KafkaHeaders.ENCODING;
import static dev.reformer.protocol.KafkaHeaders.EOS;
import static dev.reformer.protocol.KafkaHeaders.SAMPLE_RATE;
import static dev.reformer.protocol.KafkaHeaders.SEQ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reformer.audio.PcmDecoder;
import dev.reformer.audio.StreamingFeatureExtractor;
import dev.reformer.client.LocalKafka;
import dev.reformer.model.train.Example;
import dev.reformer.pipeline.ModelControl;
import dev.reformer.protocol.Codes.Input;
import dev.reformer.protocol.Codes.Kind;
import dev.reformer.protocol.ControlMessage;
import dev.reformer.protocol.DeadLetterMessage;
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
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The job as an operator runs it ({@code ./reformer run} on a real broker process, the shipped models) against a
 * corpus of crafted records and control messages, each of its own kind, interleaved with well-formed audio and text
 * streams. Every record must end as a result or a dead letter with the expected reason, the well-formed streams must
 * be exactly what the model gives offline, and the job must never restart (Flink's numRestarts and exception history).
 */
class BadInputTest {
    static final Path MODELS = Path.of("..", "models").toAbsolutePath().normalize();
    static final Path COMMANDS = MODELS.resolve("commands"), SPAM = MODELS.resolve("spam"), DIGITS = MODELS.resolve("digits");
    static final Path SAMPLES = Path.of("..", "samples", "audio").toAbsolutePath().normalize();
    static final int WINDOW = 100, HOP = 50, RATE = 16_000;
    static final String AUDIO = "audio-in", TEXT = "text-in", CONTROL = "models-control";

    @TempDir
    Path work;

    /** A record to send and what the job must make of it: a dead letter with expectedReason, or (null) part of its stream's results. */
    record Sent(String kind, String topic, byte[] key, byte[] value, Map<String, String> headers, String expectedReason) {}

    private final List<List<Sent>> streams = new ArrayList<>();
    private final Set<String> kinds = new LinkedHashSet<>();
    private List<Sent> current;

    /** Starts the records of one kind (one stream, or one record). */
    private BadInputTest kind(String kind) {
        if (!kinds.add(kind)) throw new IllegalArgumentException("kind named twice: " + kind);
        current = new ArrayList<>();
        streams.add(current);
        return this;
    }

    private BadInputTest record(String topic, byte[] key, byte[] value, String expected, String... headers) {
        Map<String, String> h = new LinkedHashMap<>();
        for (int i = 0; i + 1 < headers.length; i += 2) h.put(headers[i], headers[i + 1]);
        current.add(new Sent(kinds.stream().reduce((a, b) -> b).orElseThrow(), topic, key, value, h, expected));
        return this;
    }

    private BadInputTest audio(String key, long seq, byte[] value, String expected, String... headers) {
        String[] all = Arrays.copyOf(headers, headers.length + 2);
        all[headers.length] = SEQ;
        all[headers.length + 1] = String.valueOf(seq);
        return record(AUDIO, bytes(key), value, expected, all);
    }

    /** seq-numbered s16le 16 kHz records, eos on the last. */
    private BadInputTest pcmStream(String key, String expectedOfEach, double... seconds) {
        for (int i = 0; i < seconds.length; i++) {
            audio(key, i, pcm(seconds[i], i), expectedOfEach, i == seconds.length - 1 ? new String[]{ENCODING, "s16le", SAMPLE_RATE, "16000", EOS, "true"}
                    : new String[]{ENCODING, "s16le", SAMPLE_RATE, "16000"});
        }
        return this;
    }

    static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /** seconds of a quiet tone, s16le at 16 kHz (phase seeded, so streams differ). */
    static byte[] pcm(double seconds, int seed) {
        ByteBuffer b = ByteBuffer.allocate(2 * (int) Math.round(seconds * RATE)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; b.remaining() >= 2; i++) b.putShort((short) (2000 * Math.sin(i * (0.03 + 0.01 * seed)) + 300 * Math.sin(i * 0.31)));
        return b.array();
    }

    static byte[] wavHeader(int format, int channels, int rate, int bits, int blockAlign, int dataBytes) {
        ByteBuffer b = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
        b.put(bytes("RIFF")).putInt(36 + dataBytes).put(bytes("WAVE")).put(bytes("fmt ")).putInt(16).putShort((short) format)
                .putShort((short) channels).putInt(rate).putInt(rate * blockAlign).putShort((short) blockAlign).putShort((short) bits)
                .put(bytes("data")).putInt(dataBytes);
        return b.array();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * 1600).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 1600; i++) b.putFloat(i < values.length ? values[i] : 0.01f);
        return b.array();
    }

    private BadInputTest control(String message, String expected) {
        return record(CONTROL, bytes("audio"), bytes(message), expected);
    }

    /** A control message; an input that is neither audio nor text (which the record cannot hold) is written in place of audio. */
    static String swap(String input, String name, Path path, String sha) {
        String message = JsonCodec.write(new ControlMessage(Input.AUDIO, name, path.toString(), sha));
        return input.equals(Input.AUDIO.code()) ? message : message.replaceFirst("\"" + Input.AUDIO.code() + "\"", "\"" + input + "\"");
    }

    /** A copy of models/commands whose front-end has 40 mel bands; changeWeights also flips a bit of the weights (another checksum). */
    Path fortyBands(String name, boolean changeWeights) throws Exception {
        return ModelVariants.fortyBands(COMMANDS, work.resolve(name), changeWeights);
    }

    /** The corpus: each kind's records, and the well-formed streams (expected null) between them. */
    void buildCorpus() throws Exception {
        byte[] okPcm = pcm(0.5, 0);
        String[] raw = {ENCODING, "s16le", SAMPLE_RATE, "16000"};
        // -- refused by validation, the record alone
        kind("no key").record(AUDIO, null, okPcm, "missing_key", SEQ, "0");
        kind("empty key").record(AUDIO, new byte[0], okPcm, "missing_key", SEQ, "0");
        kind("blank key").record(AUDIO, bytes("   "), okPcm, "missing_key", SEQ, "0");
        kind("empty audio without eos").audio("v-empty", 0, new byte[0], "empty_value");
        kind("oversized audio").audio("v-big", 0, new byte[250_000], "oversized", raw);
        kind("no seq").record(AUDIO, bytes("v-noseq"), okPcm, "missing_seq", raw);
        kind("seq not a number").record(AUDIO, bytes("v-seq-word"), okPcm, "bad_seq", SEQ, "seven");
        kind("negative seq").record(AUDIO, bytes("v-seq-neg"), okPcm, "bad_seq", SEQ, "-1");
        kind("fractional seq").record(AUDIO, bytes("v-seq-frac"), okPcm, "bad_seq", SEQ, "1.5");
        kind("seq beyond a long").record(AUDIO, bytes("v-seq-huge"), okPcm, "bad_seq", SEQ, "99999999999999999999");
        kind("unknown encoding").audio("v-opus", 0, okPcm, "unsupported_encoding", ENCODING, "opus");
        kind("raw without rate").audio("v-norate", 0, okPcm, "missing_sample_rate", ENCODING, "s16le");
        kind("rate not a number").audio("v-rate-word", 0, okPcm, "bad_sample_rate", ENCODING, "s16le", SAMPLE_RATE, "fast");
        kind("rate 0").audio("v-rate-0", 0, okPcm, "bad_sample_rate", ENCODING, "s16le", SAMPLE_RATE, "0");
        kind("64 KB at 1 Hz (issue 20 #2)").audio("v-rate-1-big", 0, new byte[64 * 1024], "bad_sample_rate", ENCODING, "s16le", SAMPLE_RATE, "1", EOS, "true");
        kind("320 bytes at 1 Hz").audio("v-rate-1", 0, new byte[320], "bad_sample_rate", ENCODING, "s16le", SAMPLE_RATE, "1", EOS, "true");
        kind("rate above 384 kHz").audio("v-rate-high", 0, okPcm, "bad_sample_rate", ENCODING, "s16le", SAMPLE_RATE, "400000");
        kind("rate 4 kHz, below speech").audio("v-rate-4k", 0, okPcm, "bad_sample_rate", ENCODING, "s16le", SAMPLE_RATE, "4000");
        kind("0 channels").audio("v-ch-0", 0, okPcm, "bad_channel_count", ENCODING, "s16le", SAMPLE_RATE, "16000", CHANNELS, "0");
        kind("65 channels").audio("v-ch-65", 0, okPcm, "bad_channel_count", ENCODING, "s16le", SAMPLE_RATE, "16000", CHANNELS, "65");
        kind("channels not a number").audio("v-ch-word", 0, okPcm, "bad_channels", ENCODING, "s16le", SAMPLE_RATE, "16000", CHANNELS, "two");
        // -- refused in the stream's context
        kind("WAV header at 1 Hz").audio("a-wav-1hz", 0, concat(wavHeader(1, 1, 1, 16, 2, 65536), new byte[65536]), "bad_sample_rate", EOS, "true");
        byte[] garbled = wavHeader(1, 1, RATE, 16, 2, 0);
        garbled[0] = 'X';
        kind("garbled WAV header, then 20 chunks (issue 20 #5)").audio("a-garbled", 0, garbled, "garbled_header");
        for (int seq = 1; seq <= 20; seq++) audio("a-garbled", seq, pcm(0.1, seq), "stream_refused", seq == 20 ? new String[]{EOS, "true"} : new String[0]);
        kind("WAV mu-law").audio("a-mulaw", 0, concat(wavHeader(7, 1, 8000, 8, 1, 0), new byte[800]), "unsupported_encoding", EOS, "true");
        kind("WAV 12-bit").audio("a-12bit", 0, concat(wavHeader(1, 1, RATE, 12, 2, 0), new byte[800]), "unsupported_encoding", EOS, "true");
        kind("WAV block align wrong").audio("a-align", 0, concat(wavHeader(1, 1, RATE, 16, 4, 0), new byte[800]), "garbled_header", EOS, "true");
        ByteBuffer dataFirst = ByteBuffer.allocate(12 + 8).order(ByteOrder.LITTLE_ENDIAN).put(bytes("RIFF")).putInt(100).put(bytes("WAVE"))
                .put(bytes("data")).putInt(0);
        kind("WAV data before fmt").audio("a-data-first", 0, concat(dataFirst.array(), new byte[800]), "garbled_header", EOS, "true");
        kind("WAV cut inside its header").audio("a-truncated", 0, Arrays.copyOf(wavHeader(1, 1, RATE, 16, 2, 0), 20), "truncated_header", EOS, "true");
        kind("float NaN").audio("a-nan", 0, floats(0.1f, Float.NaN), "non_finite_sample", ENCODING, "f32le", SAMPLE_RATE, "16000");
        kind("float infinity").audio("a-inf", 0, floats(Float.POSITIVE_INFINITY), "non_finite_sample", ENCODING, "f32le", SAMPLE_RATE, "16000");
        kind("half a sample at the end").audio("a-trailing", 0, Arrays.copyOf(pcm(0.6, 3), 19_201), "trailing_bytes",
                ENCODING, "s16le", SAMPLE_RATE, "16000", EOS, "true");
        kind("eos before audio").audio("a-eos-only", 0, new byte[0], "eos_before_audio", EOS, "true");
        kind("duplicate seq").audio("a-dup", 0, okPcm, null, raw).audio("a-dup", 0, okPcm, "duplicate_seq", raw)
                .audio("a-dup", 1, okPcm, null, ENCODING, "s16le", SAMPLE_RATE, "16000", EOS, "true");
        kind("seq far ahead").audio("a-gap", 0, okPcm, null, raw).audio("a-gap", 500, okPcm, "seq_gap", raw)
                .audio("a-gap", 1, okPcm, null, ENCODING, "s16le", SAMPLE_RATE, "16000", EOS, "true");
        kind("seq 0-5 and 7-11, no 6 (issue 20 #3)");
        for (int seq = 0; seq <= 11; seq++) {
            if (seq == 6) continue;
            audio("a-no-6", seq, pcm(seq < 6 ? 0.2 : 0.05, seq), seq < 6 ? null : "seq_missing", seq == 11 ? new String[]{ENCODING, "s16le", SAMPLE_RATE, "16000", EOS, "true"} : raw);
        }
        kind("seq 1-5, no 0");
        for (int seq = 1; seq <= 5; seq++) audio("a-no-0", seq, pcm(0.05, seq), "seq_missing", raw);
        kind("data after eos").audio("a-after-eos", 0, okPcm, null, ENCODING, "s16le", SAMPLE_RATE, "16000", EOS, "true")
                .audio("a-after-eos", 1, okPcm, "after_eos", raw);
        kind("eos twice").audio("a-eos-twice", 0, okPcm, null, raw)
                .audio("a-eos-twice", 1, new byte[0], null, ENCODING, "s16le", SAMPLE_RATE, "16000", EOS, "true")
                .audio("a-eos-twice", 1, new byte[0], "duplicate_eos", ENCODING, "s16le", SAMPLE_RATE, "16000", EOS, "true");
        kind("format changed on the eos record").audio("a-fmt-eos", 0, pcm(0.8, 1), null, raw)
                .audio("a-fmt-eos", 1, pcm(0.4, 1), "format_changed", ENCODING, "s16le", SAMPLE_RATE, "8000", EOS, "true");
        kind("format changed mid-stream").audio("a-fmt", 0, pcm(0.8, 2), null, raw).audio("a-fmt", 1, pcm(0.4, 2), "format_changed", ENCODING, "f32le", SAMPLE_RATE, "16000")
                .audio("a-fmt", 2, pcm(0.4, 2), null, ENCODING, "s16le", SAMPLE_RATE, "16000", EOS, "true");
        kind("6 s in one record").audio("a-long-record", 0, pcm(6, 4), "record_too_long", ENCODING, "s16le", SAMPLE_RATE, "16000", EOS, "true");
        kind("a stream past its 20 s");
        for (int seq = 0; seq < 5; seq++) {
            audio("a-long-stream", seq, pcm(4.5, seq), seq < 4 ? null : "stream_too_long", seq == 4 ? new String[]{ENCODING, "s16le", SAMPLE_RATE, "16000", EOS, "true"} : raw);
        }
        kind("reorder buffer full").audio("a-reorder", 0, pcm(0.1, 5), null, raw).audio("a-reorder", 2, pcm(0.3, 5), "after_eos", raw)
                .audio("a-reorder", 3, pcm(0.3, 5), "reorder_full", raw).audio("a-reorder", 1, pcm(0.1, 5), null, ENCODING, "s16le", SAMPLE_RATE, "16000", EOS, "true");
        // -- text
        kind("empty text").record(TEXT, bytes("t-empty"), new byte[0], "empty_value");
        kind("text not UTF-8").record(TEXT, bytes("t-utf8"), new byte[]{'h', 'i', (byte) 0xC3, (byte) 0x28}, "invalid_utf8");
        kind("oversized text").record(TEXT, bytes("t-big"), "spam ".repeat(50_000).getBytes(StandardCharsets.UTF_8), "oversized");
        kind("text without key").record(TEXT, null, bytes("hello there"), "missing_key");
        kind("text seq not a number").record(TEXT, bytes("t-seq"), bytes("hello there"), "bad_seq", SEQ, "x");
        // -- control messages (every one refused: the running models keep serving)
        String commandsSha = ModelControl.sha256(COMMANDS.resolve("model.safetensors"));
        Path truncated = Files.createDirectories(work.resolve("truncated"));
        Files.copy(COMMANDS.resolve("config.json"), truncated.resolve("config.json"));
        byte[] weights = Files.readAllBytes(COMMANDS.resolve("model.safetensors"));
        Files.write(truncated.resolve("model.safetensors"), Arrays.copyOf(weights, weights.length / 2));
        Path forty = fortyBands("commands-40", true), fortyConfigOnly = fortyBands("commands-40-config", false);
        kind("control not JSON").control("swap please", "control_not_json");
        kind("control empty").control("", "control_not_json");
        kind("control a JSON array").control("[1, 2]", "control_bad_field");
        kind("control input video").control(swap("video", "x", COMMANDS, commandsSha), "control_bad_field");
        kind("control without name").control(swap("audio", null, COMMANDS, commandsSha), "control_bad_field");
        kind("control sha256 not hex").control(swap("audio", "x", COMMANDS, "abc"), "control_bad_field");
        kind("control path missing").control(swap("audio", "x", work.resolve("nowhere"), commandsSha), "model_missing");
        kind("control checksum wrong").control(swap("audio", "x", COMMANDS, "0".repeat(64)), "model_checksum");
        kind("control weights truncated").control(swap("audio", "x", truncated, ModelControl.sha256(truncated.resolve("model.safetensors"))), "model_unloadable");
        kind("control text model for audio").control(swap("audio", "spam", SPAM, ModelControl.sha256(SPAM.resolve("model.safetensors"))), "model_wrong_input");
        kind("control 40 mel bands, other weights (issue 20 #1)").control(swap("audio", "commands-40", forty, ModelControl.sha256(forty.resolve("model.safetensors"))), "model_mismatch");
        kind("control 40 mel bands, config only").control(swap("audio", "commands-40c", fortyConfigOnly, commandsSha), "model_mismatch");
        kind("control a transcriber for a classifying job").control(swap("audio", "digits", DIGITS, ModelControl.sha256(DIGITS.resolve("model.safetensors"))), "model_mismatch");
    }

    /** Well-formed streams: real speech cut at random, and two streams whose keys differ only in a byte that is not UTF-8 (issue 20 #4). */
    Map<String, byte[]> goodAudio(Random random) throws Exception {
        Map<String, byte[]> good = new TreeMap<>();
        good.put("good-mic-1", Files.readAllBytes(SAMPLES.resolve("mic-1.wav")));
        good.put("good-mic-3", Files.readAllBytes(SAMPLES.resolve("mic-3.wav")));
        for (var e : good.entrySet()) {
            kind("well-formed " + e.getKey());
            byte[] wav = e.getValue();
            long seq = 0;
            for (int at = 0; at < wav.length; ) {
                int n = Math.min(wav.length - at, 1 + random.nextInt(6000));
                audio(e.getKey(), seq++, Arrays.copyOfRange(wav, at, at + n), null, at + n == wav.length ? new String[]{EOS, "true"} : new String[0]);
                at += n;
            }
        }
        return good;
    }

    static String hex(byte[] key) {
        return key == null ? "(none)" : HexFormat.of().formatHex(key);
    }

    @Test
    void noRecordOrControlMessageStopsTheJobOrVanishes() throws Exception {
        Random random = new Random(20);
        buildCorpus();
        int badKinds = kinds.size();
        Map<String, byte[]> goodWavs = goodAudio(random);
        // keys k\xFF and k\xFE: two streams, each exact
        byte[] keyFF = {'k', (byte) 0xFF}, keyFE = {'k', (byte) 0xFE};
        byte[] pcmFF = pcm(2.3, 7), pcmFE = pcm(1.7, 8);
        for (byte[][] s : new byte[][][]{{keyFF, pcmFF}, {keyFE, pcmFE}}) {
            kind("key " + hex(s[0]) + " not UTF-8");
            for (int seq = 0; seq < 4; seq++) {
                int from = seq * s[1].length / 4 / 2 * 2, to = (seq + 1) * s[1].length / 4 / 2 * 2;
                if (seq == 3) to = s[1].length;
                record(AUDIO, s[0], Arrays.copyOfRange(s[1], from, to), null, seq == 3
                        ? new String[]{SEQ, "3", ENCODING, "s16le", SAMPLE_RATE, "16000", EOS, "true"}
                        : new String[]{SEQ, String.valueOf(seq), ENCODING, "s16le", SAMPLE_RATE, "16000"});
            }
        }
        List<String> texts = List.of("Hi Sam, lunch on Thursday? The notes are attached.", "WINNER!!! Claim your FREE prize now, click http://win.example",
                "Can you send me the report by Friday?", "URGENT: your account is suspended, verify at http://bank.example now!!!");
        kind("well-formed text");
        for (int i = 0; i < 8; i++) record(TEXT, bytes("chat-" + i % 2), bytes(texts.get(i % 4)), null, SEQ, String.valueOf(i));
        kind("text with a key not UTF-8");
        record(TEXT, new byte[]{'t', (byte) 0xC0}, bytes(texts.get(0)), null, SEQ, "0");
        assertTrue(badKinds >= 50, "at least 50 kinds of bad input, have " + badKinds + ": " + kinds);

        // control messages go last on their topic, but between the audio and text (the broadcast reaches the Reformer meanwhile)
        List<Sent> order = interleave(random);
        try (LocalKafka kafka = LocalKafka.start(LocalKafka.Placement.OWN_PROCESS)) {
            Properties client = new Properties();
            client.put("bootstrap.servers", kafka.bootstrapServers());
            dev.reformer.client.Topics.create(kafka.bootstrapServers(), Map.of(AUDIO, 2, TEXT, 2, "results", 1, "dead-letters", 1, CONTROL, 1));
            try (LocalRun job = LocalRun.start("--audio-model", COMMANDS.toString(), "--text-model", SPAM.toString(),
                    "--bootstrap-servers", kafka.bootstrapServers(), "--checkpoint-interval-ms", "1000", "--idle-timeout-ms", "20000",
                    "--max-record-bytes", "200000", "--max-record-seconds", "5", "--max-stream-seconds", "20", "--max-reorder-bytes", "16384")) {
                Map<Sent, RecordMetadata> where = produce(client, order);
                long expectedDeadLetters = order.stream().filter(s -> s.expectedReason() != null).count();
                Set<String> streamsWithResults = new java.util.TreeSet<>();
                for (Sent s : order) if (s.expectedReason() == null && !s.topic().equals(CONTROL)) streamsWithResults.add(hex(s.key()));
                Committed committed = readUntil(client, c -> c.deadLetters.size() >= expectedDeadLetters
                        && streamsWithResults.stream().allMatch(k -> c.results.getOrDefault(k, List.of()).stream().anyMatch(ResultMessage::marksFinal))
                        && c.ofKey(bytes("chat-0")).size() + c.ofKey(bytes("chat-1")).size() >= 8, Duration.ofSeconds(240),
                        () -> job.rest.completedCheckpoints(job.jobId));

                // 1. every record: its expected dead letter, or none and its stream has results
                Map<String, String> reasonAt = new TreeMap<>();
                for (DeadLetterMessage d : committed.deadLetters) {
                    String at = d.topic() + "/" + d.partition() + "/" + d.offset();
                    assertTrue(reasonAt.put(at, d.reason().code()) == null, "one dead letter per record: " + d);
                }
                List<String> wrong = new ArrayList<>();
                for (Sent s : order) {
                    RecordMetadata m = where.get(s);
                    String got = reasonAt.get(m.topic() + "/" + m.partition() + "/" + m.offset());
                    if (s.expectedReason() != null ? !s.expectedReason().equals(got) : got != null) {
                        wrong.add(s.kind() + " (key " + hex(s.key()) + " seq " + s.headers().get(SEQ) + "): expected " + s.expectedReason() + ", got " + got);
                    } else if (s.expectedReason() == null && !s.topic().equals(CONTROL) && !committed.hasFinal(s)) {
                        wrong.add(s.kind() + " (key " + hex(s.key()) + "): its stream has no final result");
                    }
                }
                assertTrue(wrong.isEmpty(), wrong.size() + " records not accounted for as expected:\n" + String.join("\n", wrong));
                assertEquals(expectedDeadLetters, committed.deadLetters.size(), "no other dead letters");

                // 2. the well-formed streams are exactly the model's, served by the model the job started with
                TaskModel commands = TaskModel.load(COMMANDS, DataType.FLOAT);
                String version = ModelControl.sha256(COMMANDS.resolve("model.safetensors")).substring(0, 12);
                int exact = 0;
                for (var e : goodWavs.entrySet()) {
                    assertExact(committed.ofKey(bytes(e.getKey())), offline(commands, PcmDecoder.wav(), e.getValue()), commands, version, e.getKey());
                    exact++;
                }
                assertExact(committed.ofKey(keyFF), offline(commands, PcmDecoder.raw(PcmDecoder.Encoding.S16LE, RATE, 1), pcmFF), commands, version, "k\\xFF");
                assertExact(committed.ofKey(keyFE), offline(commands, PcmDecoder.raw(PcmDecoder.Encoding.S16LE, RATE, 1), pcmFE), commands, version, "k\\xFE");
                exact += 2;
                TaskModel spam = TaskModel.load(SPAM, DataType.FLOAT);
                List<ResultMessage> textResults = new ArrayList<>(committed.ofKey(bytes("chat-0")));
                textResults.addAll(committed.ofKey(bytes("chat-1")));
                assertEquals(8, textResults.size(), "each message once: " + textResults);
                for (ResultMessage r : textResults) {
                    double[] p = spam.classify(List.of(Example.tokens(spam.encodeText(texts.get((int) (r.seq() % 4))), 0)))[0];
                    for (int k = 0; k < p.length; k++) assertEquals(p[k], r.scores().get(spam.labels().get(k)), 1e-4, r.toString());
                }
                assertEquals(1, committed.ofKey(new byte[]{'t', (byte) 0xC0}).size());
                exact += 3;

                // 3. no restart, nothing in the exception history
                assertEquals(0, job.rest.restarts(job.jobId), "numRestarts");
                assertEquals(0, job.rest.exceptions(job.jobId).size(), "exception history: " + job.rest.exceptions(job.jobId));
                System.out.printf("bad input: %d kinds, %d records (%d dead letters, each with its expected reason), %d well-formed streams exact, 0 restarts%n",
                        badKinds, order.size(), expectedDeadLetters, exact);
            }
        }
    }

    /** All records in a random order that keeps each kind's own order. */
    List<Sent> interleave(Random random) {
        List<List<Sent>> left = new ArrayList<>();
        streams.forEach(l -> left.add(new ArrayList<>(l)));
        List<Sent> out = new ArrayList<>();
        while (left.stream().anyMatch(l -> !l.isEmpty())) {
            List<Sent> next = left.get(random.nextInt(left.size()));
            if (!next.isEmpty()) out.add(next.remove(0));
        }
        return out;
    }

    static Map<Sent, RecordMetadata> produce(Properties client, List<Sent> order) throws Exception {
        Map<Sent, RecordMetadata> where = new java.util.IdentityHashMap<>();
        Properties p = new Properties();
        p.putAll(client);
        p.put("max.request.size", "1048576");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
            for (Sent s : order) {
                ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(s.topic(), s.key(), s.value());
                s.headers().forEach((k, v) -> r.headers().add(k, bytes(v)));
                sent.add(producer.send(r));
            }
            for (int i = 0; i < order.size(); i++) where.put(order.get(i), sent.get(i).get());
        }
        return where;
    }

    /** Committed results (by exact key) and dead letters. */
    static final class Committed {
        final Map<String, List<ResultMessage>> results = new TreeMap<>();
        final List<DeadLetterMessage> deadLetters = new ArrayList<>();

        List<ResultMessage> ofKey(byte[] key) {
            return results.getOrDefault(hex(key), List.of());
        }

        boolean hasFinal(Sent s) {
            if (s.topic().equals(TEXT)) return !ofKey(s.key()).isEmpty();
            return ofKey(s.key()).stream().anyMatch(ResultMessage::marksFinal);
        }
    }

    /**
     * Reads results and dead letters (read_committed) until enough came, then what the job commits until it completed
     * two more checkpoints (a duplicate would be among it).
     */
    static Committed readUntil(Properties client, java.util.function.Predicate<Committed> done, Duration timeout,
                               CommittedResults.Checkpoints checkpoints) throws Exception {
        Committed c = new Committed();
        java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> sink = r -> {
            if (r.topic().equals("dead-letters")) c.deadLetters.add(JsonCodec.readDeadLetter(r.value()));
            else c.results.computeIfAbsent(hex(r.key()), k -> new ArrayList<>()).add(JsonCodec.readResult(r.value()));
        };
        try (KafkaConsumer<byte[], byte[]> consumer = CommittedResults.consumer(client, "bad-input-reader")) {
            consumer.subscribe(List.of("results", "dead-letters"));
            long end = System.nanoTime() + Await.scaled(timeout).toNanos();
            while (System.nanoTime() < end && !done.test(c)) consumer.poll(Duration.ofMillis(300)).forEach(sink);
            if (done.test(c)) CommittedResults.readAfterTwoMoreCheckpoints(consumer, checkpoints, sink);
        }
        return c;
    }

    /** The model's scores for each window the job makes of the audio (complete windows, then the tail; null: the end on its own). */
    static List<double[]> offline(TaskModel model, PcmDecoder decoder, byte[] audio) throws Exception {
        float[][] frames = StreamingFeatureExtractor.extractAll(model.input().features(), decoder, audio).frames();
        List<double[]> scores = new ArrayList<>();
        int k = 0;
        for (; k * HOP + WINDOW <= frames.length; k++) scores.add(score(model, frames, k * HOP, k * HOP + WINDOW));
        boolean tail = k * HOP < frames.length && !(k > 0 && (k - 1) * HOP + WINDOW >= frames.length)
                && (frames.length - k * HOP) / model.input().stack() > 0;
        scores.add(tail ? score(model, frames, k * HOP, frames.length) : null);
        return scores;
    }

    static double[] score(TaskModel model, float[][] frames, int from, int to) {
        return model.classify(List.of(Example.features(model.audioPositions(frames, from, to), 0)))[0];
    }

    static void assertExact(List<ResultMessage> results, List<double[]> expected, TaskModel model, String version, String stream) {
        List<ResultMessage> got = new ArrayList<>(results);
        got.sort(java.util.Comparator.comparingLong(r -> r.kind() == Kind.END ? Long.MAX_VALUE : r.window().index()));
        assertEquals(expected.size(), got.size(), stream + ": one result per window and the end, exactly once: " + got);
        for (int k = 0; k < got.size(); k++) {
            assertEquals(version, got.get(k).model().version(), stream + ": the model the job started with");
            if (expected.get(k) == null) {
                assertEquals(Kind.END, got.get(k).kind(), stream);
                continue;
            }
            for (int label = 0; label < expected.get(k).length; label++) {
                assertEquals(expected.get(k)[label], got.get(k).scores().get(model.labels().get(label)), 1e-4,
                        stream + " window " + k);
            }
        }
    }
}
