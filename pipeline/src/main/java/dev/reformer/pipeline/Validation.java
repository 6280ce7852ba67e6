package dev.reformer.pipeline;

import dev.reformer.audio.AudioException;
import dev.reformer.protocol.AudioChunkHeaders;
import dev.reformer.protocol.Codes.Encoding;
import dev.reformer.protocol.Codes.Stage;
import dev.reformer.protocol.DeadLetterReason;
import dev.reformer.protocol.KafkaHeaders;
import dev.reformer.protocol.ProtocolException;
import dev.reformer.protocol.TextMessageHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Checks what can be checked of one record on its own (key, size, headers, UTF-8) and turns it into a
 * {@link StreamEvent}; anything else goes to the dead letters with the reason. Stateless. The headers are read by
 * the protocol's codec ({@link KafkaHeaders}); the ranges of rates and channels are the front-end's.
 */
public class Validation extends ProcessFunction<RawRecord, StreamEvent> {
    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

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
        DeadLetterReason problem = null;
        String detail = null;
        StreamEvent event = null;
        try {
            event = validate(record);
        } catch (ProtocolException r) {
            problem = r.reason();
            detail = r.getMessage();
        } catch (RuntimeException e) {   // a record this code did not foresee: its dead letter, not a restart that reads it again
            problem = DeadLetterReason.VALIDATION_FAILED;
            detail = "the record could not be validated (" + e + "); it is dropped";
        }
        if (event != null) out.collect(event);
        else {
            deadLetters.inc();
            ctx.output(DEAD_LETTERS, DeadLetter.of(problem, detail, Stage.VALIDATION, record));
        }
    }

    StreamEvent validate(RawRecord r) throws ProtocolException {
        String streamId = r.keyText();
        if (streamId == null || streamId.isBlank()) {
            throw new ProtocolException(DeadLetterReason.MISSING_KEY, "the record has no key; the key is the stream id (any non-empty UTF-8 string)");
        }
        if (r.size() > settings.maxRecordBytes()) {
            throw new ProtocolException(DeadLetterReason.OVERSIZED, "the value is " + r.size() + " bytes, more than the limit of " + settings.maxRecordBytes()
                    + "; send audio in smaller chunks (100 ms of 16 kHz s16le is 3,200 bytes) or raise --max-record-bytes");
        }
        boolean eos = KafkaHeaders.eos(r.headers());
        if (r.topic.equals(settings.textTopic())) {
            if (r.size() == 0) throw new ProtocolException(DeadLetterReason.EMPTY_VALUE, "the text message is empty; send UTF-8 text");
            try {
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(r.value));
            } catch (CharacterCodingException e) {
                throw new ProtocolException(DeadLetterReason.INVALID_UTF8, "the text message is not valid UTF-8 (" + e.getMessage() + "); send UTF-8 text");
            }
            TextMessageHeaders text = KafkaHeaders.readText(r.headers());
            return StreamEvent.of(streamId, StreamEvent.TEXT, text.seq() == null ? -1 : text.seq(), null, 0, 0, eos, r.value, r);
        }
        if (r.size() == 0 && !eos) throw new ProtocolException(DeadLetterReason.EMPTY_VALUE, "the audio record is empty and is not an eos marker;"
                + " send audio bytes, or an empty value with header " + KafkaHeaders.EOS + "=true to end the stream");
        AudioChunkHeaders audio = KafkaHeaders.readAudio(r.headers());
        if (audio.encoding() != Encoding.WAV) checkFormat(audio);
        return StreamEvent.of(streamId, StreamEvent.AUDIO, audio.seq(), audio.encoding().code(), audio.sampleRate(), audio.channels(), eos,
                r.value == null ? new byte[0] : r.value, r);
    }

    /** A raw encoding's rate and channels, within what the front-end takes. */
    private static void checkFormat(AudioChunkHeaders audio) throws ProtocolException {
        try {
            AudioException.checkSampleRate(audio.sampleRate());
            AudioException.checkChannels(audio.channels());
        } catch (AudioException e) {
            throw new ProtocolException(DeadLetterReason.valueOf(e.kind().name()), e.getMessage());
        }
        if (audio.sampleRate() < AudioDecoding.MIN_SAMPLE_RATE) {
            throw new ProtocolException(DeadLetterReason.BAD_SAMPLE_RATE, "header " + KafkaHeaders.SAMPLE_RATE + " is " + audio.sampleRate()
                    + " Hz; the speech front-end takes " + AudioDecoding.MIN_SAMPLE_RATE + " to " + AudioException.MAX_SAMPLE_RATE
                    + " Hz (8000, 16000, 44100 and 48000 are typical)");
        }
    }
}
