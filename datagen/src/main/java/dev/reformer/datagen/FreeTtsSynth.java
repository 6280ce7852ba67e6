package dev.reformer.datagen;

import com.sun.speech.freetts.audio.AudioPlayer;
import com.sun.speech.freetts.en.us.cmu_us_kal.KevinVoiceDirectory;

import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * FreeTTS 1.2.2 (Maven net.sf.sociaal:freetts), run in this JVM: its diphone voices kevin16 (16 kHz) and kevin (8 kHz).
 * Both are built from the CMU kal diphone recordings, the same speaker as flite's and festival's kal, so their speaker
 * is "kal" and they go to kal's split. Opt-in (--engines): the default data sets were made without it.
 */
public final class FreeTtsSynth implements SpeechSynth {
    private static final List<String> VOICES = List.of("kevin", "kevin16");
    /** FreeTTS's rate is in words per minute, 150 its voices' normal; pitch is the mean F0 in Hz, 100 for both voices. */
    private static final float NORMAL_WORDS_PER_MINUTE = 150, NORMAL_PITCH_HZ = 100, PITCH_RANGE = 0.2f;

    /**
     * The allocated voices, made on first use and kept for the JVM (allocating loads the lexicon, about a second).
     * FreeTTS voices share that lexicon and keep their settings and player between calls, so one lock serialises all
     * synthesis; a clip takes some tens of milliseconds.
     */
    private static final class Loaded {
        static final Map<String, com.sun.speech.freetts.Voice> VOICES = new TreeMap<>();

        static {
            for (com.sun.speech.freetts.Voice v : new KevinVoiceDirectory().getVoices()) {
                v.allocate();
                VOICES.put(v.getName(), v);
            }
        }
    }

    @Override
    public String engine() {
        return "freetts";
    }

    /** None: FreeTTS is a dependency of this tool. */
    @Override
    public Optional<Tool> tool() {
        return Optional.empty();
    }

    @Override
    public List<Voice> voices() {
        return VOICES.stream().map(name -> new Voice(engine(), name, "kal")).toList();
    }

    @Override
    public byte[] speak(String text, Voice voice, double speed, double pitch) throws IOException {
        synchronized (Loaded.class) {
            com.sun.speech.freetts.Voice v = Loaded.VOICES.get(voice.name());
            if (v == null) throw new IOException("FreeTTS has no voice " + voice.name() + "; it has " + Loaded.VOICES.keySet());
            // both set absolutely (the rate as a duration stretch of the normal rate), so no call depends on the one before
            v.setRate((float) (NORMAL_WORDS_PER_MINUTE * speed));
            v.setPitch((float) (NORMAL_PITCH_HZ * (1 + PITCH_RANGE * pitch)));
            Recorder recorder = new Recorder();
            v.setAudioPlayer(recorder);
            if (!v.speak(text)) throw new IOException("FreeTTS " + voice.name() + " did not speak \"" + text + "\"");
            return recorder.wav();
        }
    }

    /** An AudioPlayer that keeps the samples in memory (FreeTTS's SingleFileAudioPlayer writes a file and says so on stdout). */
    private static final class Recorder implements AudioPlayer {
        private final ByteArrayOutputStream pcm = new ByteArrayOutputStream();
        private AudioFormat format;

        /** The samples as a WAV file at the voice's own rate (javax.sound writes the header and little-endian samples). */
        byte[] wav() throws IOException {
            if (format == null) throw new IOException("FreeTTS gave no audio format");
            byte[] samples = pcm.toByteArray();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            AudioSystem.write(new AudioInputStream(new ByteArrayInputStream(samples), format, samples.length / format.getFrameSize()),
                    AudioFileFormat.Type.WAVE, out);
            return out.toByteArray();
        }

        @Override
        public void setAudioFormat(AudioFormat format) {
            this.format = format;
        }

        @Override
        public AudioFormat getAudioFormat() {
            return format;
        }

        @Override
        public boolean write(byte[] audio) {
            return write(audio, 0, audio.length);
        }

        @Override
        public boolean write(byte[] audio, int offset, int length) {
            pcm.write(audio, offset, length);
            return true;
        }

        // playback controls, timing and volume: nothing to do for a recording
        @Override
        public void pause() {}

        @Override
        public void resume() {}

        @Override
        public void reset() {}

        @Override
        public boolean drain() {
            return true;
        }

        @Override
        public void begin(int size) {}

        @Override
        public boolean end() {
            return true;
        }

        @Override
        public void cancel() {}

        @Override
        public void close() {}

        @Override
        public float getVolume() {
            return 1;
        }

        @Override
        public void setVolume(float volume) {}

        @Override
        public long getTime() {
            return 0;
        }

        @Override
        public void resetTime() {}

        @Override
        public void startFirstSampleTimer() {}

        @Override
        public void showMetrics() {}
    }
}
