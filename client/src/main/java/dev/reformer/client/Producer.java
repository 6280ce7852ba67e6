package dev.reformer.client;

import dev.reformer.audio.AudioFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * Sends files to the job's input topics ({@code ./reformer produce}), as docs/PROTOCOL.md says: a .wav or .flac file as
 * one audio stream at real-time pace, a .jsonl file as one message per line's "text" (stream id: its "stream"), any
 * other file as text, one message per line (or the whole file). The stream id is the file's name without its extension
 * unless {@link Options#stream} or the line says otherwise.
 */
public final class Producer {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private Producer() {}

    /**
     * What to send and how fast.
     *
     * @param stream            stream id for every file, or null for each file's name
     * @param speed             audio pace: 1 real time, 0 as fast as possible
     * @param messagesPerSecond text pace in real time (0: as fast as possible)
     * @param wholeFile         text: each file as one message
     */
    public record Options(List<Path> files, String audioTopic, String textTopic, String stream, double speed, double messagesPerSecond,
                          boolean wholeFile) {}

    /** A WAV as it is, a FLAC as the WAV it decodes to; a file that does not decode is named with the reason. */
    private static byte[] audioBytes(Path file) throws java.io.IOException {
        try {
            return AudioFiles.readAsWav(file);
        } catch (dev.reformer.audio.AudioException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
    }

    /** Sends every file (see the class comment) and waits until all is sent at its pace. */
    public static void send(Properties kafka, Options o) throws Exception {
        List<Path> files = o.files();
        String stream = o.stream();
        double speed = o.speed(), messagesPerSecond = o.messagesPerSecond();
        boolean wholeFile = o.wholeFile();
        if (speed < 0 || messagesPerSecond < 0) throw new IllegalArgumentException("--speed and --messages-per-second must not be negative");
        for (Path f : files) if (!Files.isRegularFile(f)) throw new IllegalArgumentException(f + " is not a file");
        // audio keeps its own clock divided by --speed; text goes at --messages-per-second whatever --speed, except that
        // --speed 0 sends everything at once
        double pace = speed == 0 ? Double.POSITIVE_INFINITY : speed;
        double messageGap = messagesPerSecond == 0 ? 0 : (pace == Double.POSITIVE_INFINITY ? 0 : pace / messagesPerSecond);
        try (Replayer replayer = new Replayer(kafka, o.audioTopic(), o.textTopic())) {
            double audioSeconds = 0;
            int streams = 0, messages = 0;
            java.util.Set<String> audioStreams = new java.util.HashSet<>();
            for (Path f : files) {
                String id = stream != null ? stream : f.getFileName().toString().replaceFirst("\\.[^.]*$", "");
                if (AudioFiles.isAudioFileName(f.getFileName().toString())) {
                    // two files as one stream would interleave their chunks under the same seq numbers
                    if (!audioStreams.add(id)) {
                        throw new IllegalArgumentException("two audio files would be stream '" + id + "'; give each its own name"
                                + (stream != null ? " (leave out --stream, or send them one command at a time)" : ""));
                    }
                    audioSeconds = Math.max(audioSeconds, replayer.audio(id, audioBytes(f), 0));
                    streams++;
                } else if (f.getFileName().toString().endsWith(".jsonl") && !wholeFile) {
                    // a manifest: each line's "text", as its "stream" (else the file's name)
                    List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
                    for (int i = 0; i < lines.size(); i++, messages++) {
                        com.fasterxml.jackson.databind.JsonNode line = JSON.readTree(lines.get(i));
                        if (!line.path("text").isTextual()) throw new IllegalArgumentException(f + " line " + (i + 1) + " has no \"text\"");
                        replayer.text(stream != null ? stream : line.path("stream").asText(id), line.get("text").asText(), i, messages * messageGap);
                    }
                } else {
                    List<String> texts = wholeFile ? List.of(Files.readString(f, StandardCharsets.UTF_8))
                            : Files.readAllLines(f, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
                    for (int i = 0; i < texts.size(); i++, messages++) replayer.text(id, texts.get(i), i, messages * messageGap);
                }
            }
            double takes = pace == Double.POSITIVE_INFINITY ? 0 : Math.max(audioSeconds, messages * messageGap) / pace;
            System.err.printf(Locale.ROOT, "sending %d audio stream(s) (%.1f s of audio) and %d message(s) to %s%s ...%n", streams,
                    audioSeconds, messages, kafka.getProperty("bootstrap.servers"), takes > 1 ? String.format(Locale.ROOT, ", about %.0f s at this pace", takes) : "");
            long t0 = System.nanoTime();
            replayer.play(pace, () -> false);
            System.err.printf(Locale.ROOT, "sent in %.1f s; the results come on the results topic (./reformer consume)%n", (System.nanoTime() - t0) / 1e9);
        }
    }
}
