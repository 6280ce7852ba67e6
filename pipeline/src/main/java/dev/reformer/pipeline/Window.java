package dev.reformer.pipeline;

import dev.reformer.protocol.Codes.Ending;

/**
 * What the Reformer operator runs on: a window of one stream, audio frames [n][dims] (flattened, 10 ms each)
 * or the UTF-8 bytes of one text message. Made by {@link StreamAssembler}.
 */
public class Window {
    public String streamId;
    public int kind;
    /** 0, 1, 2, ... per stream. */
    public long index;
    /** Audio: the frames [startFrame, endFrame) of the stream (frame f starts at f / 100 s). */
    public long startFrame;
    public long endFrame;
    /** The codes of {@link Ending}: kept as text, the type of this field in checkpoints. */
    public static final String SPEECH_END = Ending.SPEECH_END.code(), EOS = Ending.EOS.code(), IDLE = Ending.IDLE.code();
    /** The stream was refused mid-way (its header or state became unusable): its windows so far close with this ending. */
    public static final String REFUSED = Ending.REFUSED.code();

    /** The last window of the stream (eos or idle) or of an utterance (speech end): transcription finalises its text here. */
    public boolean last;
    /** What ended with this window: {@link #SPEECH_END}, {@link #EOS}, {@link #IDLE}, {@link #REFUSED}; null when it is not the last. */
    public String ending;
    public int dims;
    public float[] frames;
    public byte[] text;
    /** Kafka timestamp (ms) of the newest record in the window: end-to-end latency counts from it. */
    public long sourceTimestamp;
    /** When the Reformer operator took it in (ms), for the result's queued_ms; not checkpointed (a restored window counts from its restore). */
    public transient long arrivedAt;

    public Window() {}

    public int frameCount() {
        return (int) (endFrame - startFrame);
    }

    /** Frames as rows. */
    public float[][] frameRows() {
        float[][] rows = new float[frameCount()][dims];
        for (int f = 0; f < rows.length; f++) System.arraycopy(frames, f * dims, rows[f], 0, dims);
        return rows;
    }
}
