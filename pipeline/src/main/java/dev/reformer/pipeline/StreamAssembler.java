package dev.reformer.pipeline;

import dev.reformer.audio.AudioException;
import dev.reformer.audio.FeatureConfig;
import dev.reformer.audio.PcmDecoder;
import dev.reformer.audio.StreamingFeatureExtractor;
import dev.reformer.audio.VoiceActivityDetector;
import java.time.Duration;
import java.util.Arrays;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Per stream (keyed by stream id): puts audio records in seq order, turns their bytes into feature frames and
 * cuts the frames into windows of W frames every H frames; a text message is one window. Flushes a stream on
 * eos or after an idle timeout, and then forgets it.
 *
 * <p>For a transcriber ({@code utterances}), the end of speech that the front-end's voice activity detector
 * reports (300 ms of quiet) also closes the windows: the frames since the last window start go out as a last
 * window, so the transcript is final there, and windows start afresh after it. The stream itself goes on.
 *
 * Keyed state, all of it declared here: the front-end's snapshot, the next expected seq, a reorder buffer of
 * at most maxReorder records, the stream's audio format, the frames not yet behind the next window start, the
 * next window's index and start, the idle timer. A bad chunk is a dead letter and leaves the state as it was before it.
 */
public class StreamAssembler extends KeyedProcessFunction<String, StreamEvent, Window> {
    static final String STAGE = "assembly";

    private final JobSettings settings;
    private final FeatureConfig features;
    private final boolean utterances;

    private transient ValueState<byte[]> extractorState;
    private transient ValueState<Long> nextSeq;
    private transient MapState<Long, StreamEvent> reorder;
    private transient ValueState<String> format;
    /** Frames from frame index bufferStart on, flattened. */
    private transient ValueState<float[]> frameBuffer;
    private transient ValueState<Long> bufferStart;
    private transient ValueState<Long> windowIndex;
    /** Where the next window starts; windows start every H frames from the stream's or utterance's start. */
    private transient ValueState<Long> windowStart;
    /** The end of the last window given out: a stream or utterance ending there needs no tail window. */
    private transient ValueState<Long> coveredUntil;
    private transient ValueState<Long> idleTimer;
    private transient ValueState<Long> newestTimestamp;
    private transient Counter deadLetters;
    /** Streams of this instance with audio state (since it started: a restored instance counts afresh). */
    private transient long activeStreams;

    /** utterances: also end windows (and transcripts) where speech ends, not only at the stream's end. */
    public StreamAssembler(JobSettings settings, FeatureConfig features, boolean utterances) {
        this.settings = settings;
        this.features = features;
        this.utterances = utterances;
    }

    @Override
    public void open(OpenContext context) {
        // abandoned streams are also flushed by the idle timer; TTL is the backstop that keeps state bounded
        StateTtlConfig ttl = StateTtlConfig.newBuilder(Duration.ofMillis(Math.max(60_000, 10 * settings.idleTimeoutMs()))).build();
        extractorState = state("extractor", TypeInformation.of(byte[].class), ttl);
        nextSeq = state("next-seq", TypeInformation.of(Long.class), ttl);
        format = state("format", TypeInformation.of(String.class), ttl);
        frameBuffer = state("frames", TypeInformation.of(float[].class), ttl);
        bufferStart = state("frames-start", TypeInformation.of(Long.class), ttl);
        windowIndex = state("window-index", TypeInformation.of(Long.class), ttl);
        windowStart = state("window-start", TypeInformation.of(Long.class), ttl);
        coveredUntil = state("covered-until", TypeInformation.of(Long.class), ttl);
        idleTimer = state("idle-timer", TypeInformation.of(Long.class), ttl);
        newestTimestamp = state("newest-timestamp", TypeInformation.of(Long.class), ttl);
        MapStateDescriptor<Long, StreamEvent> reorderDescriptor = new MapStateDescriptor<>("reorder", Long.class, StreamEvent.class);
        reorderDescriptor.enableTimeToLive(ttl);
        reorder = getRuntimeContext().getMapState(reorderDescriptor);
        deadLetters = getRuntimeContext().getMetricGroup().counter("deadLettersAssembly");
        getRuntimeContext().getMetricGroup().gauge("activeStreams", () -> activeStreams);
    }

    private <T> ValueState<T> state(String name, TypeInformation<T> type, StateTtlConfig ttl) {
        ValueStateDescriptor<T> descriptor = new ValueStateDescriptor<>(name, type);
        descriptor.enableTimeToLive(ttl);
        return getRuntimeContext().getState(descriptor);
    }

    @Override
    public void processElement(StreamEvent event, Context ctx, Collector<Window> out) throws Exception {
        if (event.kind == StreamEvent.TEXT) {   // a message is whole: nothing of it waits, so no timer and no state
            Window w = new Window();
            w.streamId = event.streamId;
            w.kind = StreamEvent.TEXT;
            w.index = event.seq;
            w.text = event.payload;
            w.last = true;
            w.sourceTimestamp = event.source.timestamp;
            out.collect(w);
            return;
        }
        resetIdleTimer(ctx);
        long expected = nextSeq.value() == null ? 0 : nextSeq.value();
        if (event.seq < expected || reorder.contains(event.seq)) {
            deadLetter(ctx, "duplicate_seq", "seq " + event.seq + " of stream " + event.streamId
                    + " was already received; the duplicate is dropped (results are not repeated)", event.source);
            return;
        }
        if (event.seq > expected) {
            if (event.seq - expected > settings.maxReorder()) {
                deadLetter(ctx, "seq_gap", "seq " + event.seq + " is " + (event.seq - expected) + " ahead of the next expected seq "
                        + expected + ", beyond the reorder bound of " + settings.maxReorder() + "; records in between are missing", event.source);
            } else {
                reorder.put(event.seq, event);
            }
            return;
        }
        process(event, ctx, out);
        for (long next = event.seq + 1; !isEnded() && reorder.contains(next); next++) {
            StreamEvent waiting = reorder.get(next);
            reorder.remove(next);
            process(waiting, ctx, out);
        }
    }

    /** True once an eos cleared the stream (its next seq is gone). */
    private boolean isEnded() throws Exception {
        return nextSeq.value() == null && extractorState.value() == null;
    }

    /** One audio record, in order. */
    private void process(StreamEvent event, Context ctx, Collector<Window> out) throws Exception {
        nextSeq.update(event.seq + 1);
        newestTimestamp.update(event.source.timestamp);
        String thisFormat = event.encoding + (event.encoding.equals("wav") ? "" : "/" + event.sampleRate + "Hz/" + event.channels + "ch");
        if (format.value() == null) {
            format.update(thisFormat);
        } else if (!format.value().equals(thisFormat)) {
            deadLetter(ctx, "format_changed", "stream " + event.streamId + " started as " + format.value() + " and this record says "
                    + thisFormat + "; a stream keeps one encoding, sample rate and channel count (send eos, then start again)", event.source);
            return;
        }
        if (event.payload.length > 0) {
            StreamingFeatureExtractor extractor = extractorState.value() != null
                    ? StreamingFeatureExtractor.restore(extractorState.value())
                    : StreamingFeatureExtractor.create(features, PcmDecoder.Encoding.parse(event.encoding), Math.max(1, event.sampleRate), Math.max(1, event.channels));
            StreamingFeatureExtractor.Output frames;
            try {
                frames = extractor.push(event.payload);
            } catch (AudioException e) {
                // the state keeps what it held before this record: later records of the stream are not harmed by it
                deadLetter(ctx, e.kind().name().toLowerCase(), e.getMessage(), event.source);
                if (event.eos) flush(ctx, out, event);
                return;
            }
            if (extractorState.value() == null) activeStreams++;
            extractorState.update(extractor.snapshot());
            addFrames(frames.frames());
            if (utterances) {
                for (VoiceActivityDetector.Event e : frames.events()) {
                    if (e.type() == VoiceActivityDetector.Event.Type.SPEECH_END) emitWindows(event.streamId, out, Window.SPEECH_END, e.frame());
                }
            }
            emitWindows(event.streamId, out, null, Long.MAX_VALUE);
        }
        if (event.eos) {
            if (extractorState.value() == null) {
                deadLetter(ctx, "eos_before_audio", "stream " + event.streamId + " ended (eos) before any audio arrived;"
                        + " nothing to recognise", event.source);
                clear(ctx);
                return;
            }
            flush(ctx, out, event);
        }
    }

    private void addFrames(float[][] frames) throws Exception {
        if (frames.length == 0) return;
        float[] buffer = frameBuffer.value() == null ? new float[0] : frameBuffer.value();
        int dims = features.dimension();
        float[] grown = Arrays.copyOf(buffer, buffer.length + frames.length * dims);
        for (int f = 0; f < frames.length; f++) System.arraycopy(frames[f], 0, grown, buffer.length + f * dims, dims);
        frameBuffer.update(grown);
        if (bufferStart.value() == null) bufferStart.update(0L);
    }

    /**
     * Emits every complete window; when something ends at frame until (ending: {@link Window#SPEECH_END},
     * {@link Window#EOS}, {@link Window#IDLE}; null while it goes on) also the rest before it, as the last window,
     * and the next window starts there.
     */
    private void emitWindows(String streamId, Collector<Window> out, String ending, long until) throws Exception {
        float[] buffer = frameBuffer.value() == null ? new float[0] : frameBuffer.value();
        int dims = features.dimension();
        long start = bufferStart.value() == null ? 0 : bufferStart.value();
        long index = windowIndex.value() == null ? 0 : windowIndex.value();
        long next = windowStart.value() == null ? 0 : windowStart.value();
        long covered = coveredUntil.value() == null ? -1 : coveredUntil.value();
        long available = start + buffer.length / dims;
        long end = ending == null ? available : Math.max(next, Math.min(until, available));   // windows stop here
        int w = settings.windowFrames(), h = settings.hopFrames();
        while (next + w <= end) {
            out.collect(window(streamId, buffer, start, next, next + w, index++, null));
            covered = next + w;
            next += h;
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
        int dims = features.dimension();
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

    /** End of the stream (eos, or idle when eos is null): finish the front-end, emit the remaining windows, forget the stream. */
    private void flush(Context ctx, Collector<Window> out, StreamEvent eos) throws Exception {
        if (extractorState.value() != null) {
            StreamingFeatureExtractor extractor = StreamingFeatureExtractor.restore(extractorState.value());
            try {
                addFrames(extractor.finish().frames());
            } catch (AudioException e) {
                deadLetter(ctx, e.kind().name().toLowerCase(), (eos == null ? "stream " + ctx.getCurrentKey() + " went idle for "
                        + settings.idleTimeoutMs() + " ms and was closed: " : "at the end of stream " + ctx.getCurrentKey() + ": ")
                        + e.getMessage(), eos == null ? null : eos.source);
            }
            emitWindows(ctx.getCurrentKey(), out, eos == null ? Window.IDLE : Window.EOS, Long.MAX_VALUE);
        }
        clear(ctx);
    }

    private void clear(Context ctx) throws Exception {
        if (extractorState.value() != null) activeStreams = Math.max(0, activeStreams - 1);
        extractorState.clear();
        nextSeq.clear();
        reorder.clear();
        format.clear();
        frameBuffer.clear();
        bufferStart.clear();
        windowIndex.clear();
        windowStart.clear();
        coveredUntil.clear();
        newestTimestamp.clear();
        if (idleTimer.value() != null) ctx.timerService().deleteProcessingTimeTimer(idleTimer.value());
        idleTimer.clear();
    }

    private void resetIdleTimer(Context ctx) throws Exception {
        if (idleTimer.value() != null) ctx.timerService().deleteProcessingTimeTimer(idleTimer.value());
        long at = ctx.timerService().currentProcessingTime() + settings.idleTimeoutMs();
        ctx.timerService().registerProcessingTimeTimer(at);
        idleTimer.update(at);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Window> out) throws Exception {
        if (idleTimer.value() == null || idleTimer.value() != timestamp) return;
        idleTimer.clear();
        flush(ctx, out, null);   // an idle stream is closed as if it had sent eos
    }

    private void deadLetter(Context ctx, String reason, String detail, RawRecord source) {
        deadLetters.inc();
        DeadLetter letter = DeadLetter.of(reason, detail, STAGE, source);
        if (letter.streamId == null) letter.streamId = ctx.getCurrentKey();
        ctx.output(Validation.DEAD_LETTERS, letter);
    }
}
