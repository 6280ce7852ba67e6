package dev.reformer.audio;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.List;

/**
 * Energy-based voice activity per 10 ms frame, with an adaptive noise floor and hysteresis: speech starts
 * after {@code onsetFrames} consecutive loud frames and ends after {@code hangoverFrames} consecutive quiet
 * ones, so short pauses inside an utterance do not split it.
 *
 * A frame is loud when its energy is above both {@code absoluteThresholdDb} (silence in clean recordings)
 * and the noise floor plus {@code marginDb} (steady background noise). The floor follows quiet frames down
 * at once and creeps up by {@code floorRiseDbPerFrame}, so it tracks noise but not speech.
 */
public final class VoiceActivityDetector {

    public record Settings(double absoluteThresholdDb, double marginDb, double floorRiseDbPerFrame,
                           int onsetFrames, int hangoverFrames) implements java.io.Serializable {
        public Settings {
            if (onsetFrames < 1) throw new IllegalArgumentException("onsetFrames must be >= 1, got " + onsetFrames);
            if (hangoverFrames < 1) throw new IllegalArgumentException("hangoverFrames must be >= 1, got " + hangoverFrames);
            if (!(marginDb >= 0) || !(floorRiseDbPerFrame >= 0)) throw new IllegalArgumentException("marginDb and floorRiseDbPerFrame must be >= 0");
            if (!Double.isFinite(absoluteThresholdDb)) throw new IllegalArgumentException("absoluteThresholdDb must be finite");
        }

        /** -45 dBFS, 8 dB over the floor, onset 30 ms, hangover 300 ms. */
        public static Settings defaults() {
            return new Settings(-45, 8, 0.05, 3, 30);
        }

        void write(DataOutput out) throws IOException {
            out.writeDouble(absoluteThresholdDb);
            out.writeDouble(marginDb);
            out.writeDouble(floorRiseDbPerFrame);
            out.writeInt(onsetFrames);
            out.writeInt(hangoverFrames);
        }

        static Settings read(DataInput in) throws IOException {
            return new Settings(in.readDouble(), in.readDouble(), in.readDouble(), in.readInt(), in.readInt());
        }
    }

    /** Speech starts at, or ends just before, {@code frame} (frame f begins at f / 100 seconds). */
    public record Event(Type type, long frame) {
        public enum Type { SPEECH_START, SPEECH_END }

        public double seconds() {
            return frame / FeatureConfig.FRAMES_PER_SECOND;
        }
    }

    private final Settings settings;
    private double noiseFloorDb;
    private boolean inSpeech;
    /** Consecutive frames disagreeing with the current state (loud while silent, quiet while speaking). */
    private int run;
    private long frame;

    public VoiceActivityDetector(Settings settings) {
        this.settings = settings;
        this.noiseFloorDb = settings.absoluteThresholdDb();
    }

    public boolean inSpeech() {
        return inSpeech;
    }

    /** Takes the next frame's energy; adds an event to {@code events} when the state changes. */
    public void accept(double energyDb, List<Event> events) {
        boolean loud = energyDb > settings.absoluteThresholdDb() && energyDb > noiseFloorDb + settings.marginDb();
        noiseFloorDb = energyDb < noiseFloorDb ? energyDb : noiseFloorDb + settings.floorRiseDbPerFrame();
        run = loud != inSpeech ? run + 1 : 0;
        if (!inSpeech && run >= settings.onsetFrames()) {
            inSpeech = true;
            events.add(new Event(Event.Type.SPEECH_START, frame - run + 1));
            run = 0;
        } else if (inSpeech && run >= settings.hangoverFrames()) {
            inSpeech = false;
            events.add(new Event(Event.Type.SPEECH_END, frame - run + 1));
            run = 0;
        }
        frame++;
    }

    /** End of stream: closes an open utterance (minus the quiet frames already seen at its end). */
    public void finish(List<Event> events) {
        if (inSpeech) {
            inSpeech = false;
            events.add(new Event(Event.Type.SPEECH_END, frame - run));
            run = 0;
        }
    }

    void writeState(DataOutput out) throws IOException {
        out.writeDouble(noiseFloorDb);
        out.writeBoolean(inSpeech);
        out.writeInt(run);
        out.writeLong(frame);
    }

    static VoiceActivityDetector readState(Settings settings, DataInput in) throws IOException {
        VoiceActivityDetector vad = new VoiceActivityDetector(settings);
        vad.noiseFloorDb = in.readDouble();
        vad.inSpeech = in.readBoolean();
        vad.run = in.readInt();
        vad.frame = in.readLong();
        return vad;
    }
}
