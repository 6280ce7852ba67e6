package dev.reformer.protocol;

import dev.reformer.protocol.Codes.Encoding;

/**
 * The headers of one record of {@code audio-in} (docs/PROTOCOL.md): its place in the stream, how its bytes are
 * encoded, and whether it ends the stream. Written and read by {@link KafkaHeaders}.
 *
 * @param seq        0, 1, 2, ... per stream
 * @param encoding   WAV (the default) or a raw encoding
 * @param sampleRate raw encodings: Hz; 0 for WAV (the file's header carries it)
 * @param channels   raw encodings: 1 to 64 (1 when not given); 0 for WAV
 * @param eos        the stream's last record
 */
public record AudioChunkHeaders(long seq, Encoding encoding, int sampleRate, int channels, boolean eos) {

    /** A chunk of a WAV stream. */
    public static AudioChunkHeaders wav(long seq, boolean eos) {
        return new AudioChunkHeaders(seq, Encoding.WAV, 0, 0, eos);
    }

    /** A chunk of raw PCM. */
    public static AudioChunkHeaders raw(long seq, Encoding encoding, int sampleRate, int channels, boolean eos) {
        return new AudioChunkHeaders(seq, encoding, sampleRate, channels, eos);
    }
}
