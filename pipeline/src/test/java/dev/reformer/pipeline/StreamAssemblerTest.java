package dev.reformer.pipeline;

import dev.reformer.protocol.AudioChunkHeaders;
import dev.reformer.protocol.Codes;
import dev.reformer.protocol.DeadLetterReason;
import dev.reformer.protocol.KafkaHeaders;
import dev.reformer.protocol.ProtocolException;
import java.util.Arrays;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reformer.audio.FeatureConfig;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/**
 * The assembler alone, in Flink's test harness: every record ends in a window or a dead letter (reorder leftovers,
 * data after eos, a repeated eos, the rest of a refused stream), and every admission limit holds.
 */
class StreamAssemblerTest {
    static final int RATE = 16_000;
    static final long IDLE_MS = 1_000;

    static JobSettings settings(JobSettings.Admission admission) {
        return JobSettings.defaults("127.0.0.1:1", "audio-model", null).withWindow(50, 25).withLimits(IDLE_MS, 8, 1 << 20)
                .withAdmission(admission);
    }

    static KeyedOneInputStreamOperatorTestHarness<String, StreamEvent, Window> harness(JobSettings s) throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, StreamEvent, Window> h = ProcessFunctionTestHarnesses.forKeyedProcessFunction(
                new StreamAssembler(s, FeatureConfig.logMel(), false), e -> e.streamId, Types.STRING);
        h.setProcessingTime(0);
        return h;
    }

    static long offset;

    /** A raw s16le record of seconds of a quiet tone. */
    static StreamEvent pcm(String stream, long seq, double seconds, boolean eos) {
        ByteBuffer b = ByteBuffer.allocate(2 * (int) (seconds * RATE)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; b.remaining() >= 2; i++) b.putShort((short) (3000 * Math.sin(i * 0.05)));
        return event(stream, seq, "s16le", RATE, b.array(), eos);
    }

    static StreamEvent event(String stream, long seq, String encoding, int rate, byte[] payload, boolean eos) {
        RawRecord source = new RawRecord("audio-in", 0, offset++, 1000, stream.getBytes(StandardCharsets.UTF_8), payload,
                new String[]{KafkaHeaders.SEQ}, new byte[][]{String.valueOf(seq).getBytes(StandardCharsets.UTF_8)});
        return StreamEvent.of(stream, StreamEvent.AUDIO, seq, encoding, rate, 1, eos, payload, source);
    }

    static List<DeadLetter> deadLetters(KeyedOneInputStreamOperatorTestHarness<String, StreamEvent, Window> h) {
        return h.getSideOutput(Validation.DEAD_LETTERS) == null ? List.of()
                : h.getSideOutput(Validation.DEAD_LETTERS).stream().map(r -> r.getValue()).toList();
    }

    static List<String> reasons(KeyedOneInputStreamOperatorTestHarness<String, StreamEvent, Window> h) {
        return deadLetters(h).stream().map(d -> d.reason.code() + "@" + d.source.header(KafkaHeaders.SEQ)).toList();
    }

    @SuppressWarnings("unchecked")
    static List<Window> windows(KeyedOneInputStreamOperatorTestHarness<String, StreamEvent, Window> h) {
        List<Window> out = new ArrayList<>();
        for (Object o : h.getOutput()) if (o instanceof StreamRecord<?> r) out.add((Window) r.getValue());
        return out;
    }

    static void feed(KeyedOneInputStreamOperatorTestHarness<String, StreamEvent, Window> h, StreamEvent... events) throws Exception {
        for (StreamEvent e : events) h.processElement(e, 0);
    }

    @Test
    void recordsLeftWaitingForAMissingSeqAreDeadLettersWhenTheStreamGoesIdle() throws Exception {
        try (var h = harness(settings(JobSettings.Admission.DEFAULTS))) {
            for (long seq = 0; seq <= 7; seq++) if (seq != 6) feed(h, pcm("gap", seq, 0.1, false));   // 0-5 and 7; 6 never comes
            feed(h, pcm("no-zero", 1, 0.1, false), pcm("no-zero", 2, 0.1, true));                    // 0 never comes
            assertTrue(reasons(h).isEmpty(), reasons(h).toString());
            h.setProcessingTime(IDLE_MS);
            assertEquals(List.of("seq_missing@7", "seq_missing@1", "seq_missing@2"), reasons(h));
            assertTrue(deadLetters(h).get(0).detail.contains("waited for seq 6"), deadLetters(h).get(0).detail);
            List<Window> gap = windows(h).stream().filter(w -> w.streamId.equals("gap")).toList();
            assertEquals(Window.IDLE, gap.get(gap.size() - 1).ending, "the stream's audio up to seq 5 was closed as idle");
            assertTrue(windows(h).stream().noneMatch(w -> w.streamId.equals("no-zero")));
        }
    }

    @Test
    void dataAfterEosAndARepeatedEosAreReportedAndSeqZeroStartsAgain() throws Exception {
        try (var h = harness(settings(JobSettings.Admission.DEFAULTS))) {
            // seq 3 arrives before eos (seq 2) and waits; after eos it is data after eos
            feed(h, pcm("s", 0, 0.3, false), pcm("s", 3, 0.1, false), pcm("s", 1, 0.3, false), pcm("s", 2, 0.1, true));
            feed(h, pcm("s", 2, 0.1, true), pcm("s", 4, 0.1, false), pcm("s", 1, 0.1, false));
            assertEquals(List.of("after_eos@3", "duplicate_eos@2", "after_eos@4", "duplicate_seq@1"), reasons(h));
            long ends = windows(h).stream().filter(w -> Window.EOS.equals(w.ending)).count();
            assertEquals(1, ends);
            feed(h, pcm("s", 0, 0.6, true));   // a new stream under the same key
            assertEquals(2, windows(h).stream().filter(w -> Window.EOS.equals(w.ending)).count());
            assertEquals(4, reasons(h).size());
            h.setProcessingTime(10 * IDLE_MS);   // the marker expires with the idle timeout: nothing more is reported
            assertEquals(4, reasons(h).size());
        }
    }

    @Test
    void anEosOnARecordRefusedForItsFormatStillEndsTheStream() throws Exception {
        try (var h = harness(settings(JobSettings.Admission.DEFAULTS))) {
            feed(h, pcm("f", 0, 0.6, false), event("f", 1, "s16le", 8000, new byte[3200], true));
            assertEquals(List.of("format_changed@1"), reasons(h));
            List<Window> w = windows(h);
            assertEquals(Window.EOS, w.get(w.size() - 1).ending, "the stream ended at its eos, not 30 s later by idle");
        }
    }

    static byte[] wavHeader(int rate, int dataBytes) {
        ByteBuffer b = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + dataBytes).put("WAVE".getBytes(StandardCharsets.US_ASCII));
        b.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1).putInt(rate)
                .putInt(rate * 2).putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(dataBytes);
        return b.array();
    }

    @Test
    void aGarbledHeaderIsOneDeadLetterAndTheRestOfTheStreamIsReportedAsRefused() throws Exception {
        try (var h = harness(settings(JobSettings.Admission.DEFAULTS))) {
            byte[] garbled = wavHeader(RATE, 0);
            garbled[0] = 'X';
            feed(h, event("g", 0, "wav", 0, garbled, false));
            for (long seq = 1; seq <= 20; seq++) feed(h, event("g", seq, "wav", 0, new byte[3200], seq == 20));
            List<String> r = reasons(h);
            assertEquals("garbled_header@0", r.get(0));
            assertEquals(1, r.stream().filter(x -> x.startsWith("garbled_header")).count(), "the header is reported once: " + r);
            assertEquals(20, r.stream().filter(x -> x.startsWith("stream_refused")).count(), "and each later record as refused: " + r);
            feed(h, event("g", 20, "wav", 0, new byte[0], true));
            assertEquals("duplicate_eos@20", reasons(h).get(21));
            assertTrue(windows(h).isEmpty());
        }
    }

    @Test
    void aWavHeaderAt1HzIsRefusedBeforeItsSamplesAreDecoded() throws Exception {
        try (var h = harness(settings(JobSettings.Admission.DEFAULTS))) {
            byte[] header = wavHeader(1, 64 * 1024), wav = new byte[44 + 64 * 1024];
            System.arraycopy(header, 0, wav, 0, 44);
            feed(h, event("slow", 0, "wav", 0, wav, true));
            assertEquals(List.of("bad_sample_rate@0"), reasons(h));
            assertTrue(windows(h).isEmpty());
        }
    }

    @Test
    void recordStreamReorderAndStreamCountLimitsAreDeadLetters() throws Exception {
        try (var h = harness(settings(new JobSettings.Admission(1, 2, 8_000, 2)))) {
            feed(h, pcm("long-record", 0, 1.5, false));                                              // 1.5 s in one record, 1 s allowed
            feed(h, pcm("long-stream", 0, 0.9, false), pcm("long-stream", 1, 0.9, false), pcm("long-stream", 2, 0.9, false));
            assertEquals(List.of("record_too_long@0", "stream_too_long@2"), reasons(h));
            feed(h, pcm("long-stream", 3, 0.1, true));                                               // the stream goes on and ends
            assertTrue(windows(h).stream().anyMatch(w -> w.streamId.equals("long-stream") && Window.EOS.equals(w.ending)));
            // the reorder buffer holds 8,000 bytes (0.25 s): the second waiting record does not fit
            feed(h, pcm("reorder", 0, 0.1, false), pcm("reorder", 2, 0.2, false), pcm("reorder", 3, 0.1, false));
            assertEquals("reorder_full@3", reasons(h).get(2));
            // two streams are open (long-record, whose record was refused but whose stream goes on, and reorder): no third
            feed(h, pcm("one-too-many", 0, 0.1, false));
            assertEquals("too_many_streams@0", reasons(h).get(3));
            feed(h, pcm("reorder", 1, 0.1, false), pcm("reorder", 3, 0.1, true));                    // its end frees a place
            feed(h, pcm("one-too-many", 0, 0.1, false));
            assertEquals(4, reasons(h).size(), reasons(h).toString());
        }
    }

    @Test
    void rawAudioBelowTheSpeechRatesIsRefusedByValidation() {
        Validation validation = new Validation(settings(JobSettings.Admission.DEFAULTS));
        RecordHeaders headers = new RecordHeaders();
        KafkaHeaders.write(AudioChunkHeaders.raw(0, Codes.Encoding.S16LE, 1, 1, true), headers);
        Header[] all = headers.toArray();
        RawRecord oneHertz = new RawRecord("audio-in", 0, 0, 0, "k".getBytes(StandardCharsets.UTF_8), new byte[320],
                Arrays.stream(all).map(Header::key).toArray(String[]::new), Arrays.stream(all).map(Header::value).toArray(byte[][]::new));
        ProtocolException refused = org.junit.jupiter.api.Assertions.assertThrows(ProtocolException.class, () -> validation.validate(oneHertz));
        assertEquals(DeadLetterReason.BAD_SAMPLE_RATE, refused.reason());
    }
}
