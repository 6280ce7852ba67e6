package dev.reformer.datagen;

import dev.reformer.audio.AudioException;
import dev.reformer.audio.AudioFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** The audio steps of datagen that are not augmentation: to 16 kHz mono through sox, trimming, levels, WAV bytes. */
public final class Audio {
    public static final int RATE = 16000;
    /** Below this (about -46 dBFS) a sample counts as the engine's silence when trimming. */
    private static final float SILENCE = 0.005f;

    private Audio() {}

    /**
     * A WAV of any format to 16 kHz mono samples through sox, with extra sox effects (may be empty). -R (repeatable) and
     * -D (no dither) keep sox from adding anything random, so the output depends on the input and effects alone.
     */
    public static float[] toMono16k(byte[] wav, List<String> effects) throws IOException {
        List<String> command = new ArrayList<>(List.of("sox", "-R", "-D", "-t", "wav", "-", "-t", "wav", "-r", Integer.toString(RATE),
                "-c", "1", "-b", "16", "-e", "signed-integer", "-"));
        command.addAll(effects);
        return decode(Tool.run(command, wav));
    }

    /** Samples of a WAV, through the project's one whole-file decoder (the one the front-end and the job use). */
    public static float[] decode(byte[] wav) throws IOException {
        try {
            return AudioFiles.decode(wav).samples();
        } catch (AudioException e) {
            throw new IOException("not a WAV file the decoder reads: " + e.getMessage(), e);
        }
    }

    /** 16 kHz mono 16-bit PCM WAV bytes; samples are clipped to [-1, 1]. */
    public static byte[] wav(float[] samples) {
        ByteBuffer pcm = ByteBuffer.allocate(2 * samples.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : samples) pcm.putShort((short) Math.round(Math.max(-1f, Math.min(1f, x)) * 32767));
        return AudioFiles.wav(pcm.array(), RATE, 1, 16);
    }

    /** The part between the first and last sample louder than the engine's silence, with 20 ms kept on each side. */
    public static float[] trim(float[] x) {
        int first = 0, last = x.length - 1;
        while (first < x.length && Math.abs(x[first]) < SILENCE) first++;
        while (last > first && Math.abs(x[last]) < SILENCE) last--;
        if (first >= x.length) return new float[0];
        int margin = RATE / 50;
        return java.util.Arrays.copyOfRange(x, Math.max(0, first - margin), Math.min(x.length, last + 1 + margin));
    }

    public static double rms(float[] x, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) sum += (double) x[i] * x[i];
        return to > from ? Math.sqrt(sum / (to - from)) : 0;
    }

    /** Adds noise (RMS 1) scaled to the given signal-to-noise ratio against the signal's RMS over [from, to). */
    public static void mix(float[] signal, float[] noise, double snrDb, int from, int to) {
        double scale = rms(signal, from, to) / Math.pow(10, snrDb / 20);
        for (int i = 0; i < signal.length; i++) signal[i] += (float) (scale * noise[i]);
    }

    /** Scales so that the largest magnitude is peak. */
    public static void normalize(float[] x, double peak) {
        float max = 0;
        for (float v : x) max = Math.max(max, Math.abs(v));
        if (max == 0) return;
        float gain = (float) (peak / max);
        for (int i = 0; i < x.length; i++) x[i] *= gain;
    }

    /** Seconds of samples at 16 kHz. */
    public static int samples(double seconds) {
        return (int) Math.round(seconds * RATE);
    }
}
