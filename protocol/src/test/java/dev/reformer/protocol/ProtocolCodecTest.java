package dev.reformer.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reformer.protocol.Codes.Encoding;
import dev.reformer.protocol.Codes.Ending;
import dev.reformer.protocol.Codes.Input;
import dev.reformer.protocol.Codes.Stage;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** Each record comes back as it went out, and what the protocol does not allow is refused with its reason. */
class ProtocolCodecTest {

    @Test
    void resultsRoundTripAndLeaveOutWhatTheyDoNotHave() {
        Map<String, Double> scores = new LinkedHashMap<>();
        scores.put("no", 0.03);
        scores.put("yes", 0.97);
        ResultMessage label = ResultMessage.label("mic-7", null, Input.AUDIO, "yes", 0.97, scores, new ResultMessage.ModelVersion("commands", "3f9a0c1d2b4e"))
                .inWindow(ResultMessage.WindowSpan.of(3, 150, 250), true, Ending.EOS).withTimes(41, 9L, 12L);
        String json = JsonCodec.write(label);
        assertEquals(label, JsonCodec.readResult(json));
        assertTrue(json.contains("\"final\":true") && json.contains("\"latency_ms\":41") && json.contains("\"end_s\":2.515"), json);
        assertFalse(json.contains("text") || json.contains("stream_base64") || json.contains("marks"), "absent fields are left out: " + json);

        ResultMessage end = ResultMessage.end("k\uFFFD", "a/8=", 7, Ending.IDLE, new ResultMessage.ModelVersion("m", "v"));
        assertEquals(end, JsonCodec.readResult(JsonCodec.write(end)));
        ResultMessage text = ResultMessage.label("chat", null, Input.TEXT, "spam", 0.9, Map.of("spam", 0.9), null).withSeq(4);
        assertEquals(4L, JsonCodec.readResult(JsonCodec.write(text)).seq());
        assertEquals(null, JsonCodec.readResult(JsonCodec.write(text)).last(), "text results have no final");
    }

    @Test
    void deadLettersRoundTrip() {
        DeadLetterMessage d = new DeadLetterMessage(DeadLetterReason.GARBLED_HEADER, "not RIFF", Stage.MODEL_CONTROL, "mic-9", null, "audio-in", 0,
                1234L, 1764370000000L, "bWljLTk=", "", Map.of(KafkaHeaders.SEQ, "MA=="));
        String json = JsonCodec.write(d);
        assertTrue(json.contains("\"reason\":\"garbled_header\"") && json.contains("\"stage\":\"model-control\""), json);
        assertEquals(d, JsonCodec.readDeadLetter(json));
    }

    @Test
    void audioHeadersRoundTripAndRefuseWhatIsMissingOrWrong() throws ProtocolException {
        for (AudioChunkHeaders h : new AudioChunkHeaders[]{AudioChunkHeaders.wav(3, false), AudioChunkHeaders.wav(0, true),
                AudioChunkHeaders.raw(9, Encoding.F32LE, 48000, 2, true)}) {
            RecordHeaders kafka = new RecordHeaders();
            KafkaHeaders.write(h, kafka);
            assertEquals(h, KafkaHeaders.readAudio(KafkaHeaders.of(kafka)));
        }
        assertEquals(1, KafkaHeaders.readAudio(headers(KafkaHeaders.SEQ, "0", KafkaHeaders.ENCODING, " S16LE ", KafkaHeaders.SAMPLE_RATE, "8000")).channels());
        assertRefused(DeadLetterReason.MISSING_SEQ, headers(KafkaHeaders.EOS, "true"));
        assertRefused(DeadLetterReason.BAD_SEQ, headers(KafkaHeaders.SEQ, "seven"));
        assertRefused(DeadLetterReason.BAD_SEQ, headers(KafkaHeaders.SEQ, "-1"));
        assertRefused(DeadLetterReason.UNSUPPORTED_ENCODING, headers(KafkaHeaders.SEQ, "0", KafkaHeaders.ENCODING, "opus"));
        assertRefused(DeadLetterReason.MISSING_SAMPLE_RATE, headers(KafkaHeaders.SEQ, "0", KafkaHeaders.ENCODING, "s16le"));
        assertRefused(DeadLetterReason.BAD_SAMPLE_RATE, headers(KafkaHeaders.SEQ, "0", KafkaHeaders.ENCODING, "s16le", KafkaHeaders.SAMPLE_RATE, "fast"));
        assertRefused(DeadLetterReason.BAD_CHANNELS, headers(KafkaHeaders.SEQ, "0", KafkaHeaders.ENCODING, "s16le", KafkaHeaders.SAMPLE_RATE, "8000",
                KafkaHeaders.CHANNELS, "two"));
        assertTrue(KafkaHeaders.eos(headers(KafkaHeaders.EOS, "1")) && !KafkaHeaders.eos(headers(KafkaHeaders.EOS, "no")));
    }

    @Test
    void textHeadersHaveAnOptionalSeq() throws ProtocolException {
        RecordHeaders kafka = new RecordHeaders();
        KafkaHeaders.write(new TextMessageHeaders(5L), kafka);
        assertEquals(5L, KafkaHeaders.readText(KafkaHeaders.of(kafka)).seq());
        assertEquals(null, KafkaHeaders.readText(headers()).seq());
        ProtocolException e = assertThrows(ProtocolException.class, () -> KafkaHeaders.readText(headers(KafkaHeaders.SEQ, "x")));
        assertEquals(DeadLetterReason.BAD_SEQ, e.reason());
    }

    @Test
    void controlMessagesRoundTripAndBadOnesAreRefused() throws ProtocolException {
        ControlMessage m = new ControlMessage(Input.AUDIO, "commands-v2", "/models/commands-v2", "ab".repeat(32));
        assertEquals(m, JsonCodec.readControl(JsonCodec.write(m).getBytes(StandardCharsets.UTF_8)));
        assertControlRefused(DeadLetterReason.CONTROL_NOT_JSON, "swap please");
        assertControlRefused(DeadLetterReason.CONTROL_NOT_JSON, "");
        assertControlRefused(DeadLetterReason.CONTROL_BAD_FIELD, "[1, 2]");
        assertControlRefused(DeadLetterReason.CONTROL_BAD_FIELD, JsonCodec.write(new ControlMessage(Input.TEXT, null, "/m", "ab".repeat(32))));
        assertControlRefused(DeadLetterReason.CONTROL_BAD_FIELD, JsonCodec.write(new ControlMessage(Input.TEXT, "m", "/m", "abc")));
    }

    private static KafkaHeaders.Lookup headers(String... namesAndValues) {
        RecordHeaders kafka = new RecordHeaders();
        for (int i = 0; i + 1 < namesAndValues.length; i += 2) KafkaHeaders.put(kafka, namesAndValues[i], namesAndValues[i + 1]);
        return KafkaHeaders.of(kafka);
    }

    private static void assertRefused(DeadLetterReason reason, KafkaHeaders.Lookup headers) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> KafkaHeaders.readAudio(headers));
        assertEquals(reason, e.reason(), e.getMessage());
    }

    private static void assertControlRefused(DeadLetterReason reason, String message) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> JsonCodec.readControl(message.getBytes(StandardCharsets.UTF_8)));
        assertEquals(reason, e.reason(), e.getMessage());
    }
}
