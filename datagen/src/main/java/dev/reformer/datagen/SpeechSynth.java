package dev.reformer.datagen;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * A speech engine: an external program, or FreeTTS in this JVM. Every engine here is deterministic: the same call gives
 * the same bytes.
 */
public interface SpeechSynth {

    /** The engine's name in manifests ("espeak-ng", "flite", "festival", "freetts"): a program's is its Debian package's. */
    default String engine() {
        return tool().orElseThrow(() -> new IllegalStateException(getClass().getSimpleName() + " runs no program and must name itself"))
                .debianPackage();
    }

    /** The program it runs, with its Debian package; empty for an engine that runs in this JVM. */
    Optional<Tool> tool();

    /** Whether it can run here: its program is on the PATH (an engine in this JVM always can). */
    default boolean installed() {
        return tool().map(Tool::installed).orElse(true);
    }

    /** The Debian packages it needs: its program's, and voices that come separately. */
    default List<String> debianPackages() {
        return tool().map(t -> List.of(t.debianPackage())).orElse(List.of());
    }

    /** Its voices usable for English, sorted by name (so a seed picks the same voices on every run). */
    List<Voice> voices() throws IOException;

    /**
     * A WAV file (the engine's own rate) of the text spoken by the voice. {@code speed} is 1 for the engine's normal rate
     * (larger is faster); {@code pitch} is -1..1 around the voice's normal pitch, used where the engine has a pitch setting.
     */
    byte[] speak(String text, Voice voice, double speed, double pitch) throws IOException;

    /** Every engine this tool knows, in a fixed order (FreeTTS last: it came last and is used only when asked for). */
    static List<SpeechSynth> all() {
        return List.of(new EspeakSynth(), new FliteSynth(), new FestivalSynth(), new FreeTtsSynth());
    }
}
