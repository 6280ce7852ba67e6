package dev.reformer.pipeline;

import java.util.Arrays;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.util.Collector;

/**
 * Cuts a stream's feature frames into windows of W frames every H frames, and closes them where something ends
 * (speech, the stream, a refusal). Its keyed state is declared by {@link StreamAssembler}: the frames not yet behind
 * the next window start, the next window's index and start, how far windows have covered, and the newest record's
 * Kafka timestamp (a window's latency counts from it).
 */
final class WindowCutter {
    private final int windowFrames, hopFrames, dims;
    /** Frames from frame index bufferStart on, flattened. */
    private final ValueState<float[]> frameBuffer;
    private final ValueState<Long> bufferStart;
    private final ValueState<Long> windowIndex;
    /** Where the next window starts; windows start every H frames from the stream's or utterance's start. */
    private final ValueState<Long> windowStart;
    /** The end of the last window given out: a stream or utterance ending there needs no tail window. */
    private final ValueState<Long> coveredUntil;
    private final ValueState<Long> newestTimestamp;

    WindowCutter(int windowFrames, int hopFrames, int dims, ValueState<float[]> frameBuffer, ValueState<Long> bufferStart,
                 ValueState<Long> windowIndex, ValueState<Long> windowStart, ValueState<Long> coveredUntil, ValueState<Long> newestTimestamp) {
        this.windowFrames = windowFrames;
        this.hopFrames = hopFrames;
        this.dims = dims;
        this.frameBuffer = frameBuffer;
        this.bufferStart = bufferStart;
        this.windowIndex = windowIndex;
        this.windowStart = windowStart;
        this.coveredUntil = coveredUntil;
        this.newestTimestamp = newestTimestamp;
    }

    /** The Kafka timestamp of the newest record taken in. */
    void taken(long timestamp) throws Exception {
        newestTimestamp.update(timestamp);
    }

    void addFrames(float[][] frames) throws Exception {
        if (frames.length == 0) return;
        float[] buffer = frameBuffer.value() == null ? new float[0] : frameBuffer.value();
        float[] grown = Arrays.copyOf(buffer, buffer.length + frames.length * dims);
        for (int f = 0; f < frames.length; f++) System.arraycopy(frames[f], 0, grown, buffer.length + f * dims, dims);
        frameBuffer.update(grown);
        if (bufferStart.value() == null) bufferStart.update(0L);
    }

    /**
     * Emits every complete window; when something ends at frame until (ending: {@link Window#SPEECH_END},
     * {@link Window#EOS}, {@link Window#IDLE}, {@link Window#REFUSED}; null while it goes on) also the rest before it,
     * as the last window, and the next window starts there.
     */
    void emit(String streamId, Collector<Window> out, String ending, long until) throws Exception {
        float[] buffer = frameBuffer.value() == null ? new float[0] : frameBuffer.value();
        long start = bufferStart.value() == null ? 0 : bufferStart.value();
        long index = windowIndex.value() == null ? 0 : windowIndex.value();
        long next = windowStart.value() == null ? 0 : windowStart.value();
        long covered = coveredUntil.value() == null ? -1 : coveredUntil.value();
        long available = start + buffer.length / dims;
        long end = ending == null ? available : Math.max(next, Math.min(until, available));   // windows stop here
        while (next + windowFrames <= end) {
            out.collect(window(streamId, buffer, start, next, next + windowFrames, index++, null));
            covered = next + windowFrames;
            next += hopFrames;
        }
        if (ending != null) {
            // the tail after the last complete window, or an empty closing window when nothing is left uncovered
            long from = covered >= end ? end : next;
            out.collect(window(streamId, buffer, start, from, end, index++, ending));
            // what follows (a next utterance) starts where no window has been yet: no frame is read twice
            covered = Math.max(covered, end);
            next = covered;
        }
        windowIndex.update(index);
        windowStart.update(next);
        coveredUntil.update(covered);
        long keepFrom = Math.min(next, available);
        if (keepFrom > start) {
            frameBuffer.update(Arrays.copyOfRange(buffer, (int) (keepFrom - start) * dims, buffer.length));
            bufferStart.update(keepFrom);
        }
    }

    private Window window(String streamId, float[] buffer, long bufferFrom, long from, long to, long index, String ending) throws Exception {
        Window w = new Window();
        w.streamId = streamId;
        w.kind = StreamEvent.AUDIO;
        w.index = index;
        w.startFrame = from;
        w.endFrame = to;
        w.last = ending != null;
        w.ending = ending;
        w.dims = dims;
        w.frames = Arrays.copyOfRange(buffer, (int) (from - bufferFrom) * dims, (int) (to - bufferFrom) * dims);
        w.sourceTimestamp = newestTimestamp.value() == null ? System.currentTimeMillis() : newestTimestamp.value();
        return w;
    }

    /** Forgets the stream's frames and windows. */
    void clear() {
        frameBuffer.clear();
        bufferStart.clear();
        windowIndex.clear();
        windowStart.clear();
        coveredUntil.clear();
        newestTimestamp.clear();
    }
}
