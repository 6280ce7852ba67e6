package dev.reformer.protocol;

import dev.reformer.protocol.Codes.Encoding;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The one codec between the input topics' Kafka headers and {@link AudioChunkHeaders} / {@link TextMessageHeaders}:
 * the only place the header names are spelled. Reading refuses what docs/PROTOCOL.md does not allow, with the
 * dead-letter reason.
 */
public final class KafkaHeaders {
    public static final String SEQ = "seq", ENCODING = "encoding", SAMPLE_RATE = "sample-rate", CHANNELS = "channels", EOS = "eos";
    /** The headers an audio record may carry, and a text message. */
    public static final List<String> AUDIO = List.of(SEQ, ENCODING, SAMPLE_RATE, CHANNELS, EOS), TEXT = List.of(SEQ);

    private KafkaHeaders() {}

    /** A record's headers as text: the last header of a name, as UTF-8, or null. */
    @FunctionalInterface
    public interface Lookup {
        String get(String name);
    }

    /** The lookup of Kafka's headers. */
    public static Lookup of(Headers headers) {
        return name -> {
            Header h = headers.lastHeader(name);
            return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
        };
    }

    // ------------------------------------------------------------------ writing

    public static void write(AudioChunkHeaders h, Headers to) {
        put(to, SEQ, Long.toString(h.seq()));
        if (h.encoding() != Encoding.WAV) {
            put(to, ENCODING, h.encoding().code());
            put(to, SAMPLE_RATE, Integer.toString(h.sampleRate()));
            put(to, CHANNELS, Integer.toString(h.channels()));
        }
        if (h.eos()) put(to, EOS, "true");
    }

    public static void write(TextMessageHeaders h, Headers to) {
        if (h.seq() != null) put(to, SEQ, Long.toString(h.seq()));
    }

    /** One header, as UTF-8 text (also for a test's deliberately wrong values). */
    public static void put(Headers to, String name, String value) {
        to.add(name, value.getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ reading

    /** True when the record ends its stream: header eos is {@code true} (any case) or {@code 1}. */
    public static boolean eos(Lookup headers) {
        String eos = headers.get(EOS);
        return eos != null && (eos.equalsIgnoreCase("true") || eos.equals("1"));
    }

    /**
     * An audio record's headers; refused: missing_seq, bad_seq, unsupported_encoding, and for raw encodings
     * missing_sample_rate, bad_sample_rate, bad_channels (ranges are the front-end's to check).
     */
    public static AudioChunkHeaders readAudio(Lookup headers) throws ProtocolException {
        String seqText = headers.get(SEQ);
        if (seqText == null) {
            throw new ProtocolException(DeadLetterReason.MISSING_SEQ, "audio records need a header " + SEQ + " (0, 1, 2, ... per stream) to be put in order");
        }
        long seq = parseSeq(seqText);
        Encoding encoding = headers.get(ENCODING) == null ? Encoding.WAV : Encoding.parse(headers.get(ENCODING));
        if (encoding == Encoding.WAV) return new AudioChunkHeaders(seq, encoding, 0, 0, eos(headers));
        int rate = parseInt(headers.get(SAMPLE_RATE), SAMPLE_RATE, DeadLetterReason.MISSING_SAMPLE_RATE, DeadLetterReason.BAD_SAMPLE_RATE);
        int channels = headers.get(CHANNELS) == null ? 1 : parseInt(headers.get(CHANNELS), CHANNELS, null, DeadLetterReason.BAD_CHANNELS);
        return new AudioChunkHeaders(seq, encoding, rate, channels, eos(headers));
    }

    /** A text message's headers; refused: bad_seq. */
    public static TextMessageHeaders readText(Lookup headers) throws ProtocolException {
        String seq = headers.get(SEQ);
        return new TextMessageHeaders(seq == null ? null : parseSeq(seq));
    }

    private static long parseSeq(String text) throws ProtocolException {
        try {
            long seq = Long.parseLong(text.trim());
            if (seq < 0) throw new NumberFormatException();
            return seq;
        } catch (NumberFormatException e) {
            throw new ProtocolException(DeadLetterReason.BAD_SEQ, "header " + SEQ + " is '" + text + "'; it must be a whole number >= 0");
        }
    }

    private static int parseInt(String text, String header, DeadLetterReason missing, DeadLetterReason bad) throws ProtocolException {
        if (text == null) throw new ProtocolException(missing, "raw audio needs a header " + header + " (a whole number)");
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new ProtocolException(bad, "header " + header + " is '" + text + "'; it must be a whole number");
        }
    }
}
