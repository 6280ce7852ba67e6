package dev.reformer.pipeline;

import dev.reformer.audio.AudioException;
import dev.reformer.audio.FeatureConfig;
import dev.reformer.audio.StreamingFeatureExtractor;
import dev.reformer.audio.VoiceActivityDetector;
import dev.reformer.protocol.Codes.Encoding;
import dev.reformer.protocol.Codes.Stage;
import dev.reformer.protocol.DeadLetterReason;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
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
 * <p>Every record ends in a window or a dead letter: records still waiting for a missing seq when the stream closes,
 * data after eos, a repeated eos and the rest of a refused stream are reported too. What a record may cost is
 * bounded before the work is done ({@link JobSettings.Admission}): its audio is decoded a slice at a time and
 * refused once it holds more than the record's or the stream's limit, a WAV header's rate is checked before any
 * sample is decoded, the reorder buffer has a byte bound and the instance a bound on streams.
 *
 * Keyed state, all of it declared here: the front-end's snapshot, the next expected seq, a reorder buffer of
 * at most maxReorder records and maxReorderBytes bytes, the stream's audio format, the frames not yet behind the
 * next window start, the next window's index and start, the idle timer; and after a stream closed, a
 * {@link Closed} marker until the idle timeout, so that its late records are told apart from a new stream.
 * A bad chunk is a dead letter and leaves the state as it was before it. The reorder buffer is read and written by
 * {@link ReorderBuffer}, the frames and windows by {@link WindowCutter}, and a record's audio is decoded within the
 * limits by {@link AudioDecoding}.
 */
public class StreamAssembler extends KeyedProcessFunction<String, StreamEvent, Window> implements CheckpointedFunction {
    private final JobSettings settings;
    private final JobSettings.Admission limits;
    private final FeatureConfig features;
    private final boolean utterances;

    private transient AudioDecoding decoding;
    private transient ValueState<byte[]> extractorState;
    private transient ValueState<Long> nextSeq;
    private transient ReorderBuffer reorder;
    private transient ValueState<String> format;
    private transient WindowCutter windows;
    private transient ValueState<Long> idleTimer;
    private transient ValueState<Closed> closed;
    /** True while the stream counts toward {@link JobSettings.Admission#maxStreams()}. */
    private transient ValueState<Boolean> counted;
    private transient Counter deadLetters;
    /** Streams of this instance holding buffers (audio or waiting records); checkpointed, so a restored instance keeps counting. */
    private transient long liveStreams;
    private transient ListState<Long> liveStreamsState;

    /** What is left of a stream that ended (eos) or was refused, until its idle timeout: its late records get their own reasons. */
    public static class Closed {
        /** Ended: the eos record's seq. Refused: the refused record's seq. */
        public long seq;
        /** Null when the stream ended with eos; else the reason it was refused (a dead letter said it once). */
        public String refusedFor;

        public Closed() {}

        static Closed ended(long seq) {
            Closed c = new Closed();
            c.seq = seq;
            return c;
        }

        static Closed refused(long seq, String reason) {
            Closed c = ended(seq);
            c.refusedFor = reason;
            return c;
        }
    }

    /** utterances: also end windows (and transcripts) where speech ends, not only at the stream's end. */
    public StreamAssembler(JobSettings settings, FeatureConfig features, boolean utterances) {
        this.settings = settings;
        this.limits = settings.admission();
        this.features = features;
        this.utterances = utterances;
    }

    @Override
    public void open(OpenContext context) {
        // streams are closed by their idle timer, which every stream with state has; TTL is only a backstop. The reorder
        // buffer has none: a record expiring there would vanish without a dead letter, and the idle timer reports it
        decoding = new AudioDecoding(features, limits);
        StateTtlConfig ttl = StateTtlConfig.newBuilder(Duration.ofMillis(Math.max(60_000, 10 * settings.idleTimeoutMs()))).build();
        extractorState = state("extractor", TypeInformation.of(byte[].class), ttl);
        nextSeq = state("next-seq", TypeInformation.of(Long.class), ttl);
        format = state("format", TypeInformation.of(String.class), ttl);
        windows = new WindowCutter(settings.windowFrames(), settings.hopFrames(), features.dimension(),
                state("frames", TypeInformation.of(float[].class), ttl), state("frames-start", TypeInformation.of(Long.class), ttl),
                state("window-index", TypeInformation.of(Long.class), ttl), state("window-start", TypeInformation.of(Long.class), ttl),
                state("covered-until", TypeInformation.of(Long.class), ttl), state("newest-timestamp", TypeInformation.of(Long.class), ttl));
        idleTimer = state("idle-timer", TypeInformation.of(Long.class), ttl);
        reorder = new ReorderBuffer(getRuntimeContext().getMapState(new MapStateDescriptor<>("reorder-waiting", Long.class, StreamEvent.class)),
                getRuntimeContext().getState(new ValueStateDescriptor<>("reorder-bytes", Long.class)));
        closed = getRuntimeContext().getState(new ValueStateDescriptor<>("closed", Closed.class));
        counted = getRuntimeContext().getState(new ValueStateDescriptor<>("counted", Boolean.class));
        deadLetters = getRuntimeContext().getMetricGroup().counter("deadLettersAssembly");
        getRuntimeContext().getMetricGroup().gauge("activeStreams", () -> liveStreams);
    }

    private <T> ValueState<T> state(String name, TypeInformation<T> type, StateTtlConfig ttl) {
        ValueStateDescriptor<T> descriptor = new ValueStateDescriptor<>(name, type);
        descriptor.enableTimeToLive(ttl);
        return getRuntimeContext().getState(descriptor);
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        liveStreamsState = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("live-streams", Long.class));
        liveStreams = 0;
        for (Long n : liveStreamsState.get()) liveStreams += n;   // after a rescale only a sum of the old instances' counts
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        liveStreamsState.update(List.of(liveStreams));
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
        if (closed.value() != null && lateForClosedStream(event, ctx)) return;
        long expected = nextSeq.value() == null ? 0 : nextSeq.value();
        if (event.seq < expected || reorder.contains(event.seq)) {
            deadLetter(ctx, DeadLetterReason.DUPLICATE_SEQ, "seq " + event.seq + " of stream " + event.streamId
                    + " was already received; the duplicate is dropped (results are not repeated)", event.source);
            return;
        }
        if (event.seq > expected) {
            waitForMissing(event, expected, ctx);
            return;
        }
        if (!admitStream(event, ctx)) return;
        resetIdleTimer(ctx);
        process(event, ctx, out);
        for (long next = event.seq + 1; isOpen() && reorder.contains(next); next++) process(reorder.take(next), ctx, out);
    }

    /**
     * A record of a stream that ended or was refused: reported, unless it is seq 0 after an eos, which starts the
     * stream afresh (returns false then, the marker gone).
     */
    private boolean lateForClosedStream(StreamEvent event, Context ctx) throws Exception {
        Closed c = closed.value();
        if (c.refusedFor == null && event.seq == 0) {
            closed.clear();
            return false;
        }
        if (event.seq <= c.seq) {
            boolean repeatedEos = event.eos && event.seq == c.seq && c.refusedFor == null;
            deadLetter(ctx, repeatedEos ? DeadLetterReason.DUPLICATE_EOS : DeadLetterReason.DUPLICATE_SEQ, "seq " + event.seq + " of stream " + event.streamId
                    + (repeatedEos ? " is its eos again" : " was already received") + "; the duplicate is dropped", event.source);
        } else if (c.refusedFor == null) {
            deadLetter(ctx, DeadLetterReason.AFTER_EOS, "seq " + event.seq + " of stream " + event.streamId + " came after its eos at seq " + c.seq
                    + "; a stream ends with eos (a new stream under the same key starts at seq 0)", event.source);
        } else {
            deadLetter(ctx, DeadLetterReason.STREAM_REFUSED, "stream " + event.streamId + " was refused at seq " + c.seq + " (" + c.refusedFor
                    + ", reported then); its records are dropped until its eos", event.source);
            if (event.eos) closed.update(Closed.ended(event.seq));
        }
        return true;
    }

    /** A record ahead of the next expected seq waits for the missing ones, within the reorder bounds. */
    private void waitForMissing(StreamEvent event, long expected, Context ctx) throws Exception {
        long waitingBytes = reorder.bytes();
        if (event.seq - expected > settings.maxReorder()) {
            deadLetter(ctx, DeadLetterReason.SEQ_GAP, "seq " + event.seq + " is " + (event.seq - expected) + " ahead of the next expected seq "
                    + expected + ", beyond the reorder bound of " + settings.maxReorder() + "; records in between are missing", event.source);
        } else if (waitingBytes + event.payload.length > limits.maxReorderBytes()) {
            deadLetter(ctx, DeadLetterReason.REORDER_FULL, "seq " + event.seq + " of stream " + event.streamId + " would wait for seq " + expected
                    + ", but " + waitingBytes + " bytes already wait and the bound is " + limits.maxReorderBytes()
                    + " (--max-reorder-bytes); send a stream's records in order", event.source);
        } else if (admitStream(event, ctx)) {
            reorder.add(event);
            resetIdleTimer(ctx);
        }
    }

    /** A stream about to hold buffers counts toward the instance's bound; false (and a dead letter) when it is full. */
    private boolean admitStream(StreamEvent event, Context ctx) throws Exception {
        if (counted.value() != null) return true;
        if (liveStreams >= limits.maxStreams()) {
            deadLetter(ctx, DeadLetterReason.TOO_MANY_STREAMS, "this instance already holds " + liveStreams + " open streams, its bound (--max-streams "
                    + limits.maxStreams() + "); stream " + event.streamId + " is not opened: close streams with eos or add parallelism", event.source);
            return false;
        }
        counted.update(true);
        liveStreams++;
        return true;
    }

    /** True while the stream is neither ended nor refused. */
    private boolean isOpen() throws Exception {
        return closed.value() == null && nextSeq.value() != null;
    }

    /** One audio record, in order. */
    private void process(StreamEvent event, Context ctx, Collector<Window> out) throws Exception {
        nextSeq.update(event.seq + 1);
        windows.taken(event.source.timestamp);
        String thisFormat = event.encoding + (event.encoding.equals(Encoding.WAV.code()) ? "" : "/" + event.sampleRate + "Hz/" + event.channels + "ch");
        if (format.value() == null) {
            format.update(thisFormat);
        } else if (!format.value().equals(thisFormat)) {
            deadLetter(ctx, DeadLetterReason.FORMAT_CHANGED, "stream " + event.streamId + " started as " + format.value() + " and this record says "
                    + thisFormat + "; a stream keeps one encoding, sample rate and channel count (send eos, then start again)"
                    + (event.eos ? "; its eos still ends the stream" : ""), event.source);
            if (event.eos) endStream(ctx, out, event, true);
            return;
        }
        boolean reported = false;
        if (event.payload.length > 0) {
            try {
                takeAudio(event, out);
            } catch (AudioDecoding.Refusal r) {
                deadLetter(ctx, r.reason, r.getMessage(), event.source);
                if (r.terminal && !event.eos) {
                    refuseStream(ctx, out, event, r.reason);
                    return;
                }
                reported = true;
            }
        }
        if (event.eos) endStream(ctx, out, event, reported);
    }

    /** Decodes the record's audio within the limits and emits the windows it completes; on a refusal the state stays as it was. */
    private void takeAudio(StreamEvent event, Collector<Window> out) throws Exception {
        AudioDecoding.Taken taken = decoding.decode(extractorState.value(), event);
        extractorState.update(taken.extractorState());
        for (float[][] f : taken.frames()) windows.addFrames(f);
        if (utterances) {
            for (VoiceActivityDetector.Event e : taken.speech()) {
                if (e.type() == VoiceActivityDetector.Event.Type.SPEECH_END) windows.emit(event.streamId, out, Window.SPEECH_END, e.frame());
            }
        }
        windows.emit(event.streamId, out, null, Long.MAX_VALUE);
    }

    /** The stream's eos: its last windows, then a marker that reports late records until the idle timeout. */
    private void endStream(Context ctx, Collector<Window> out, StreamEvent eos, boolean eosReported) throws Exception {
        if (extractorState.value() == null && !eosReported) {
            deadLetter(ctx, DeadLetterReason.EOS_BEFORE_AUDIO, "stream " + eos.streamId + " ended (eos) before any audio arrived;"
                    + " nothing to recognise", eos.source);
        }
        flush(ctx, out, Window.EOS, eos.source);
        reportWaiting(ctx, DeadLetterReason.AFTER_EOS, "came after the stream's eos at seq " + eos.seq
                + " (it had arrived early and waited); a stream ends with eos");
        forget(ctx);
        closed.update(Closed.ended(eos.seq));
        resetIdleTimer(ctx);
    }

    /** A record made the stream unusable (its header, its state): the windows so far close, later records are reported until eos. */
    private void refuseStream(Context ctx, Collector<Window> out, StreamEvent event, DeadLetterReason reason) throws Exception {
        if (extractorState.value() != null) windows.emit(event.streamId, out, Window.REFUSED, Long.MAX_VALUE);
        reportWaiting(ctx, DeadLetterReason.STREAM_REFUSED, "its stream was refused at seq " + event.seq + " (" + reason + ", reported then)");
        forget(ctx);
        closed.update(Closed.refused(event.seq, reason.code()));
        resetIdleTimer(ctx);
    }

    /** End of the stream's audio (eos, or idle): finish the front-end and emit the remaining windows. */
    private void flush(Context ctx, Collector<Window> out, String ending, RawRecord eos) throws Exception {
        if (extractorState.value() == null) return;
        try {
            StreamingFeatureExtractor extractor = StreamingFeatureExtractor.restore(extractorState.value());
            windows.addFrames(extractor.finish().frames());
        } catch (AudioException e) {
            deadLetter(ctx, DeadLetterReason.valueOf(e.kind().name()), (eos == null ? "stream " + ctx.getCurrentKey() + " went idle for "
                    + settings.idleTimeoutMs() + " ms and was closed: " : "at the end of stream " + ctx.getCurrentKey() + ": ")
                    + e.getMessage(), eos);
        } catch (RuntimeException e) {
            deadLetter(ctx, DeadLetterReason.FRONTEND_FAILED, "the audio front-end failed at the end of stream " + ctx.getCurrentKey() + " (" + e + ")", eos);
        }
        windows.emit(ctx.getCurrentKey(), out, ending, Long.MAX_VALUE);
    }

    /** Each record still in the reorder buffer becomes a dead letter, in seq order. */
    private void reportWaiting(Context ctx, DeadLetterReason reason, String why) throws Exception {
        for (StreamEvent e : reorder.drain()) deadLetter(ctx, reason, "seq " + e.seq + " of stream " + e.streamId + " " + why, e.source);
    }

    /** Drops the stream's buffers (not its {@link Closed} marker) and frees its place among the instance's streams. */
    private void forget(Context ctx) throws Exception {
        if (counted.value() != null) liveStreams = Math.max(0, liveStreams - 1);
        counted.clear();
        extractorState.clear();
        nextSeq.clear();
        reorder.clear();
        format.clear();
        windows.clear();
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
        if (closed.value() != null) {   // a closed stream's marker has served its time
            closed.clear();
            return;
        }
        // an idle stream is closed as if it had sent eos; what still waits for a missing seq is reported
        flush(ctx, out, Window.IDLE, null);
        reportWaiting(ctx, DeadLetterReason.SEQ_MISSING, "waited for seq " + (nextSeq.value() == null ? 0 : nextSeq.value())
                + ", which had not come when the stream went idle (" + settings.idleTimeoutMs() + " ms)");
        forget(ctx);
    }

    private void deadLetter(Context ctx, DeadLetterReason reason, String detail, RawRecord source) {
        deadLetters.inc();
        DeadLetter letter = DeadLetter.of(reason, detail, Stage.ASSEMBLY, source);
        if (letter.streamId == null) letter.streamId = ctx.getCurrentKey();
        ctx.output(Validation.DEAD_LETTERS, letter);
    }
}
