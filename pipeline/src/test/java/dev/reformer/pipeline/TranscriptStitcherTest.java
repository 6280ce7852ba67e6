package dev.reformer.pipeline;

import dev.reformer.protocol.JsonCodec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The seams between windows, exactly: readings written by hand in which one window sees a sound's spike at a
 * different position than the next, as a real model does. Runs the stitcher in Flink's keyed-operator harness.
 */
class TranscriptStitcherTest {
    static final String[] ALPHABET = {"", "a", "b", "c"};
    static final int W = 20, H = 10;   // frames; frame stack 1, so positions are frames

    static Decoded window(long index, int[] best, boolean last) {
        Decoded d = new Decoded();
        d.streamId = "s";
        d.index = index;
        d.startFrame = index * H;
        d.endFrame = d.startFrame + best.length;
        d.last = last;
        d.frameStack = 1;
        d.best = best;
        d.symbols = ALPHABET;
        d.modelName = "m";
        d.modelVersion = "v";
        return d;
    }

    /** The texts of the results, in order. */
    static List<String> run(Decoded... windows) throws Exception {
        JobSettings settings = JobSettings.defaults("127.0.0.1:1", "unused", null).withWindow(W, H);
        try (var harness = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new TranscriptStitcher(settings)),
                (Decoded d) -> d.streamId, Types.STRING)) {
            harness.open();
            for (Decoded d : windows) harness.processElement(d, 0);
            List<String> texts = new ArrayList<>();
            for (Result r : harness.extractOutputValues()) texts.add(JsonCodec.readResult(r.json).text());
            return texts;
        }
    }

    @Test
    void aSoundReadAtDifferentPositionsByTwoWindowsCountsOnce() throws Exception {
        // one 'b' at frames 14-16: window 0 (frames 0-19) spikes at 13, window 1 (frames 10-29) at 16: both sides of the middle
        int[] w0 = new int[W], w1 = new int[W], w2 = new int[10];
        w0[2] = 1;            // 'a' at frame 2
        w0[13] = 2;           // 'b' as window 0 reads it
        w1[16 - 10] = 2;      // the same 'b' as window 1 reads it
        w1[25 - 10] = 3;      // 'c' at frame 25
        w2[25 - 20] = 3;      // window 2 (the tail, frames 20-29) sees the 'c' too
        assertEquals(List.of("ab", "abc", "abc"), run(window(0, w0, false), window(1, w1, false), window(2, w2, true)));
    }

    @Test
    void aSoundNearAWindowEdgeIsNotLost() throws Exception {
        // 'b' at frame 18: window 0 misses it at its edge, window 1 reads it at 17
        int[] w0 = new int[W], w1 = new int[W];
        w0[3] = 1;
        w1[17 - 10] = 2;
        List<String> texts = run(window(0, w0, false), window(1, w1, true));
        assertEquals("ab", texts.get(texts.size() - 1));
    }

    @Test
    void aRepeatedWordStaysRepeated() throws Exception {
        // 'a' at frames 12 and 17 (two words), read by both windows, a blank between
        int[] w0 = new int[W], w1 = new int[W];
        w0[12] = 1;
        w0[17] = 1;
        w1[12 - 10] = 1;
        w1[18 - 10] = 1;
        List<String> texts = run(window(0, w0, false), window(1, w1, true));
        assertEquals("aa", texts.get(texts.size() - 1));
    }

    @Test
    void anEmptyClosingWindowFinalisesWhatWaited() throws Exception {
        int[] w0 = new int[W];
        w0[4] = 1;
        w0[15] = 3;           // in the overlap, waiting for the next window
        List<String> texts = run(window(0, w0, false), window(1, new int[0], true));
        assertEquals(List.of("ac", "ac"), texts);
    }

    @Test
    void aNaiveMiddleCutWouldHaveDoubledIt() {
        // the pairing moves the cut away from the middle when a pair straddles it
        int[] previous = new int[10], next = new int[10];
        previous[3] = 2;      // frame 13 in window 0's overlap
        next[6] = 2;          // frame 16 in window 1's overlap
        int cut = TranscriptStitcher.cut(previous, next, 4);
        assertEquals(true, cut <= 3 || cut > 6, "cut " + cut + " keeps the pair together");
    }
}
