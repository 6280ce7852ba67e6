package dev.reformer.task;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * JSONL manifests, one JSON object per line: {@code {"text": ..., "label": ...}} for text, or
 * {@code {"audio": "path relative to the manifest", "label" or "text": ..., "engine": ..., "voice": ...}} for audio.
 * Other fields are allowed and ignored. Reading checks every line and names the file, the line, what is wrong and
 * what is accepted; writing is the one place that decides how a line looks, so every set's lines look the same.
 */
public final class Manifest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ACCEPTED = "accepted: {\"text\": \"...\", \"label\": \"...\"} for text, or "
            + "{\"audio\": \"file.wav\", \"label\": \"...\" and/or \"text\": \"...\"} for audio";

    private Manifest() {}

    /** What a manifest's lines hold; a manifest holds one kind. */
    public enum Kind {
        TEXT_LABEL(false, "text with labels"), AUDIO_LABEL(true, "audio with labels"), AUDIO_TRANSCRIPT(true, "audio with transcripts");

        public final boolean audio;
        public final String description;

        Kind(boolean audio, String description) {
            this.audio = audio;
            this.description = description;
        }
    }

    /**
     * One line: text and/or label, or an audio file (resolved against the manifest's folder). source: the corpus or
     * engine it came from ("speech-commands", "fsdd-joined"; the engine when the line does not say), for breakdowns.
     */
    public record Row(Path file, int line, String text, String label, Path audio, String engine, String voice, String source) {
        /** "file:line: ", the start of every message about this row. */
        public String where() {
            return file + ":" + line + ": ";
        }

        public Kind kind() {
            return audio == null ? Kind.TEXT_LABEL : label != null ? Kind.AUDIO_LABEL : Kind.AUDIO_TRANSCRIPT;
        }
    }

    /** Every row of a manifest, checked; audio files must exist. Throws IllegalArgumentException naming file and line. */
    public static List<Row> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + " does not exist; give the path of a JSONL manifest");
        List<Row> rows = new ArrayList<>();
        Path folder = file.toAbsolutePath().getParent();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            rows.add(parse(file, i + 1, lines.get(i), folder));
        }
        if (rows.isEmpty()) throw new IllegalArgumentException(file + " holds no examples; " + ACCEPTED + ", one per line");
        return rows;
    }

    private static Row parse(Path file, int lineNumber, String line, Path folder) {
        String where = file + ":" + lineNumber + ": ";
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + "not valid JSON (" + e.getOriginalMessage() + "); " + ACCEPTED);
        }
        if (node == null || !node.isObject()) throw new IllegalArgumentException(where + "not a JSON object; " + ACCEPTED);
        JsonNode audioNode = node.has("audio") ? node.get("audio") : node.get("wav");
        if (audioNode != null && !audioNode.isTextual()) {
            throw new IllegalArgumentException(where + "\"audio\" must be a path (a string), not " + audioNode.getNodeType().name().toLowerCase());
        }
        boolean hasLabel = node.has("label") && !node.get("label").isNull();
        if (hasLabel && node.get("label").isContainerNode()) throw new IllegalArgumentException(where + "\"label\" must be a string or a number");
        if (node.has("text") && !node.get("text").isTextual()) throw new IllegalArgumentException(where + "\"text\" must be a string");
        for (String field : new String[] {"engine", "voice", "source"}) {
            if (node.has(field) && !node.get(field).isTextual()) throw new IllegalArgumentException(where + "\"" + field + "\" must be a string");
        }
        String text = node.has("text") ? node.get("text").asText() : null;
        String label = hasLabel ? node.get("label").asText() : null;
        String engine = node.has("engine") ? node.get("engine").asText() : null;
        String voice = node.has("voice") ? node.get("voice").asText() : null;
        String source = node.has("source") ? node.get("source").asText() : engine;
        if (audioNode == null) {
            if (text == null || label == null) {
                throw new IllegalArgumentException(where + "text needs both \"text\" and \"label\" (missing "
                        + (text == null ? "\"text\"" : "\"label\"") + "); " + ACCEPTED);
            }
            return new Row(file, lineNumber, text, label, null, engine, voice, source);
        }
        if (text == null && label == null) {
            throw new IllegalArgumentException(where + "audio needs a \"label\" (classification) or a \"text\" (transcription); " + ACCEPTED);
        }
        Path audio = folder.resolve(audioNode.asText()).normalize();
        if (!Files.isRegularFile(audio)) {
            throw new IllegalArgumentException(where + "audio file " + audio + " does not exist (paths are relative to the manifest's folder)");
        }
        return new Row(file, lineNumber, text, label, audio, engine, voice, source);
    }

    /**
     * What every row can serve: text, or audio with labels when every row has a label, else audio with transcripts when
     * every row has a text. A row may carry both (a recording of "seven" labelled "7"); each task reads the field it
     * needs. An error names the first row that fits neither, or a text row among audio rows.
     */
    public static Kind kindOf(List<Row> rows, Path file) {
        Row first = rows.get(0);
        for (Row r : rows) {
            if ((r.audio() == null) != (first.audio() == null)) throw new IllegalArgumentException(r.where() + "is "
                    + (r.audio() == null ? "text" : "audio") + ", but line " + first.line() + " is " + (first.audio() == null ? "text" : "audio")
                    + "; a manifest holds one kind");
        }
        if (first.audio() == null) return Kind.TEXT_LABEL;
        Row unlabelled = rows.stream().filter(r -> r.label() == null).findFirst().orElse(null);
        if (unlabelled == null) return Kind.AUDIO_LABEL;
        requireKind(rows, Kind.AUDIO_TRANSCRIPT);
        return Kind.AUDIO_TRANSCRIPT;
    }

    /** Checks that every row has the field a kind reads ("label" or "text"); the error names the first row without it. */
    public static void requireKind(List<Row> rows, Kind kind) {
        for (Row r : rows) {
            String missing = kind == Kind.TEXT_LABEL ? (r.audio() != null ? "names an audio file" : null)
                    : r.audio() == null ? "has no \"audio\""
                    : kind == Kind.AUDIO_LABEL ? (r.label() == null ? "has no \"label\"" : null)
                    : (r.text() == null ? "has no \"text\"" : null);
            if (missing != null) throw new IllegalArgumentException(r.where() + missing + ", and every row of " + kind.description
                    + " needs one; a manifest holds one kind (give every row that field, or train the other task: --task classification or transcription)");
        }
    }

    /** A new, empty line with the fields in the order every manifest uses: audio, text, label, engine, voice. */
    public static ObjectNode line(String audio, String text, String label, String engine, String voice) {
        ObjectNode node = JSON.createObjectNode();
        if (audio != null) node.put("audio", audio);
        if (text != null) node.put("text", text);
        if (label != null) node.put("label", label);
        if (engine != null) node.put("engine", engine);
        if (voice != null) node.put("voice", voice);
        return node;
    }

    /** Writes lines as JSONL (UTF-8, '\n' endings, no trailing spaces): the same lines give the same bytes. */
    public static void write(Path file, List<ObjectNode> lines) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (ObjectNode line : lines) {
                w.write(JSON.writeValueAsString(line));
                w.write('\n');
            }
        }
    }

    /** The JSON text of a value (for summaries next to the manifests). */
    public static String pretty(Object value) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
