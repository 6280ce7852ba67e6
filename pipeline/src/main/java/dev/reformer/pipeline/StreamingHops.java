package dev.reformer.pipeline;

import dev.reformer.model.StreamState;
import dev.reformer.pipeline.ModelControl.Served;
import dev.reformer.task.StreamingTranscription;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a streaming transcriber ({@code streaming_context_length} in its config): the job then cuts each stream into
 * hops that do not overlap, and each hop goes once through the model against the stream's cache of its past (its
 * last 30 s, say), which lives in keyed state, is checkpointed with the rest, and is restored after a failure.
 *
 * <p>The cache is kept as a small carry-over ({@code stream-carry}: the model version, the frames waiting, the
 * positions each layer holds) and one map entry per layer and position ({@code stream-entries}), so a hop writes only
 * the positions it added and removes the ones that fell out of reach: a few KB, not the whole context, with any state
 * backend. The operator also keeps recently served streams' caches deserialised, as many as fit in a quarter of its
 * heap; that copy is only a memo of the keyed state (a stream not in it, or after a restore, is read back from the
 * state), and is used only while its position matches the carry-over's.
 *
 * <p>A stream that ends (eos, idle, refused) frees its cache; one idle past the state's TTL loses it too. A cache
 * written by another model (a swap) is not used: the stream starts afresh with the new model, as it does when its
 * state cannot be read back whole.
 */
final class StreamingHops {
    private static final Logger LOG = LoggerFactory.getLogger(StreamingHops.class);
    private static final int POSITION_BITS = 48;

    /** A stream's carry-over, and the version of the model that wrote it. */
    public static class Carry {
        public String modelVersion;
        public byte[] state;

        public Carry() {}

        Carry(String modelVersion, byte[] state) {
            this.modelVersion = modelVersion;
            this.state = state;
        }
    }

    private transient ValueState<Carry> carries;
    private transient MapState<Long, byte[]> entries;
    private transient Map<String, StreamingTranscription.State> deserialised;
    private transient Served servedFor;
    private transient StreamingTranscription transcription;

    /** Whether the model is served this way. */
    static boolean serves(Served audio) {
        return audio != null && audio.model().config().isStreaming();
    }

    void open(RuntimeContext context, Duration ttl) {
        StateTtlConfig expiry = StateTtlConfig.newBuilder(ttl).build();
        ValueStateDescriptor<Carry> carry = new ValueStateDescriptor<>("stream-carry", Carry.class);
        carry.enableTimeToLive(expiry);
        carries = context.getState(carry);
        MapStateDescriptor<Long, byte[]> entry = new MapStateDescriptor<>("stream-entries", Types.LONG,
                PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
        entry.enableTimeToLive(expiry);
        entries = context.getMapState(entry);
        deserialised = new LinkedHashMap<>(16, 0.75f, true);
    }

    /** Runs the window's frames (one hop) through the model against the stream's cache; the reading for the stitcher. */
    Decoded hop(Window w, Served audio) {
        try {
            return hopOrThrow(w, audio);
        } catch (Exception e) {
            if (e instanceof RuntimeException r) throw r;
            throw new IllegalStateException("the state backend failed on stream " + StreamKeys.display(w.streamId) + "'s cache", e);
        }
    }

    private Decoded hopOrThrow(Window w, Served audio) throws Exception {
        if (servedFor != audio) {
            transcription = new StreamingTranscription(audio.model());
            servedFor = audio;
            deserialised.clear();
        }
        String version = audio.ref().version();
        StreamingTranscription.State state = current(w, version);
        StreamState.Mark before = state.encoder().mark();

        StreamingTranscription.Hop hop = transcription.step(state, w.frameRows());

        boolean streamEnded = w.ending != null && !Window.SPEECH_END.equals(w.ending);
        if (streamEnded) {
            forget(w.streamId);
        } else {
            state.encoder().changesSince(before, new StreamState.Changes() {
                @Override
                public void removed(int layer, long position) {
                    try {
                        entries.remove(key(layer, position));
                    } catch (Exception e) {
                        throw new IllegalStateException("the state backend failed removing a stream cache entry", e);
                    }
                }

                @Override
                public void added(int layer, long position, byte[] entry) {
                    try {
                        entries.put(key(layer, position), entry);
                    } catch (Exception e) {
                        throw new IllegalStateException("the state backend failed writing a stream cache entry", e);
                    }
                }
            });
            carries.update(new Carry(version, state.carryBytes()));
            remember(w.streamId, state);
        }
        return Decoded.of(w, hop.path(), audio);
    }

    /** The stream's state as the keyed state has it: the memo when it is at the same position, else read back. */
    private StreamingTranscription.State current(Window w, String version) throws Exception {
        Carry carry = carries.value();
        StreamingTranscription.State memo = deserialised.get(w.streamId);
        if (carry == null || !version.equals(carry.modelVersion)) {
            if (carry != null) LOG.info("stream {}: its cache was written by model version {}, version {} serves now; it starts afresh",
                    StreamKeys.display(w.streamId), carry.modelVersion, version);
            return afresh(w.streamId);
        }
        if (memo != null && java.util.Arrays.equals(memo.carryBytes(), carry.state)) return memo;
        try {
            return StreamingTranscription.State.fromCarry(carry.state, (layer, position) -> read(key(layer, position)), transcription);
        } catch (IllegalArgumentException e) {
            LOG.warn("stream {}: its cache cannot be read back ({}); it starts afresh", StreamKeys.display(w.streamId), e.getMessage());
            return afresh(w.streamId);
        }
    }

    private byte[] read(long key) {
        try {
            return entries.get(key);
        } catch (Exception e) {
            throw new IllegalStateException("the state backend failed reading a stream cache entry", e);
        }
    }

    private StreamingTranscription.State afresh(String streamId) throws Exception {
        forget(streamId);
        return transcription.newState();
    }

    private void forget(String streamId) throws Exception {
        carries.clear();
        entries.clear();
        deserialised.remove(streamId);
    }

    private void remember(String streamId, StreamingTranscription.State state) {
        deserialised.put(streamId, state);
        long budget = Runtime.getRuntime().maxMemory() / 4, each = Math.max(1, state.sizeInBytes());
        while (deserialised.size() > Math.max(1, budget / each)) {
            var eldest = deserialised.keySet().iterator();
            eldest.next();
            eldest.remove();
        }
    }

    /** A map key: the layer in the top bits, the stream position below (2^48 positions is 350 years of 40 ms). */
    private static long key(int layer, long position) {
        return ((long) layer << POSITION_BITS) | position;
    }
}
