package dev.reformer.datagen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * festival's text2wave with the voices of festvox-kallpc16k (kal, diphone) and festvox-us-slt-hts (slt, HMM). Each call
 * starts festival (about a second), so this is the slowest engine; it gets clips in proportion to its voices, few.
 */
final class FestivalSynth implements SpeechSynth {
    private static final Path VOICE_ROOT = Path.of("/usr/share/festival/voices");
    /** voice folder under VOICE_ROOT, speaker, Debian package. */
    private static final List<String[]> VOICES = List.of(
            new String[] {"english/kal_diphone", "kal", "festvox-kallpc16k"},
            new String[] {"us/cmu_us_slt_arctic_hts", "slt", "festvox-us-slt-hts"});

    @Override
    public Optional<Tool> tool() {
        return Optional.of(Tool.FESTIVAL);
    }

    /** festival and its voices, which festival itself does not pull in. */
    @Override
    public List<String> debianPackages() {
        List<String> packages = new ArrayList<>(SpeechSynth.super.debianPackages());
        VOICES.forEach(v -> packages.add(v[2]));
        return packages;
    }

    @Override
    public List<Voice> voices() {
        List<Voice> voices = new ArrayList<>();
        for (String[] v : VOICES) {
            if (Files.isDirectory(VOICE_ROOT.resolve(v[0]))) voices.add(new Voice(engine(), Path.of(v[0]).getFileName().toString(), v[1]));
        }
        return voices;
    }

    @Override
    public byte[] speak(String text, Voice voice, double speed, double pitch) throws IOException {
        Path in = Files.createTempFile("festival", ".txt"), out = Files.createTempFile("festival", ".wav");
        try {
            Files.writeString(in, text + "\n", StandardCharsets.UTF_8);
            Tool.run(List.of("text2wave", "-eval", "(voice_" + voice.name() + ")",
                    "-eval", String.format(Locale.ROOT, "(Parameter.set 'Duration_Stretch %.3f)", 1 / speed),
                    in.toString(), "-o", out.toString()), null);
            return Files.readAllBytes(out);
        } finally {
            Files.deleteIfExists(in);
            Files.deleteIfExists(out);
        }
    }
}
