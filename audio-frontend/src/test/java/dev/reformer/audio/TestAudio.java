package dev.reformer.audio;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/** Signals and WAV files written by hand for the front-end tests, independent of the decoder. */
final class TestAudio {

    private TestAudio() {}

    /** 16-bit PCM WAV; {@code interleaved} holds channels * frames samples in [-1, 1]. */
    static byte[] wav16(float[] interleaved, int sampleRate, int channels) {
        int dataBytes = interleaved.length * 2;
        ByteBuffer b = ByteBuffer.allocate(44 + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + dataBytes).put("WAVE".getBytes());
        b.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) channels)
                .putInt(sampleRate).putInt(sampleRate * channels * 2).putShort((short) (channels * 2)).putShort((short) 16);
        b.put("data".getBytes()).putInt(dataBytes);
        for (float x : interleaved) b.putShort((short) Math.max(-32768, Math.min(32767, Math.round(x * 32767))));
        return b.array();
    }

    static float[] tone(double hz, double amplitude, int sampleRate, int samples) {
        float[] x = new float[samples];
        for (int n = 0; n < samples; n++) x[n] = (float) (amplitude * Math.sin(2 * Math.PI * hz * n / sampleRate));
        return x;
    }

    static float[] noise(double amplitude, int samples, long seed) {
        Random random = new Random(seed);
        float[] x = new float[samples];
        for (int n = 0; n < samples; n++) x[n] = (float) (amplitude * random.nextGaussian());
        return x;
    }

    static byte[] resource(String name) {
        try (InputStream in = TestAudio.class.getResourceAsStream("/speech/" + name)) {
            if (in == null) throw new IllegalStateException("missing test resource /speech/" + name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The 16-bit samples of a canonical 44-byte-header mono WAV, as the test reads them itself. */
    static float[] samplesOfSimpleWav(byte[] wav) {
        ByteBuffer b = ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN);
        int dataStart = 12;
        while (!(wav[dataStart] == 'd' && wav[dataStart + 1] == 'a' && wav[dataStart + 2] == 't' && wav[dataStart + 3] == 'a')) {
            dataStart += 8 + b.getInt(dataStart + 4);
        }
        int bytes = b.getInt(dataStart + 4);
        float[] x = new float[bytes / 2];
        for (int i = 0; i < x.length; i++) x[i] = b.getShort(dataStart + 8 + 2 * i) / 32768f;
        return x;
    }
}
