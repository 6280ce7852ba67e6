package dev.reformer.pipeline;

/**
 * A validated input record: which stream, where in it, and its payload (audio bytes or UTF-8 text).
 * Produced by {@link Validation}; ordered and assembled per stream by {@link StreamAssembler}.
 */
public class StreamEvent {
    public static final int AUDIO = 0, TEXT = 1;

    public String streamId;
    public int kind;
    /** Position in the stream (0, 1, 2, ...); -1 for text messages without one. */
    public long seq;
    /** Audio: wav, s16le or f32le. */
    public String encoding;
    public int sampleRate;
    public int channels;
    /** The stream ends with this record (its payload may be empty). */
    public boolean eos;
    public byte[] payload;
    public RawRecord source;

    public StreamEvent() {}

    static StreamEvent of(String streamId, int kind, long seq, String encoding, int sampleRate, int channels, boolean eos,
                          byte[] payload, RawRecord source) {
        StreamEvent e = new StreamEvent();
        e.streamId = streamId;
        e.kind = kind;
        e.seq = seq;
        e.encoding = encoding;
        e.sampleRate = sampleRate;
        e.channels = channels;
        e.eos = eos;
        e.payload = payload;
        e.source = source;
        return e;
    }
}
