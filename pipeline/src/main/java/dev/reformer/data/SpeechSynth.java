package dev.reformer.data;

import java.io.IOException;
import java.util.List;

/** A speech engine run as an external program. Every engine here is deterministic: the same call gives the same bytes. */
public interface SpeechSynth {

    /** The engine's name in manifests ("espeak-ng", "flite", "festival"): its Debian package's. */
    default String engine() {
        return tool().debianPackage();
    }

    /** The program it runs, with its Debian package. */
    Tool tool();

    /** The Debian packages it needs: its program's, and voices that come separately. */
    default List<String> debianPackages() {
        return List.of(tool().debianPackage());
    }

    /** Its voices usable for English, sorted by name (so a seed picks the same voices on every run). */
    List<Voice> voices() throws IOException;

    /**
     * A WAV file (the engine's own rate) of the text spoken by the voice. {@code speed} is 1 for the engine's normal rate
     * (larger is faster); {@code pitch} is -1..1 around the voice's normal pitch, used where the engine has a pitch setting.
     */
    byte[] speak(String text, Voice voice, double speed, double pitch) throws IOException;

    /** Every engine this tool knows, in a fixed order. */
    static List<SpeechSynth> all() {
        return List.of(new EspeakSynth(), new FliteSynth(), new FestivalSynth());
    }
}
