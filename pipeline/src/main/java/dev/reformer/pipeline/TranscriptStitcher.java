package dev.reformer.pipeline;

import dev.reformer.protocol.Codes.Ending;
import dev.reformer.protocol.JsonCodec;
import dev.reformer.protocol.ResultMessage;
import dev.reformer.protocol.ResultMessage.WindowSpan;
import dev.reformer.task.CtcPaths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Per stream: joins the CTC readings (the best symbol of each position, blanks included) of overlapping windows
 * into one transcript, so that no word is doubled or dropped where windows meet.
 *
 * Window k is committed up to where window k + 1 starts; its reading of the overlap waits. When window k + 1
 * arrives, both readings of the overlap are compared: a symbol's spike may sit at a different position in each,
 * so the spikes are paired (same symbol, close in time, in order: a longest common subsequence), and the overlap
 * is cut where no pair is split (one spike before the cut and its twin after it would double the symbol, the
 * other way round drop it), as near the overlap's middle as possible, away from both windows' edges where they
 * see only part of a sound. Window k's reading is taken before the cut, window k + 1's after it. The joined path
 * becomes text as the model's own transcripts do ({@link CtcPaths#text}: runs merged, blanks dropped, spelled). Each window gives a partial transcript (committed path
 * plus the waiting overlap); the last window of an utterance (speech end) or of the stream gives the final one,
 * and the next utterance starts a new transcript.
 *
 * Keyed state: the committed path, and the last window's reading of the overlap it shares with the next.
 */
public class TranscriptStitcher extends KeyedProcessFunction<String, Decoded, Result> {

    private final int hopFrames;
    private transient ValueState<int[]> committed;
    private transient ValueState<int[]> overlap;

    public TranscriptStitcher(JobSettings settings) {
        this.hopFrames = settings.hopFrames();
    }

    @Override
    public void open(OpenContext context) {
        committed = getRuntimeContext().getState(new ValueStateDescriptor<>("committed-path", int[].class));
        overlap = getRuntimeContext().getState(new ValueStateDescriptor<>("overlap-path", int[].class));
    }

    @Override
    public void processElement(Decoded d, Context ctx, Collector<Result> out) throws Exception {
        int[] path = committed.value() == null ? new int[0] : committed.value();
        int[] previous = overlap.value() == null ? new int[0] : overlap.value();
        int[] reading = d.best;
        int cut = reading.length == 0 ? previous.length : cut(previous, reading, tolerance(d.frameStack));
        path = concat(path, Arrays.copyOf(previous, Math.min(cut, previous.length)));
        int hop = Math.max(1, hopFrames / d.frameStack);
        int keepUntil = d.last ? reading.length : Math.max(cut, Math.min(hop, reading.length));
        path = concat(path, Arrays.copyOfRange(reading, Math.min(cut, reading.length), keepUntil));
        int[] waiting = Arrays.copyOfRange(reading, keepUntil, reading.length);

        String text = CtcPaths.text(d.last ? path : concat(path, waiting), d.symbols, d.symbolSeparator);
        ResultMessage r = ResultMessage.transcript(StreamKeys.display(d.streamId), StreamKeys.base64(d.streamId), text,
                        WindowSpan.of(d.index, d.startFrame, d.endFrame), d.last, d.ending == null ? null : Ending.of(d.ending),
                        new ResultMessage.ModelVersion(d.modelName, d.modelVersion))
                .withTimes(System.currentTimeMillis() - d.sourceTimestamp, null, null);
        Result result = Result.of(d.streamId, JsonCodec.write(r));
        result.partial = !d.last;
        out.collect(result);
        if (d.last) {
            committed.clear();
            overlap.clear();
        } else {
            committed.update(path);
            overlap.update(waiting);
        }
    }

    /** Spikes of the same symbol this many positions apart (about 200 ms) can be one sound read twice. */
    static int tolerance(int frameStack) {
        return Math.max(2, 20 / frameStack);
    }

    /**
     * Where to cut an overlap read twice (previous[i] and next[i] are the same position): the cut c takes
     * previous[0, c) and next[c, ...). Chooses the c splitting the fewest paired spikes, nearest the middle.
     */
    static int cut(int[] previous, int[] next, int tolerance) {
        int n = Math.min(previous.length, next.length);
        if (n == 0) return 0;
        List<int[]> a = spikes(previous, n), b = spikes(next, n);
        // longest common subsequence of the spikes: same symbol, within tolerance positions
        int[][] lcs = new int[a.size() + 1][b.size() + 1];
        for (int i = a.size() - 1; i >= 0; i--) {
            for (int j = b.size() - 1; j >= 0; j--) {
                boolean same = a.get(i)[0] == b.get(j)[0] && Math.abs(a.get(i)[1] - b.get(j)[1]) <= tolerance;
                lcs[i][j] = same ? 1 + lcs[i + 1][j + 1] : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        List<int[]> pairs = new ArrayList<>();
        for (int i = 0, j = 0; i < a.size() && j < b.size(); ) {
            boolean same = a.get(i)[0] == b.get(j)[0] && Math.abs(a.get(i)[1] - b.get(j)[1]) <= tolerance;
            if (same && lcs[i][j] == 1 + lcs[i + 1][j + 1]) pairs.add(new int[]{a.get(i++)[1], b.get(j++)[1]});
            else if (lcs[i + 1][j] >= lcs[i][j + 1]) i++;
            else j++;
        }
        int best = n / 2, bestSplits = Integer.MAX_VALUE;
        for (int c = 0; c <= n; c++) {
            int splits = 0;
            for (int[] p : pairs) if ((p[0] < c) != (p[1] < c)) splits++;
            if (splits < bestSplits || splits == bestSplits && Math.abs(c - n / 2.0) < Math.abs(best - n / 2.0)) {
                best = c;
                bestSplits = splits;
            }
        }
        return best;
    }

    /** (symbol, position) of each run of a non-blank symbol in path[0, n). */
    private static List<int[]> spikes(int[] path, int n) {
        List<int[]> out = new ArrayList<>();
        for (int p = 0; p < n; p++) if (path[p] != 0 && (p == 0 || path[p] != path[p - 1])) out.add(new int[]{path[p], p});
        return out;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
