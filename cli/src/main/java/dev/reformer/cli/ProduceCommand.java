package dev.reformer.cli;

import dev.reformer.audio.AudioFiles;
import dev.reformer.client.Replayer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "produce", mixinStandardHelpOptions = true,
        description = {"Sends your own files to the job's input topics, as docs/PROTOCOL.md says: a .wav or .flac file as one audio stream",
                "(100 ms chunks numbered by seq, eos on the last) at real-time pace, a .jsonl file as one message per line's \"text\"",
                "(stream id: its \"stream\"), any other file as text, one message per line (or the whole file with --whole-file).",
                "The stream id is the file's name without its extension unless --stream or the line says otherwise."},
        footer = {"", "Examples:",
                "  ./reformer produce --bootstrap-servers 127.0.0.1:9092 my-recording.wav",
                "  ./reformer produce --speed 0 a.wav b.wav messages.txt      # as fast as Kafka takes them",
                "  ./reformer produce --whole-file --stream mail-7 email.txt",
                "  ./reformer produce samples/audio/*.wav samples/text.jsonl  # the demo's samples",
                "  ./reformer consume --bootstrap-servers 127.0.0.1:9092     # the answers"})
final class ProduceCommand implements Callable<Integer> {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "WAV or FLAC files (audio streams; FLAC is sent as the WAV it decodes to) and text files (messages).")
    List<Path> files;

    @Option(names = "--bootstrap-servers", defaultValue = "127.0.0.1:9092", description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE", description = "A Kafka producer property (SASL, SSL, ...); repeatable.")
    Map<String, String> kafkaProperty = new java.util.LinkedHashMap<>();

    @Option(names = "--audio-topic", defaultValue = "audio-in", description = "Audio input topic (default: ${DEFAULT-VALUE}).")
    String audioTopic;

    @Option(names = "--text-topic", defaultValue = "text-in", description = "Text input topic (default: ${DEFAULT-VALUE}).")
    String textTopic;

    @Option(names = "--stream", paramLabel = "ID", description = "Stream id for every file (default: each file's name without its extension).")
    String stream;

    @Option(names = "--speed", defaultValue = "1",
            description = "Audio pace: 1 = real time, 2 = twice as fast, 0 = as fast as possible; files are sent side by side (default: ${DEFAULT-VALUE}).")
    double speed;

    @Option(names = "--messages-per-second", defaultValue = "10", description = "Text pace, in real time whatever --speed (default: ${DEFAULT-VALUE}; 0 = as fast as possible; --speed 0 sends text at once too).")
    double messagesPerSecond;

    @Option(names = "--whole-file", description = "Text: send each file as one message instead of one message per line.")
    boolean wholeFile;

    /** A WAV as it is, a FLAC as the WAV it decodes to; a file that does not decode is named with the reason. */
    private static byte[] audioBytes(Path file) throws java.io.IOException {
        try {
            return AudioFiles.readAsWav(file);
        } catch (dev.reformer.audio.AudioException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
    }

    @Override
    public Integer call() throws Exception {
        if (speed < 0 || messagesPerSecond < 0) throw new IllegalArgumentException("--speed and --messages-per-second must not be negative");
        for (Path f : files) if (!Files.isRegularFile(f)) throw new IllegalArgumentException(f + " is not a file");
        Properties kafka = new Properties();
        kafka.put("bootstrap.servers", bootstrapServers);
        kafka.putAll(kafkaProperty);
        // audio keeps its own clock divided by --speed; text goes at --messages-per-second whatever --speed, except that
        // --speed 0 sends everything at once
        double pace = speed == 0 ? Double.POSITIVE_INFINITY : speed;
        double messageGap = messagesPerSecond == 0 ? 0 : (pace == Double.POSITIVE_INFINITY ? 0 : pace / messagesPerSecond);
        try (Replayer replayer = new Replayer(kafka, audioTopic, textTopic)) {
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
                    audioSeconds, messages, bootstrapServers, takes > 1 ? String.format(Locale.ROOT, ", about %.0f s at this pace", takes) : "");
            long t0 = System.nanoTime();
            replayer.play(pace, () -> false);
            System.err.printf(Locale.ROOT, "sent in %.1f s; the results come on the results topic (./reformer consume)%n", (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }
}
