package dev.reformer.pipeline;

import dev.reformer.pipeline.ModelControl.Served;
import dev.reformer.task.StreamingTranscription;
import java.time.Duration;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a streaming transcriber ({@code streaming_context_length} in its config): the job then cuts each stream into
 * hops that do not overlap, and each hop goes once through the model against the stream's cache of its past (its
 * last 30 s, say), which lives in keyed state, is checkpointed with the rest, and is restored after a failure. A stream
 * that ends (eos, idle, refused) frees its cache; one idle past the state's TTL loses it too. A cache written by another
 * model (a swap) is not used: the stream starts afresh with the new model.
 */
final class StreamingHops {
    private static final Logger LOG = LoggerFactory.getLogger(StreamingHops.class);

    /** A stream's cache, and the version of the model that wrote it. */
    public static class CachedStream {
        public String modelVersion;
        public byte[] state;

        public CachedStream() {}

        CachedStream(String modelVersion, byte[] state) {
            this.modelVersion = modelVersion;
            this.state = state;
        }
    }

    private transient ValueState<CachedStream> caches;
    private transient Served servedFor;
    private transient StreamingTranscription transcription;

    /** Whether the model is served this way. */
    static boolean serves(Served audio) {
        return audio != null && audio.model().config().isStreaming();
    }

    void open(RuntimeContext context, Duration ttl) {
        ValueStateDescriptor<CachedStream> descriptor = new ValueStateDescriptor<>("stream-cache", CachedStream.class);
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(ttl).build());
        caches = context.getState(descriptor);
    }

    /** Runs the window's frames (one hop) through the model against the stream's cache; the reading for the stitcher. */
    Decoded hop(Window w, Served audio) {
        try {
            return hopOrThrow(w, audio);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("the state backend failed on stream " + StreamKeys.display(w.streamId) + "'s cache", e);
        }
    }

    private Decoded hopOrThrow(Window w, Served audio) throws java.io.IOException {
        if (servedFor != audio) {
            transcription = new StreamingTranscription(audio.model());
            servedFor = audio;
        }
        String version = audio.ref().version();
        StreamingTranscription.State state = restore(caches.value(), version, w);
        StreamingTranscription.Hop hop = transcription.step(state, w.frameRows());
        boolean streamEnded = w.ending != null && !Window.SPEECH_END.equals(w.ending);
        if (streamEnded) caches.clear();
        else caches.update(new CachedStream(version, state.toBytes()));
        return Decoded.of(w, hop.path(), audio);
    }

    private StreamingTranscription.State restore(CachedStream cached, String version, Window w) {
        if (cached == null) return transcription.newState();
        if (!version.equals(cached.modelVersion)) {
            LOG.info("stream {}: its cache was written by model version {}, version {} serves now; it starts afresh",
                    StreamKeys.display(w.streamId), cached.modelVersion, version);
            return transcription.newState();
        }
        try {
            return StreamingTranscription.State.fromBytes(cached.state, transcription);
        } catch (IllegalArgumentException e) {
            LOG.warn("stream {}: its cache cannot be read ({}); it starts afresh", StreamKeys.display(w.streamId), e.getMessage());
            return transcription.newState();
        }
    }
}
