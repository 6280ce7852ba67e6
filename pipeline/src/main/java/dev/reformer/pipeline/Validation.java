package dev.reformer.pipeline;

import dev.reformer.audio.AudioException;
import dev.reformer.audio.PcmDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Checks what can be checked of one record on its own (key, size, headers, UTF-8) and turns it into a
 * {@link StreamEvent}; anything else goes to the dead letters with the reason. Stateless.
 */
public class Validation extends ProcessFunction<RawRecord, StreamEvent> {
    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};
    static final String STAGE = "validation";

    private final JobSettings settings;
    private transient org.apache.flink.metrics.Counter deadLetters;

    public Validation(JobSettings settings) {
        this.settings = settings;
    }

    @Override
    public void open(org.apache.flink.api.common.functions.OpenContext context) {
        deadLetters = getRuntimeContext().getMetricGroup().counter("deadLettersValidation");
    }

    @Override
    public void processElement(RawRecord record, Context ctx, Collector<StreamEvent> out) {
        String problem = null, detail = null;
        StreamEvent event = null;
        try {
            event = validate(record);
        } catch (Refused r) {
            problem = r.reason;
            detail = r.getMessage();
        } catch (RuntimeException e) {   // a record this code did not foresee: its dead letter, not a restart that reads it again
            problem = "validation_failed";
            detail = "the record could not be validated (" + e + "); it is dropped";
        }
        if (event != null) out.collect(event);
        else {
            deadLetters.inc();
            ctx.output(DEAD_LETTERS, DeadLetter.of(problem, detail, STAGE, record));
        }
    }

    /** A refusal: reason is a stable code, the message a sentence for people. */
    static final class Refused extends Exception {
        final String reason;

        Refused(String reason, String message) {
            super(message);
            this.reason = reason;
        }
    }

    StreamEvent validate(RawRecord r) throws Refused {
        String streamId = r.keyText();
        if (streamId == null || streamId.isBlank()) {
            throw new Refused("missing_key", "the record has no key; the key is the stream id (any non-empty UTF-8 string)");
        }
        if (r.size() > settings.maxRecordBytes()) {
            throw new Refused("oversized", "the value is " + r.size() + " bytes, more than the limit of " + settings.maxRecordBytes()
                    + "; send audio in smaller chunks (100 ms of 16 kHz s16le is 3,200 bytes) or raise --max-record-bytes");
        }
        boolean eos = isTrue(r.header("eos"));
        if (r.topic.equals(settings.textTopic())) {
            if (r.size() == 0) throw new Refused("empty_value", "the text message is empty; send UTF-8 text");
            try {
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(r.value));
            } catch (CharacterCodingException e) {
                throw new Refused("invalid_utf8", "the text message is not valid UTF-8 (" + e.getMessage() + "); send UTF-8 text");
            }
            String seq = r.header("seq");
            return StreamEvent.of(streamId, StreamEvent.TEXT, seq == null ? -1 : parseSeq(seq), null, 0, 0, eos, r.value, r);
        }
        if (r.size() == 0 && !eos) throw new Refused("empty_value", "the audio record is empty and is not an eos marker;"
                + " send audio bytes, or an empty value with header eos=true to end the stream");
        String seq = r.header("seq");
        if (seq == null) throw new Refused("missing_seq", "audio records need a header seq (0, 1, 2, ... per stream) to be put in order");
        long position = parseSeq(seq);
        String encodingName = r.header("encoding") == null ? "wav" : r.header("encoding");
        PcmDecoder.Encoding encoding;
        int rate = 0, channels = 0;
        try {
            encoding = PcmDecoder.Encoding.parse(encodingName);
            if (encoding != PcmDecoder.Encoding.WAV) {
                rate = parseInt(r.header("sample-rate"), "sample-rate");
                channels = r.header("channels") == null ? 1 : parseInt(r.header("channels"), "channels");
                AudioException.checkSampleRate(rate);
                AudioException.checkChannels(channels);
                if (rate < StreamAssembler.MIN_SAMPLE_RATE) {
                    throw new Refused("bad_sample_rate", "header sample-rate is " + rate + " Hz; the speech front-end takes "
                            + StreamAssembler.MIN_SAMPLE_RATE + " to " + AudioException.MAX_SAMPLE_RATE + " Hz (8000, 16000, 44100 and 48000 are typical)");
                }
            }
        } catch (AudioException e) {
            throw new Refused(e.kind().name().toLowerCase(), e.getMessage());
        }
        return StreamEvent.of(streamId, StreamEvent.AUDIO, position, encoding.name().toLowerCase(), rate, channels, eos,
                r.value == null ? new byte[0] : r.value, r);
    }

    private static long parseSeq(String text) throws Refused {
        try {
            long seq = Long.parseLong(text.trim());
            if (seq < 0) throw new NumberFormatException();
            return seq;
        } catch (NumberFormatException e) {
            throw new Refused("bad_seq", "header seq is '" + text + "'; it must be a whole number >= 0");
        }
    }

    private static int parseInt(String text, String header) throws Refused {
        if (text == null) throw new Refused("missing_" + header.replace('-', '_'), "raw audio needs a header " + header + " (a whole number)");
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new Refused("bad_" + header.replace('-', '_'), "header " + header + " is '" + text + "'; it must be a whole number");
        }
    }

    static boolean isTrue(String header) {
        return header != null && (header.equalsIgnoreCase("true") || header.equals("1"));
    }
}
