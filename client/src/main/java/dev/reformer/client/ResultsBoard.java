package dev.reformer.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reformer.eval.Scores;
import dev.reformer.protocol.Codes.Ending;
import dev.reformer.protocol.Codes.Input;
import dev.reformer.protocol.Codes.Kind;
import dev.reformer.protocol.JsonCodec;
import dev.reformer.protocol.ResultMessage;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What the job answered, read from the results and dead-letter topics (read_committed, so only what a checkpoint
 * committed): the live view per stream, or one line per result, and at the end the summary against the samples'
 * expected labels and transcripts. Only the first playing of each sample is scored (the replay may loop).
 */
public final class ResultsBoard implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The label of the command models' quiet windows: not a word heard. */
    private static final String SILENCE = "silence";

    /** What one stream shows now. */
    private static final class StreamLine {
        String heard = "", transcript = "", partial = "";
        final Map<String, String> answers = new java.util.TreeMap<>();   // text: model -> "label 0.97", in a steady order
        long latencyMs;
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String resultsTopic, deadLetterTopic;
    private final Samples samples;
    private final Map<String, StreamLine> lines = new LinkedHashMap<>();
    /** Results of each sample's first playing, in arrival order. */
    private final List<ResultMessage> scored = new ArrayList<>();
    /**
     * Per input kind, for each scored result: from its input record's timestamp to this reader reading it (read_committed,
     * so after the commit of the checkpoint that holds it): the latency a user sees. The record timestamp is the result's
     * own Kafka timestamp less its latency_ms (both written on this machine's clock).
     */
    private final Map<Input, List<Double>> visibleMs = new java.util.EnumMap<>(Input.class);
    /** (stream, model) pairs whose first playing has ended. */
    private final Set<String> ended = new HashSet<>();
    private final List<String> deadLetters = new ArrayList<>();
    private int results;

    public ResultsBoard(Properties kafka, String resultsTopic, String deadLetterTopic, Samples samples) {
        Properties p = new Properties();
        p.putAll(kafka);
        p.put("isolation.level", "read_committed");
        p.put("group.id", "reformer-demo-view-" + System.nanoTime());
        p.put("auto.offset.reset", "earliest");
        consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(resultsTopic, deadLetterTopic));
        this.resultsTopic = resultsTopic;
        this.deadLetterTopic = deadLetterTopic;
        this.samples = samples;
        for (Samples.AudioSample a : samples.audio()) lines.put(a.stream(), new StreamLine());
        for (Samples.TextSample t : samples.text()) lines.put(t.stream(), new StreamLine());
    }

    /** Reads what arrived within the wait; each result is printed as a line when out is not null. */
    public void poll(Duration wait, PrintStream out) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(wait)) {
            String value = new String(r.value(), StandardCharsets.UTF_8);
            if (r.topic().equals(deadLetterTopic)) {
                deadLetters.add(value);
                if (out != null) out.println("dead letter: " + value);
                continue;
            }
            if (!r.topic().equals(resultsTopic)) continue;
            ResultMessage result;
            try {
                result = JsonCodec.readResult(value);
            } catch (java.io.UncheckedIOException e) {
                if (out != null) out.println("unreadable result: " + value);
                continue;
            }
            results++;
            take(result, System.currentTimeMillis() - r.timestamp());
            if (out != null) out.println(describe(result));
        }
    }

    /** sinceWritten: ms from the result's Kafka timestamp to reading it. */
    private void take(ResultMessage r, long sinceWritten) {
        String stream = r.stream(), model = r.model() == null ? "" : r.model().name();
        StreamLine line = lines.computeIfAbsent(stream, s -> new StreamLine());
        boolean audio = r.input() == Input.AUDIO;
        if (r.latencyMs() != null && r.latencyMs() >= 0 && r.kind() != Kind.END) line.latencyMs = r.latencyMs();
        switch (r.kind()) {
            case LABEL -> {
                if (!audio) {
                    line.answers.put(model, String.format(Locale.ROOT, "%s %.2f", r.label(), r.confidence()));
                } else if (!r.label().equals(SILENCE)) {
                    line.heard = String.format(Locale.ROOT, "%s %.2f at %.1f s", r.label(), r.confidence(), r.window().startS());
                }
            }
            case PARTIAL -> line.partial = r.text();
            case FINAL -> {
                if (!r.text().isBlank()) line.transcript = r.text();
                line.partial = "";
            }
            default -> { }
        }
        String key = stream + "\u0000" + model;
        boolean firstPlaying = audio ? !ended.contains(key) : r.seq() != null && r.seq() == 0;
        if (firstPlaying) scored.add(r);
        if (firstPlaying && r.kind() != Kind.END && r.latencyMs() != null && r.latencyMs() >= 0) {
            visibleMs.computeIfAbsent(r.input(), k -> new ArrayList<>()).add((double) (r.latencyMs() + sinceWritten));
        }
        if (audio && r.marksFinal() && r.ending() != null && r.ending() != Ending.SPEECH_END) ended.add(key);
    }

    /** One result as a line for people: stream, model, window, what was heard, input kind and latency. */
    public static String describe(ResultMessage r) {
        String where = r.window() != null ? String.format(Locale.ROOT, " %.1f-%.1f s", r.window().startS(), r.window().endS()) : "";
        String what = switch (r.kind()) {
            case LABEL -> String.format(Locale.ROOT, "%s %.2f", r.label(), r.confidence());
            case PARTIAL, FINAL -> r.kind().code() + " \"" + r.text() + "\"";
            default -> r.kind().code();
        };
        return String.format(Locale.ROOT, "%-10s %-8s%s  %s  (%s, %d ms)", r.stream(), r.model() == null ? "" : r.model().name(), where, what,
                r.input().code(), r.latencyMs() == null ? 0 : r.latencyMs());
    }

    /** The live view: one line per stream, redrawn in place (ANSI). */
    public void render(PrintStream out, String header) {
        StringBuilder b = new StringBuilder("\033[H\033[2J").append(header).append("\n\n");
        b.append(String.format(Locale.ROOT, "%-10s %-26s %-44s %s%n", "AUDIO", "HEARD (last non-silence)", "TRANSCRIPT (last final | partial)", "LATENCY"));
        for (Samples.AudioSample a : samples.audio()) {
            StreamLine l = lines.get(a.stream());
            String transcript = l.transcript + (l.partial.isEmpty() ? "" : " | " + l.partial + "...");
            b.append(String.format(Locale.ROOT, "%-10s %-26s %-44s %d ms%n", a.stream(), l.heard, clip(transcript, 44), l.latencyMs));
        }
        b.append(String.format(Locale.ROOT, "%n%-10s %-44s %-26s %s%n", "TEXT", "MESSAGE", "ANSWERS", "LATENCY"));
        for (Samples.TextSample t : samples.text()) {
            StreamLine l = lines.get(t.stream());
            b.append(String.format(Locale.ROOT, "%-10s %-44s %-26s %d ms%n", t.stream(), clip(t.text().replaceAll("\\s+", " "), 44),
                    String.join(", ", l.answers.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).toList()), l.latencyMs));
        }
        b.append(String.format(Locale.ROOT, "%n%d results, %d dead letters%n", results, deadLetters.size()));
        out.print(b);
        out.flush();
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : "..." + s.substring(s.length() - n + 3);
    }

    /** Whether every sample's first playing has all its answers (every audio stream ended for each audio model, every text answered). */
    public boolean complete(int audioModels, int textModels) {
        long texts = scored.stream().filter(r -> r.input() == Input.TEXT).count();
        return ended.size() >= (long) samples.audio().size() * audioModels && texts >= (long) samples.text().size() * textModels;
    }

    /** The samples' expected answers against the job's, as JSON (also what the summary prints). */
    public ObjectNode summary() {
        ObjectNode s = JSON.createObjectNode();
        var misses = s.putArray("misses");
        int words = 0, wordsRight = 0, exact = 0;
        List<String> refs = new ArrayList<>(), hyps = new ArrayList<>();
        for (Samples.AudioSample a : samples.audio()) {
            List<ResultMessage> mine = scored.stream().filter(r -> a.stream().equals(r.stream())).toList();
            boolean labelled = mine.stream().anyMatch(r -> r.kind() == Kind.LABEL);
            boolean transcribed = mine.stream().anyMatch(r -> r.kind() == Kind.FINAL);
            for (Samples.Segment seg : a.segments()) {
                boolean word = seg.kind().equals("command") || seg.kind().equals("unknown");
                if (word && labelled) {
                    String heard = heardLabel(mine, seg);
                    words++;
                    if (heard.equals(seg.label())) wordsRight++;
                    else misses.add(String.format(Locale.ROOT, "%s %.1f s: said \"%s\" (%s), heard %s", a.stream(), seg.start(), seg.text(), seg.label(), heard));
                } else if (seg.kind().equals("digits") && transcribed) {
                    String heard = heardTranscript(mine, seg);
                    refs.add(seg.text());
                    hyps.add(heard);
                    if (Scores.words(seg.text()).equals(Scores.words(heard))) exact++;
                    else misses.add(String.format(Locale.ROOT, "%s %.1f s: said \"%s\", transcribed \"%s\"", a.stream(), seg.start(), seg.text(), heard));
                }
            }
        }
        s.putObject("commands").put("words", words).put("right", wordsRight);
        Scores.ErrorRate wer = Scores.wordErrorRate(refs, hyps);
        s.putObject("digits").put("strings", refs.size()).put("exact", exact).put("word_errors", wer.errors()).put("words", wer.referenceUnits());
        int textsRight = 0;
        for (Samples.TextSample t : samples.text()) {
            String heard = scored.stream().filter(r -> t.stream().equals(r.stream()) && r.model() != null && t.model().equals(r.model().name()))
                    .map(r -> String.valueOf(r.label())).findFirst().orElse("(no answer)");
            if (heard.equals(t.expected())) textsRight++;
            else misses.add(t.stream() + ": " + t.model() + " expected " + t.expected() + ", answered " + heard);
        }
        s.putObject("text").put("messages", samples.text().size()).put("right", textsRight);
        s.putObject("latency_ms").put("audio_p50", latency(Input.AUDIO, 0.5)).put("audio_p99", latency(Input.AUDIO, 0.99))
                .put("text_p50", latency(Input.TEXT, 0.5)).put("text_p99", latency(Input.TEXT, 0.99));
        s.putObject("visible_ms").put("audio_p50", visible(Input.AUDIO, 0.5)).put("audio_p99", visible(Input.AUDIO, 0.99))
                .put("text_p50", visible(Input.TEXT, 0.5)).put("text_p99", visible(Input.TEXT, 0.99));
        s.put("results", results).put("dead_letters", deadLetters.size());
        return s;
    }

    /** A spoken word's label: the most confident non-silence label of the windows that hold the middle of the word. */
    private static String heardLabel(List<ResultMessage> results, Samples.Segment seg) {
        double mid = (seg.start() + seg.end()) / 2, best = -1;
        String heard = SILENCE;
        for (ResultMessage r : results) {
            if (r.kind() != Kind.LABEL || r.window() == null || r.window().startS() > mid || r.window().endS() < mid) continue;
            if (!r.label().equals(SILENCE) && r.confidence() > best) {
                best = r.confidence();
                heard = r.label();
            }
        }
        return heard;
    }

    /**
     * A digit string's transcript: the final one whose window ends nearest the segment's end (it comes with the window
     * where the detector heard the speech end; a quiet last syllable can end it a little early); "" when none does.
     */
    private static String heardTranscript(List<ResultMessage> results, Samples.Segment seg) {
        String heard = "";
        double nearest = Double.MAX_VALUE;
        for (ResultMessage r : results) {
            if (r.kind() != Kind.FINAL || r.window() == null) continue;
            double end = r.window().endS();
            if (end < seg.end() - 0.5 || end > seg.end() + 1.0) continue;
            if (Math.abs(end - seg.end()) < nearest) {
                nearest = Math.abs(end - seg.end());
                heard = r.text();
            }
        }
        return heard;
    }

    /** A latency percentile (ms) of the first playing's results of one input kind; -1 without any. */
    private long latency(Input input, double q) {
        double[] sorted = scored.stream().filter(r -> r.input() == input && r.kind() != Kind.END && r.latencyMs() != null)
                .mapToDouble(ResultMessage::latencyMs).filter(ms -> ms >= 0).sorted().toArray();
        return sorted.length == 0 ? -1 : (long) Scores.percentile(sorted, q);
    }

    /** A percentile (ms) of the first playing's visible latency of one input kind; -1 without any. */
    private long visible(Input input, double q) {
        double[] sorted = visibleMs.getOrDefault(input, List.of()).stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted.length == 0 ? -1 : (long) Scores.percentile(sorted, q);
    }

    /** The summary as lines for people. */
    public static String describeSummary(JsonNode s) {
        StringBuilder b = new StringBuilder("summary (each sample's first playing):\n");
        JsonNode c = s.get("commands"), d = s.get("digits"), t = s.get("text"), l = s.get("latency_ms");
        if (c.get("words").asInt() > 0) {
            b.append(String.format(Locale.ROOT, "  spoken commands: %d of %d words heard right%n", c.get("right").asInt(), c.get("words").asInt()));
        }
        if (d.get("strings").asInt() > 0) {
            b.append(String.format(Locale.ROOT, "  digit strings: %d of %d transcribed exactly, word error rate %.1f %% (%d of %d words)%n",
                    d.get("exact").asInt(), d.get("strings").asInt(), 100.0 * d.get("word_errors").asLong() / Math.max(1, d.get("words").asLong()),
                    d.get("word_errors").asLong(), d.get("words").asLong()));
        }
        b.append(String.format(Locale.ROOT, "  text: %d of %d answers right%n", t.get("right").asInt(), t.get("messages").asInt()));
        b.append(String.format(Locale.ROOT, "  latency p50 / p99 to the result's emission: audio %d / %d ms, text %d / %d ms%n", l.get("audio_p50").asLong(),
                l.get("audio_p99").asLong(), l.get("text_p50").asLong(), l.get("text_p99").asLong()));
        JsonNode v = s.get("visible_ms");
        b.append(String.format(Locale.ROOT, "  latency p50 / p99 until readable (read_committed, at the checkpoint's commit): audio %d / %d ms, text %d / %d ms%n",
                v.get("audio_p50").asLong(), v.get("audio_p99").asLong(), v.get("text_p50").asLong(), v.get("text_p99").asLong()));
        b.append(String.format(Locale.ROOT, "  %d results, %d dead letters%n", s.get("results").asInt(), s.get("dead_letters").asInt()));
        if (!s.get("misses").isEmpty()) {
            b.append("  not as expected:\n");
            s.get("misses").forEach(m -> b.append("    ").append(m.asText()).append('\n'));
        }
        return b.toString();
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(2));
    }
}
