package dev.reformer.datagen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** flite (CMU): its built-in general voices. kal and kal16 are one speaker; awb_time is left out (it only tells the time). */
final class FliteSynth implements SpeechSynth {
    private static final List<String> VOICES = List.of("awb", "kal", "kal16", "rms", "slt");

    @Override
    public Optional<Tool> tool() {
        return Optional.of(Tool.FLITE);
    }

    @Override
    public List<Voice> voices() throws IOException {
        String listed = new String(Tool.run(List.of("flite", "-lv"), null));
        List<String> available = List.of(listed.replace("Voices available:", "").trim().split("\\s+"));
        List<Voice> voices = new ArrayList<>();
        for (String name : VOICES) {
            if (available.contains(name)) voices.add(new Voice(engine(), name, name.equals("kal16") ? "kal" : name));
        }
        return voices;
    }

    @Override
    public byte[] speak(String text, Voice voice, double speed, double pitch) throws IOException {
        // flite writes WAV only to a file; its pitch setting is absolute per voice, so pitch is left to the voice
        Path wav = Files.createTempFile("flite", ".wav");
        try {
            Tool.run(List.of("flite", "-voice", voice.name(), "--setf", String.format(Locale.ROOT, "duration_stretch=%.3f", 1 / speed),
                    "-t", text, "-o", wav.toString()), null);
            return Files.readAllBytes(wav);
        } finally {
            Files.deleteIfExists(wav);
        }
    }
}
