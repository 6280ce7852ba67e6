package dev.reformer.eval;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * A baseline speech recogniser: clips of 16 kHz mono samples in, the words it heard out (lower case, one space
 * between words, "" for nothing). Loading its model happens before the first call and is not part of any timing.
 */
public interface Recogniser extends AutoCloseable {
    int RATE = 16000;

    /** The name the tables show, e.g. "Vosk (grammar)". */
    String name();

    /** The words heard in each clip, in order. */
    List<String> transcribe(List<float[]> clips) throws IOException;

    @Override
    default void close() {}

    /** Samples in [-1, 1] as 16-bit little-endian PCM. */
    static byte[] pcm16(float[] samples) {
        ByteBuffer b = ByteBuffer.allocate(2 * samples.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : samples) b.putShort((short) Math.round(Math.max(-1f, Math.min(1f, x)) * 32767));
        return b.array();
    }

    /** Words of a recogniser's output as one normalised line. */
    static String normalise(String text) {
        return String.join(" ", Scores.words(text == null ? "" : text));
    }
}
