package dev.reformer.audio;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * What the front-end computes from 16 kHz audio: 25 ms windows every 10 ms, then either log-mel energies
 * (the default, 80 bands) or MFCCs (TarsosDSP), optionally normalised per stream by a running mean and
 * variance. A model records the configuration it was trained with, and the job uses exactly that one.
 *
 * @param kind                 LOG_MEL or MFCC
 * @param melBands             mel filters (80 for LOG_MEL; TarsosDSP's MFCC uses this many filters too)
 * @param mfccCoefficients     cepstral coefficients kept when kind is MFCC
 * @param lowHz                lower edge of the first mel filter
 * @param highHz               upper edge of the last mel filter; at most 8000 (the Nyquist rate of 16 kHz)
 * @param logFloor             power below this is clamped before the log, so silence gives a finite value
 * @param normalize            subtract a running mean and divide by a running standard deviation per band
 * @param normalizationFrames  how many frames the running statistics remember (an exponential time constant)
 * @param vad                  voice-activity settings
 */
public record FeatureConfig(Kind kind, int melBands, int mfccCoefficients, double lowHz, double highHz,
                            double logFloor, boolean normalize, int normalizationFrames,
                            VoiceActivityDetector.Settings vad) implements java.io.Serializable {

    public enum Kind { LOG_MEL, MFCC }

    public static final int SAMPLE_RATE = Resampler.TARGET_RATE;
    /** 25 ms at 16 kHz. */
    public static final int WINDOW = 400;
    /** 10 ms at 16 kHz: one frame per hop, so frame i starts at i / 100 seconds. */
    public static final int HOP = 160;
    /** The window is zero-padded to this power of two for the FFT. */
    public static final int FFT_SIZE = 512;
    public static final double FRAMES_PER_SECOND = (double) SAMPLE_RATE / HOP;

    public FeatureConfig {
        if (kind == null) throw new IllegalArgumentException("kind must be LOG_MEL or MFCC");
        if (melBands < 1 || melBands > 256) throw new IllegalArgumentException("melBands must be 1..256, got " + melBands);
        if (kind == Kind.MFCC && (mfccCoefficients < 1 || mfccCoefficients > melBands)) {
            throw new IllegalArgumentException("mfccCoefficients must be 1..melBands (" + melBands + "), got " + mfccCoefficients);
        }
        if (!(lowHz >= 0 && lowHz < highHz && highHz <= SAMPLE_RATE / 2.0)) {
            throw new IllegalArgumentException("need 0 <= lowHz < highHz <= 8000, got " + lowHz + " and " + highHz);
        }
        if (!(logFloor > 0)) throw new IllegalArgumentException("logFloor must be > 0, got " + logFloor);
        if (normalizationFrames < 1) throw new IllegalArgumentException("normalizationFrames must be >= 1, got " + normalizationFrames);
        if (vad == null) throw new IllegalArgumentException("vad settings are required");
    }

    /** 80 log-mel bands from 20 Hz to 7600 Hz (where the resampler's passband ends), not normalised. */
    public static FeatureConfig logMel() {
        return new FeatureConfig(Kind.LOG_MEL, 80, 13, 20, 7600, 1e-10, false, 300, VoiceActivityDetector.Settings.defaults());
    }

    /** 13 MFCCs from 40 mel filters, computed by TarsosDSP. */
    public static FeatureConfig mfcc() {
        return new FeatureConfig(Kind.MFCC, 40, 13, 133.33, 6855.5, 1e-10, false, 300, VoiceActivityDetector.Settings.defaults());
    }

    public FeatureConfig withNormalization(boolean on) {
        return new FeatureConfig(kind, melBands, mfccCoefficients, lowHz, highHz, logFloor, on, normalizationFrames, vad);
    }

    /** Values per frame. */
    public int dimension() {
        return kind == Kind.LOG_MEL ? melBands : mfccCoefficients;
    }

    void write(DataOutput out) throws IOException {
        out.writeByte(kind.ordinal());
        out.writeInt(melBands);
        out.writeInt(mfccCoefficients);
        out.writeDouble(lowHz);
        out.writeDouble(highHz);
        out.writeDouble(logFloor);
        out.writeBoolean(normalize);
        out.writeInt(normalizationFrames);
        vad.write(out);
    }

    static FeatureConfig read(DataInput in) throws IOException, AudioException {
        int kind = in.readByte();
        if (kind < 0 || kind >= Kind.values().length) throw new AudioException(AudioException.Kind.BAD_STATE, "unknown feature kind " + kind + " in saved state");
        try {
            return new FeatureConfig(Kind.values()[kind], in.readInt(), in.readInt(), in.readDouble(), in.readDouble(),
                    in.readDouble(), in.readBoolean(), in.readInt(), VoiceActivityDetector.Settings.read(in));
        } catch (IllegalArgumentException e) {
            throw new AudioException(AudioException.Kind.BAD_STATE, "saved feature settings are invalid: " + e.getMessage());
        }
    }
}
