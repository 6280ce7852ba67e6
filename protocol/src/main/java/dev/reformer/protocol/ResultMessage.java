package dev.reformer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.reformer.protocol.Codes.Ending;
import dev.reformer.protocol.Codes.Input;
import dev.reformer.protocol.Codes.Kind;
import java.util.Map;

/**
 * One line of the {@code results} topic (docs/PROTOCOL.md): a label, a partial or final transcript, or the end of a
 * stream whose last window was already reported. Fields a kind does not have are null (and not written).
 *
 * @param stream       the stream id for people (invalid UTF-8 of the key shown as U+FFFD); null without a key
 * @param streamBase64 the exact key, only when it is not UTF-8 text
 * @param last         "final": the stream's (or utterance's) last result; null for text
 * @param windows      {@code end}: the windows the stream had
 * @param seq          text: the message's seq, when it had one
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"stream", "stream_base64", "input", "kind", "label", "confidence", "scores", "text", "window", "seq", "final",
        "ending", "windows", "model", "latency_ms", "queued_ms", "inference_ms"})
public record ResultMessage(
        String stream,
        @JsonProperty("stream_base64") String streamBase64,
        Input input,
        Kind kind,
        String label,
        Double confidence,
        Map<String, Double> scores,
        String text,
        WindowSpan window,
        Long seq,
        @JsonProperty("final") Boolean last,
        Ending ending,
        Long windows,
        ModelVersion model,
        @JsonProperty("latency_ms") Long latencyMs,
        @JsonProperty("queued_ms") Long queuedMs,
        @JsonProperty("inference_ms") Long inferenceMs) {

    /** An audio window's frames [startFrame, endFrame), and its times: frame f starts at f / 100 s and lasts 25 ms. */
    public record WindowSpan(long index, @JsonProperty("start_s") double startS, @JsonProperty("end_s") double endS,
                             @JsonProperty("start_frame") long startFrame, @JsonProperty("end_frame") long endFrame) {
        public static WindowSpan of(long index, long startFrame, long endFrame) {
            return new WindowSpan(index, startFrame / 100.0, (endFrame + 1.5) / 100.0, startFrame, endFrame);
        }
    }

    /** The model that answered: its name and the first 12 hex digits of its weights' SHA-256. */
    public record ModelVersion(String name, String version) {}

    /** A classification (audio window or text message): scores by label, the best one named with its probability. */
    public static ResultMessage label(String stream, String streamBase64, Input input, String label, double confidence,
                                      Map<String, Double> scores, ModelVersion model) {
        return new ResultMessage(stream, streamBase64, input, Kind.LABEL, label, confidence, scores, null, null, null, null, null,
                null, model, null, null, null);
    }

    /** The end of an audio stream whose last window was already reported. */
    public static ResultMessage end(String stream, String streamBase64, long windows, Ending ending, ModelVersion model) {
        return new ResultMessage(stream, streamBase64, Input.AUDIO, Kind.END, null, null, null, null, null, null, true, ending,
                windows, model, null, null, null);
    }

    /** A transcript of audio: partial (so far), or final (the utterance's or stream's last window, with its ending). */
    public static ResultMessage transcript(String stream, String streamBase64, String text, WindowSpan window, boolean last,
                                           Ending ending, ModelVersion model) {
        return new ResultMessage(stream, streamBase64, Input.AUDIO, last ? Kind.FINAL : Kind.PARTIAL, null, null, null, text, window,
                null, last, ending, null, model, null, null, null);
    }

    /** This result of an audio window: where the window is, whether it is the last and what ended with it. */
    public ResultMessage inWindow(WindowSpan window, boolean last, Ending ending) {
        return new ResultMessage(stream, streamBase64, input, kind, label, confidence, scores, text, window, seq, last, ending, windows,
                model, latencyMs, queuedMs, inferenceMs);
    }

    /** This result of a text message with a seq. */
    public ResultMessage withSeq(long seq) {
        return new ResultMessage(stream, streamBase64, input, kind, label, confidence, scores, text, window, seq, last, ending, windows,
                model, latencyMs, queuedMs, inferenceMs);
    }

    /** This result with its latency and (for labels, else null) how long it queued and how long its batch's inference took. */
    public ResultMessage withTimes(long latencyMs, Long queuedMs, Long inferenceMs) {
        return new ResultMessage(stream, streamBase64, input, kind, label, confidence, scores, text, window, seq, last, ending, windows,
                model, latencyMs, queuedMs, inferenceMs);
    }

    /** "final" as a plain boolean (false when absent); not a bean getter, so Jackson does not take it for a field. */
    public boolean marksFinal() {
        return Boolean.TRUE.equals(last);
    }
}
