package dev.reformer.datagen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;

/**
 * espeak-ng: every English accent it ships (gmw/ voices; the mb/ ones need MBROLA, which is not installed) crossed with
 * its voice variants (m1..m7, f1..f5, Annie, klatt, ...), which change timbre and pitch. The variant is the speaker.
 * Optionally also variants made up at random ({@link RandomEspeakVariants}), speakers of their own pool.
 */
public final class EspeakSynth implements SpeechSynth {
    private static final int NORMAL_WORDS_PER_MINUTE = 175, NORMAL_PITCH = 50, PITCH_RANGE = 25;

    /** espeak-ng's --path for the made-up variants; null when there are none. */
    private final Path randomData;
    private final int randomVariants;

    /** The stock variants only. */
    public EspeakSynth() {
        this(null, 0);
    }

    private EspeakSynth(Path randomData, int randomVariants) {
        this.randomData = randomData;
        this.randomVariants = randomVariants;
    }

    /** The stock variants and count made-up ones (files written under dir, the same for the same seed). */
    public static EspeakSynth withRandomVariants(Path dir, int count, long seed) throws IOException {
        if (count < 0) throw new IllegalArgumentException("the number of random voices must not be negative: " + count);
        return count == 0 ? new EspeakSynth() : new EspeakSynth(RandomEspeakVariants.write(dir, count, seed), count);
    }

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
            for (int i = 0; i < randomVariants; i++) {
                String variant = RandomEspeakVariants.name(i);
                voices.add(new Voice(engine(), accent + "+" + variant, VoiceSplit.TRAINING_ONLY_POOL + ":" + variant));
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
        List<String> command = new ArrayList<>(List.of("espeak-ng"));
        if (voice.speaker().startsWith(VoiceSplit.TRAINING_ONLY_POOL + ":")) command.add("--path=" + randomData);
        command.addAll(List.of("-v", voice.name(),
                "-s", Integer.toString((int) Math.round(NORMAL_WORDS_PER_MINUTE * speed)),
                "-p", Integer.toString((int) Math.round(NORMAL_PITCH + PITCH_RANGE * pitch)),
                "--stdout", text));
        return Tool.run(command, null);
    }
}
