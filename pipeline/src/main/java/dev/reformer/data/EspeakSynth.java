package dev.reformer.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;

/**
 * espeak-ng: every English accent it ships (gmw/ voices; the mb/ ones need MBROLA, which is not installed) crossed with
 * its voice variants (m1..m7, f1..f5, Annie, klatt, ...), which change timbre and pitch. The variant is the speaker.
 */
final class EspeakSynth implements SpeechSynth {
    private static final int NORMAL_WORDS_PER_MINUTE = 175, NORMAL_PITCH = 50, PITCH_RANGE = 25;

    @Override
    public Optional<Tool> tool() {
        return Optional.of(Tool.ESPEAK_NG);
    }

    @Override
    public List<Voice> voices() throws IOException {
        List<Voice> voices = new ArrayList<>();
        for (String accent : column(Tool.run(List.of("espeak-ng", "--voices=en"), null), "gmw/")) {
            for (String variant : column(Tool.run(List.of("espeak-ng", "--voices=variant"), null), "!v/")) {
                // whispered speech has no voicing: not what a command or digit recogniser is asked to hear
                if (variant.toLowerCase(Locale.ROOT).contains("whisper")) continue;
                voices.add(new Voice(engine(), accent + "+" + variant, "espeak-ng:" + variant));
            }
        }
        return voices;
    }

    /** From `espeak-ng --voices` output: for rows whose file column starts with prefix, the language (accents) or file name (variants). */
    private static TreeSet<String> column(byte[] listing, String filePrefix) {
        TreeSet<String> names = new TreeSet<>();
        for (String line : new String(listing, StandardCharsets.UTF_8).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 5 || !f[4].startsWith(filePrefix)) continue;
            if (!filePrefix.equals("!v/")) {
                names.add(f[1]);
                continue;
            }
            // a variant is named by its file; one with a space ("Mr serious") cannot be given as voice+variant
            String variant = line.substring(line.indexOf("!v/") + 3).trim();
            if (!variant.contains(" ")) names.add(variant);
        }
        return names;
    }

    @Override
    public byte[] speak(String text, Voice voice, double speed, double pitch) throws IOException {
        return Tool.run(List.of("espeak-ng", "-v", voice.name(),
                "-s", Integer.toString((int) Math.round(NORMAL_WORDS_PER_MINUTE * speed)),
                "-p", Integer.toString((int) Math.round(NORMAL_PITCH + PITCH_RANGE * pitch)),
                "--stdout", text), null);
    }
}
