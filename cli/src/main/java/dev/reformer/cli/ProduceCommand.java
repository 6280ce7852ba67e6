package dev.reformer.cli;

import dev.reformer.pipeline.options.InputTopics;
import dev.reformer.pipeline.options.KafkaOptions;
import dev.reformer.client.Producer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
    @Parameters(paramLabel = "FILE", arity = "1..*", description = "WAV or FLAC files (audio streams; FLAC is sent as the WAV it decodes to) and text files (messages).")
    List<Path> files;

    @Mixin
    KafkaOptions kafka;

    @Mixin
    InputTopics topics;

    @Option(names = "--stream", paramLabel = "ID", description = "Stream id for every file (default: each file's name without its extension).")
    String stream;

    @Option(names = "--speed", defaultValue = "1",
            description = "Audio pace: 1 = real time, 2 = twice as fast, 0 = as fast as possible; files are sent side by side (default: ${DEFAULT-VALUE}).")
    double speed;

    @Option(names = "--messages-per-second", defaultValue = "10", description = "Text pace, in real time whatever --speed (default: ${DEFAULT-VALUE}; 0 = as fast as possible; --speed 0 sends text at once too).")
    double messagesPerSecond;

    @Option(names = "--whole-file", description = "Text: send each file as one message instead of one message per line.")
    boolean wholeFile;

    @Override
    public Integer call() throws Exception {
        Producer.send(kafka.properties(), new Producer.Options(files, topics.audioTopic, topics.textTopic, stream, speed, messagesPerSecond, wholeFile));
        return 0;
    }
}
