package dev.reformer.datagen;

import dev.reformer.datagen.SpeechSets.Clip;
import dev.reformer.datagen.VoiceSplit.Split;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Continuous streams for the demo and the tests: one voice says commands, unknown words and digit strings, with pauses
 * and bursts of noise between them, over background noise. The manifest line gives the whole transcript as "text" and
 * every segment, pauses included, as {"start": s, "end": s, "kind": "silence|noise|command|unknown|digits", ...}; the
 * segments tile the stream. A spoken segment's times are those of the trimmed speech (20 ms margins).
 */
final class Streams {
    private final SpeechSets speech;

    Streams(SpeechSets speech) {
        this.speech = speech;
    }

    void write(Path dir, int count) throws IOException {
        speech.write(dir, "streams", count, (s, i, random) -> stream(s, random));
    }

    private Clip stream(Split s, SplittableRandom random) throws IOException {
        Voice voice = speech.speechVoice(s, random);
        List<float[]> pieces = new ArrayList<>();
        List<Map<String, Object>> segments = new ArrayList<>();
        List<String> words = new ArrayList<>();
        int at = 0;
        at = pause(pieces, segments, at, 0.3 + 0.7 * random.nextDouble());
        for (int item = 0, items = 6 + random.nextInt(7); item < items; item++) {
            double kind = random.nextDouble();
            Map<String, Object> segment = new LinkedHashMap<>();
            float[] samples;
            if (kind < 0.2) {
                Noise noise = Noise.values()[random.nextInt(Noise.values().length)];
                samples = noise.generate(Audio.samples(0.3 + 0.7 * random.nextDouble()), random);
                float gain = (float) Math.pow(10, (-35 + 15 * random.nextDouble()) / 20);
                for (int k = 0; k < samples.length; k++) samples[k] *= gain;
                segment.put("kind", "noise");
                segment.put("noise", noise.id());
            } else if (kind < 0.6) {
                String digits = SpeechSets.digitString(3 + random.nextInt(4), random);
                String text = SpeechSets.digitWords(digits, random);
                samples = speech.speak(text, voice, Augment.NONE, random);
                segment.put("kind", "digits");
                segment.put("text", text);
                segment.put("digits", digits);
                words.add(text);
            } else {
                boolean unknown = random.nextDouble() < 0.15;
                String word = unknown ? SpeechSets.UNKNOWN_WORDS.get(random.nextInt(SpeechSets.UNKNOWN_WORDS.size()))
                        : SpeechSets.COMMANDS.get(random.nextInt(SpeechSets.COMMANDS.size()));
                samples = speech.speak(word, voice, Augment.NONE, random);
                segment.put("kind", unknown ? SpeechSets.UNKNOWN : "command");
                segment.put("text", word);
                segment.put("label", unknown ? SpeechSets.UNKNOWN : word);
                words.add(word);
            }
            Map<String, Object> timed = timed(at, at + samples.length);
            timed.putAll(segment);
            segments.add(timed);
            pieces.add(samples);
            at += samples.length;
            at = pause(pieces, segments, at, 0.4 + 1.1 * random.nextDouble());
        }
        float[] stream = concat(pieces, at);
        Noise background = Noise.values()[random.nextInt(Noise.values().length)];
        double snr = 10 + 20 * random.nextDouble();
        Audio.mix(stream, background.generate(stream.length, random), snr, 0, stream.length);
        SpeechSets.addFloor(stream, random);
        Audio.normalize(stream, 0.8);
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("duration", round(stream.length / (double) Audio.RATE));
        extra.put("background", String.format(java.util.Locale.ROOT, "%s noise %.1f dB", background.id(), snr));
        extra.put("segments", segments);
        return new Clip(stream, String.join(" ", words), null, voice, extra);
    }

    /** A pause of digital quiet (the background noise fills it later), recorded as a silence segment. */
    private static int pause(List<float[]> pieces, List<Map<String, Object>> segments, int at, double seconds) {
        float[] quiet = new float[Audio.samples(seconds)];
        pieces.add(quiet);
        Map<String, Object> segment = timed(at, at + quiet.length);
        segment.put("kind", SpeechSets.SILENCE);
        segments.add(segment);
        return at + quiet.length;
    }

    private static Map<String, Object> timed(int from, int to) {
        Map<String, Object> segment = new LinkedHashMap<>();
        segment.put("start", round(from / (double) Audio.RATE));
        segment.put("end", round(to / (double) Audio.RATE));
        return segment;
    }

    private static float[] concat(List<float[]> pieces, int length) {
        float[] out = new float[length];
        int at = 0;
        for (float[] p : pieces) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** Seconds to 0.1 ms: exact enough for a 16 kHz sample (62.5 µs) to be found again. */
    private static double round(double seconds) {
        return Math.round(seconds * 10000) / 10000.0;
    }
}
