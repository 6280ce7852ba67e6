package dev.reformer.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo's bundled samples (samples/ at the repository root): audio.jsonl, one recorded stream per line with what is
 * said where, and text.jsonl, one message per line with the answer a model should give.
 *
 * <pre>
 * {"stream": "mic-1", "audio": "audio/mic-1.wav", "voice": "en-us+f5",
 *  "segments": [{"start": 0.77, "end": 1.23, "kind": "command", "text": "down", "label": "down"}, ...]}
 * {"stream": "mail-1", "text": "Subject: ...", "model": "spam", "expected": "ham"}
 * </pre>
 */
public record Samples(List<AudioSample> audio, List<TextSample> text) {

    /** A stretch of an audio stream: kind command, unknown, digits, noise or silence; text and label where spoken. */
    public record Segment(double start, double end, String kind, String text, String label) {
        public boolean spoken() {
            return kind.equals("command") || kind.equals("unknown") || kind.equals("digits");
        }
    }

    public record AudioSample(String stream, Path wav, String voice, List<Segment> segments) {}

    /** A message and the label the model named {@code model} (a model directory's name) should give it. */
    public record TextSample(String stream, String text, String model, String expected) {}

    public static Samples read(Path dir) throws IOException {
        Path audioFile = dir.resolve("audio.jsonl"), textFile = dir.resolve("text.jsonl");
        if (!Files.isRegularFile(audioFile) || !Files.isRegularFile(textFile)) {
            throw new IllegalArgumentException(dir + " holds no demo samples (audio.jsonl and text.jsonl); run from the repository's root, or give --samples DIR");
        }
        ObjectMapper json = new ObjectMapper();
        List<AudioSample> audio = new ArrayList<>();
        for (String line : Files.readAllLines(audioFile)) {
            if (line.isBlank()) continue;
            JsonNode n = json.readTree(line);
            List<Segment> segments = new ArrayList<>();
            for (JsonNode s : n.get("segments")) {
                segments.add(new Segment(s.get("start").asDouble(), s.get("end").asDouble(), s.get("kind").asText(),
                        s.path("text").asText(""), s.path("label").asText("")));
            }
            Path wav = dir.resolve(n.get("audio").asText());
            if (!Files.isRegularFile(wav)) throw new IllegalArgumentException(audioFile + ": " + wav + " is missing");
            audio.add(new AudioSample(n.get("stream").asText(), wav, n.path("voice").asText(""), segments));
        }
        List<TextSample> text = new ArrayList<>();
        for (String line : Files.readAllLines(textFile)) {
            if (line.isBlank()) continue;
            JsonNode n = json.readTree(line);
            text.add(new TextSample(n.get("stream").asText(), n.get("text").asText(), n.get("model").asText(), n.get("expected").asText()));
        }
        return new Samples(audio, text);
    }
}
