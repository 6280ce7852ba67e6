package dev.reformer.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PcmDecoderTest {

    /** A WAV written field by field: format tag, channels, rate, bits, optional extensible header and extra chunks. */
    record Wav(int tag, int channels, int rate, int bits, boolean extensible, boolean listChunkFirst, long dataSizeField, byte[] data) {
        byte[] bytes() {
            ByteBuffer b = ByteBuffer.allocate(200 + data.length).order(ByteOrder.LITTLE_ENDIAN);
            b.put("RIFF".getBytes()).putInt(0).put("WAVE".getBytes());
            if (listChunkFirst) b.put("LIST".getBytes()).putInt(5).put(new byte[]{'I', 'N', 'F', 'O', 'x'}).put((byte) 0); // odd size, pad byte
            int block = channels * bits / 8;
            b.put("fmt ".getBytes()).putInt(extensible ? 40 : 16).putShort((short) (extensible ? 0xFFFE : tag)).putShort((short) channels)
                    .putInt(rate).putInt(rate * block).putShort((short) block).putShort((short) bits);
            if (extensible) {
                b.putShort((short) 22).putShort((short) bits).putInt(channels == 1 ? 4 : 3).putShort((short) tag)
                        .put(new byte[]{0, 0, 0, 0, 0x10, 0, (byte) 0x80, 0, 0, (byte) 0xAA, 0, 0x38, (byte) 0x9B, 0x71});
            }
            b.put("data".getBytes()).putInt((int) dataSizeField).put(data);
            byte[] out = Arrays.copyOf(b.array(), b.position());
            ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(4, out.length - 8);
            return out;
        }

        static Wav of(int tag, int channels, int rate, int bits, byte[] data) {
            return new Wav(tag, channels, rate, bits, false, false, data.length, data);
        }
    }

    static byte[] le(int bytesPerValue, long... values) {
        ByteBuffer b = ByteBuffer.allocate(bytesPerValue * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) for (int i = 0; i < bytesPerValue; i++) b.put((byte) (v >> (8 * i)));
        return b.array();
    }

    static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return b.array();
    }

    static float[] decodeWhole(PcmDecoder d, byte[] bytes) throws AudioException {
        float[] a = d.push(bytes, 0, bytes.length), b = d.finish();
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void everyFormatDecodesToTheExpectedSamples() throws AudioException {
        assertArrayEquals(new float[]{-1f, 0f, 127 / 128f}, decodeWhole(PcmDecoder.wav(), Wav.of(1, 1, 8000, 8, new byte[]{0, (byte) 128, (byte) 255}).bytes()));
        assertArrayEquals(new float[]{-1f, 0.5f, 32767 / 32768f}, decodeWhole(PcmDecoder.wav(), Wav.of(1, 1, 16000, 16, le(2, -32768, 16384, 32767)).bytes()));
        assertArrayEquals(new float[]{-1f, 0.25f}, decodeWhole(PcmDecoder.wav(), Wav.of(1, 1, 44100, 24, le(3, -8388608, 2097152)).bytes()));
        assertArrayEquals(new float[]{-1f, -0.5f}, decodeWhole(PcmDecoder.wav(), Wav.of(1, 1, 48000, 32, le(4, Integer.MIN_VALUE, Integer.MIN_VALUE / 2)).bytes()));
        assertArrayEquals(new float[]{0.25f, -0.75f}, decodeWhole(PcmDecoder.wav(), Wav.of(3, 1, 22050, 32, floats(0.25f, -0.75f)).bytes()));
        byte[] doubles = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.125).putDouble(-0.5).array();
        assertArrayEquals(new float[]{0.125f, -0.5f}, decodeWhole(PcmDecoder.wav(), Wav.of(3, 1, 22050, 64, doubles).bytes()));
        // WAVE_FORMAT_EXTENSIBLE, integer and float, stereo: the mean of the channels
        assertArrayEquals(new float[]{0.375f}, decodeWhole(PcmDecoder.wav(), new Wav(1, 2, 16000, 16, true, false, 4, le(2, 16384, 8192)).bytes()));
        assertArrayEquals(new float[]{0.5f}, decodeWhole(PcmDecoder.wav(), new Wav(3, 2, 16000, 32, true, false, 8, floats(0.25f, 0.75f)).bytes()));
        // three channels, a LIST chunk of odd size before fmt, an unknown data length
        float[] three = decodeWhole(PcmDecoder.wav(), new Wav(1, 3, 8000, 16, false, true, 0xFFFFFFFFL, le(2, 3000, 6000, 9000, -3000, -3000, -3000)).bytes());
        assertArrayEquals(new float[]{(3000 + 6000 + 9000) / 32768f / 3, -3000 / 32768f * 3 / 3}, three, 1e-7f);
        // bytes after a data chunk of declared size are another chunk, not audio
        byte[] withTrailer = Wav.of(1, 1, 16000, 16, le(2, 100, 200)).bytes();
        byte[] trailer = "LIST\u0004\u0000\u0000\u0000abcd".getBytes();
        byte[] both = Arrays.copyOf(withTrailer, withTrailer.length + trailer.length);
        System.arraycopy(trailer, 0, both, withTrailer.length, trailer.length);
        assertArrayEquals(new float[]{100 / 32768f, 200 / 32768f}, decodeWhole(PcmDecoder.wav(), both));
        // raw PCM
        assertArrayEquals(new float[]{0.5f, -0.5f}, decodeWhole(PcmDecoder.raw(PcmDecoder.Encoding.S16LE, 8000, 1), le(2, 16384, -16384)));
        assertArrayEquals(new float[]{0.5f}, decodeWhole(PcmDecoder.raw(PcmDecoder.Encoding.F32LE, 8000, 2), floats(0.25f, 0.75f)));
        PcmDecoder d = PcmDecoder.wav();
        decodeWhole(d, Wav.of(1, 2, 44100, 16, le(2, 1, 2, 3, 4)).bytes());
        assertEquals(44100, d.sampleRate());
        assertEquals(2, d.channels());
        assertEquals(2, d.samplesDecoded());
    }

    private static byte[] save(PcmDecoder d) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        d.writeState(new DataOutputStream(bytes));
        return bytes.toByteArray();
    }

    @Test
    void splittingTheBytesAnywhereAndRestoringAnywhereChangesNothing() throws Exception {
        Random random = new Random(1);
        byte[] pcm16 = new byte[3000], pcm24 = new byte[3 * 3 * 500];
        random.nextBytes(pcm16);
        random.nextBytes(pcm24);
        float[] f = TestAudio.noise(0.3, 800, 2);
        List<Object[]> cases = List.of(
                new Object[]{"16-bit stereo WAV with LIST", PcmDecoder.Encoding.WAV, new Wav(1, 2, 44100, 16, false, true, 3000, pcm16).bytes()},
                new Object[]{"24-bit 3-channel WAV", PcmDecoder.Encoding.WAV, Wav.of(1, 3, 48000, 24, pcm24).bytes()},
                new Object[]{"extensible float WAV", PcmDecoder.Encoding.WAV, new Wav(3, 2, 32000, 32, true, false, 3200, floats(f)).bytes()},
                new Object[]{"raw s16le stereo", PcmDecoder.Encoding.S16LE, pcm16},
                new Object[]{"raw f32le", PcmDecoder.Encoding.F32LE, floats(f)});
        for (Object[] c : cases) {
            PcmDecoder.Encoding encoding = (PcmDecoder.Encoding) c[1];
            byte[] bytes = (byte[]) c[2];
            float[] expected = decodeWhole(PcmDecoder.of(encoding, 16000, 2), bytes);
            assertTrue(expected.length > 100, c[0] + " decodes");
            for (int trial = 0; trial < 6; trial++) {
                PcmDecoder d = PcmDecoder.of(encoding, 16000, 2);
                List<Float> out = new ArrayList<>();
                for (int at = 0; at < bytes.length; ) {
                    int n = Math.min(bytes.length - at, switch (trial) {
                        case 0 -> 1;
                        case 1 -> 7;                               // never aligned with a frame or a header field
                        default -> 1 + random.nextInt(random.nextBoolean() ? 13 : 900);
                    });
                    for (float v : d.push(bytes, at, n)) out.add(v);
                    at += n;
                    if (trial >= 3 && random.nextInt(3) == 0) d = PcmDecoder.readState(new DataInputStream(new ByteArrayInputStream(save(d))));
                }
                for (float v : d.finish()) out.add(v);
                float[] actual = new float[out.size()];
                for (int i = 0; i < actual.length; i++) actual[i] = out.get(i);
                assertArrayEquals(expected, actual, c[0] + ", trial " + trial);
            }
        }
    }

    private static AudioException fails(PcmDecoder.Encoding encoding, byte[] bytes) {
        return assertThrows(AudioException.class, () -> decodeWhole(PcmDecoder.of(encoding, 16000, 1), bytes));
    }

    private static void assertKind(AudioException.Kind kind, AudioException e, String... mentions) {
        assertEquals(kind, e.kind(), e.getMessage());
        for (String m : mentions) assertTrue(e.getMessage().contains(m), "'" + e.getMessage() + "' mentions " + m);
    }

    @Test
    void unsupportedEncodingsSayWhatIsAccepted() {
        assertKind(AudioException.Kind.UNSUPPORTED_ENCODING, assertThrows(AudioException.class, () -> PcmDecoder.Encoding.parse("opus")), "s16le", "f32le", "wav");
        assertKind(AudioException.Kind.UNSUPPORTED_ENCODING, fails(PcmDecoder.Encoding.WAV, Wav.of(7, 1, 8000, 8, new byte[4]).bytes()), "mu-law", "16");
        assertKind(AudioException.Kind.UNSUPPORTED_ENCODING, fails(PcmDecoder.Encoding.WAV, Wav.of(2, 1, 8000, 4, new byte[4]).bytes()), "ADPCM");
        assertKind(AudioException.Kind.UNSUPPORTED_ENCODING, fails(PcmDecoder.Encoding.WAV, Wav.of(1, 1, 8000, 12, new byte[4]).bytes()), "12 bits");
        assertKind(AudioException.Kind.UNSUPPORTED_ENCODING, fails(PcmDecoder.Encoding.WAV, Wav.of(3, 1, 8000, 16, new byte[4]).bytes()), "float");
    }

    @Test
    void truncatedHeadersAreNamed() {
        byte[] wav = Wav.of(1, 1, 16000, 16, new byte[8]).bytes();
        for (int cut : new int[]{0, 3, 11, 12, 20, 43}) {
            assertKind(AudioException.Kind.TRUNCATED_HEADER, fails(PcmDecoder.Encoding.WAV, Arrays.copyOf(wav, cut)), "header");
        }
    }

    @Test
    void garbledHeadersAreNamed() {
        byte[] notRiff = Wav.of(1, 1, 16000, 16, new byte[8]).bytes();
        notRiff[0] = 'X';
        assertKind(AudioException.Kind.GARBLED_HEADER, fails(PcmDecoder.Encoding.WAV, notRiff), "RIFF");
        byte[] badAlign = Wav.of(1, 2, 16000, 16, new byte[8]).bytes();
        badAlign[32] = 3;
        assertKind(AudioException.Kind.GARBLED_HEADER, fails(PcmDecoder.Encoding.WAV, badAlign), "block align");
        byte[] dataFirst = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).put("RIFF".getBytes()).putInt(16).put("WAVE".getBytes())
                .put("data".getBytes()).putInt(4).put(new byte[4]).array();
        assertKind(AudioException.Kind.GARBLED_HEADER, fails(PcmDecoder.Encoding.WAV, dataFirst), "before any fmt");
        byte[] shortFmt = Wav.of(1, 1, 16000, 16, new byte[8]).bytes();
        shortFmt[16] = 8;
        assertKind(AudioException.Kind.GARBLED_HEADER, fails(PcmDecoder.Encoding.WAV, shortFmt), "fmt chunk");
        byte[] binaryChunk = Wav.of(1, 1, 16000, 16, new byte[8]).bytes();
        binaryChunk[36] = 0;   // the data chunk's id
        assertKind(AudioException.Kind.GARBLED_HEADER, fails(PcmDecoder.Encoding.WAV, binaryChunk), "not text");
    }

    @Test
    void badRatesAndChannelCountsAreNamed() {
        assertKind(AudioException.Kind.BAD_SAMPLE_RATE, fails(PcmDecoder.Encoding.WAV, Wav.of(1, 1, 0, 16, new byte[4]).bytes()), "384000");
        assertKind(AudioException.Kind.BAD_SAMPLE_RATE, fails(PcmDecoder.Encoding.WAV, Wav.of(1, 1, 384_001, 16, new byte[4]).bytes()), "384000");
        assertKind(AudioException.Kind.BAD_CHANNEL_COUNT, fails(PcmDecoder.Encoding.WAV, Wav.of(1, 0, 16000, 16, new byte[4]).bytes()), "1 to 64");
        assertKind(AudioException.Kind.BAD_SAMPLE_RATE, assertThrows(AudioException.class, () -> PcmDecoder.raw(PcmDecoder.Encoding.S16LE, 0, 1)));
        assertKind(AudioException.Kind.BAD_CHANNEL_COUNT, assertThrows(AudioException.class, () -> PcmDecoder.raw(PcmDecoder.Encoding.F32LE, 16000, 0)));
    }

    @Test
    void oddBytesAtTheEndAreNamed() {
        assertKind(AudioException.Kind.TRAILING_BYTES, fails(PcmDecoder.Encoding.S16LE, new byte[]{1, 2, 3}), "1 byte", "2 bytes");
        byte[] wav = Wav.of(1, 1, 16000, 16, new byte[5]).bytes();   // data size 5: not whole 2-byte frames
        assertEquals(AudioException.Kind.GARBLED_HEADER, fails(PcmDecoder.Encoding.WAV, wav).kind());
        byte[] streaming = new Wav(1, 1, 16000, 16, false, false, 0, new byte[5]).bytes();
        assertKind(AudioException.Kind.TRAILING_BYTES, fails(PcmDecoder.Encoding.WAV, streaming), "multiple");
    }

    @Test
    void nonFiniteSamplesAreNamed() {
        assertKind(AudioException.Kind.NON_FINITE_SAMPLE, fails(PcmDecoder.Encoding.F32LE, floats(0.1f, Float.NaN)), "sample 1", "NaN");
        assertKind(AudioException.Kind.NON_FINITE_SAMPLE, fails(PcmDecoder.Encoding.WAV, Wav.of(3, 1, 16000, 32, floats(Float.POSITIVE_INFINITY)).bytes()), "Infinity");
    }

    @Test
    void emptyStreamsAreNamed() {
        assertKind(AudioException.Kind.EMPTY_STREAM, fails(PcmDecoder.Encoding.S16LE, new byte[0]), "no audio");
        assertKind(AudioException.Kind.EMPTY_STREAM, fails(PcmDecoder.Encoding.WAV, Wav.of(1, 1, 16000, 16, new byte[0]).bytes()), "no audio");
    }

    @Test
    void mangledInputOnlyEverGivesTypedErrors() throws IOException, AudioException {
        Random random = new Random(17);
        byte[] good = new Wav(1, 2, 44100, 16, false, true, 400, new byte[400]).bytes();
        for (int trial = 0; trial < 3000; trial++) {
            byte[] bad = Arrays.copyOf(good, random.nextInt(4) == 0 ? random.nextInt(good.length) : good.length);
            for (int m = 0, mutations = 1 + random.nextInt(4); m < mutations && bad.length > 0; m++) {
                bad[random.nextInt(Math.min(bad.length, 80))] = (byte) random.nextInt(256);
            }
            try {
                PcmDecoder d = PcmDecoder.wav();
                for (int at = 0; at < bad.length; at += 11) d.push(bad, at, Math.min(11, bad.length - at));
                d.finish();
            } catch (AudioException expected) {
                assertTrue(expected.getMessage().length() > 20);
            } catch (Throwable t) {
                fail("trial " + trial + " escaped as " + t, t);
            }
        }
        // states: random bytes, and real states with a byte changed; one that is accepted must then decode safely
        List<byte[]> realStates = new ArrayList<>();
        PcmDecoder source = PcmDecoder.wav();
        for (int at = 0; at < good.length; at += 5) {
            source.push(good, at, Math.min(5, good.length - at));
            realStates.add(save(source));
        }
        for (int trial = 0; trial < 20000; trial++) {
            byte[] junk;
            if (trial % 2 == 0) {
                junk = realStates.get(random.nextInt(realStates.size())).clone();
                junk[4 + random.nextInt(junk.length - 4)] = (byte) random.nextInt(256);
            } else {
                junk = new byte[random.nextInt(80)];
                random.nextBytes(junk);
                if (junk.length > 4) { junk[0] = 0; junk[1] = 0; junk[2] = 0; junk[3] = 1; }
            }
            try {
                PcmDecoder restored = PcmDecoder.readState(new DataInputStream(new ByteArrayInputStream(junk)));
                byte[] more = new byte[random.nextInt(64)];
                random.nextBytes(more);
                try {
                    restored.push(more, 0, more.length);
                    restored.finish();
                } catch (AudioException fine) {
                    // a typed error: what a caller can handle
                }
            } catch (AudioException e) {
                assertEquals(AudioException.Kind.BAD_STATE, e.kind());
            } catch (IOException ranOut) {
                // fine: the state ended early
            } catch (Throwable t) {
                fail("a restored state escaped as " + t + " (trial " + trial + ")", t);
            }
        }
    }
}
