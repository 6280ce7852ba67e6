package dev.reformer.audio;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FLAC decoding checked against sox (Debian's, a different decoder: libFLAC) on the same files: the PCM bytes must be
 * identical. Files: FLACs that sox encodes from the committed WAVs at several rates, depths and channel counts, and the
 * real recordings of ../shared/data/real-speech where that folder is present.
 */
class AudioFilesTest {

    @TempDir
    Path dir;

    @Test
    void flacEncodedBySoxDecodesToTheSamePcmAsSoxGives() throws Exception {
        Path wav = dir.resolve("goforward.wav");
        Files.write(wav, TestAudio.resource("goforward-16k.wav"));
        for (String[] variant : new String[][] {{"16", "1", "16000"}, {"16", "2", "8000"}, {"24", "1", "44100"}, {"8", "1", "8000"}}) {
            Path flac = dir.resolve("goforward-" + String.join("-", variant) + ".flac");
            sox(List.of(wav.toString(), "-b", variant[0], "-c", variant[1], "-r", variant[2], flac.toString()));
            assertDecodesLikeSox(flac, Integer.parseInt(variant[0]), Integer.parseInt(variant[1]), Integer.parseInt(variant[2]));
        }
    }

    @Test
    void realSpeechRecordingsDecodeToTheSamePcmAsSoxGives() throws Exception {
        Path realSpeech = Path.of("..", "..", "shared", "data", "real-speech").toAbsolutePath().normalize();
        if (!Files.isDirectory(realSpeech)) {
            System.err.println("AudioFilesTest: " + realSpeech + " is not here; only the sox-encoded FLACs are checked");
            return;
        }
        List<Path> files = new ArrayList<>();
        for (String corpus : List.of("speech-commands", "an4", "fsdd")) {
            try (Stream<Path> walk = Files.walk(realSpeech.resolve(corpus))) {
                walk.filter(p -> p.toString().endsWith(".flac")).sorted().limit(4).forEach(files::add);
            }
        }
        assertTrue(files.size() >= 8, "expected FLAC files under " + realSpeech + ", found " + files);
        for (Path flac : files) {
            int rate = flac.toString().contains("/fsdd/") ? 8000 : 16000;
            assertDecodesLikeSox(flac, 16, 1, rate);
        }
    }

    @Test
    void wavBytesPassThroughUnchanged() throws Exception {
        byte[] wav = TestAudio.resource("goforward-16k.wav");
        assertSame(wav, AudioFiles.asWav(wav));
        assertFalse(AudioFiles.isFlac(wav));
        assertTrue(AudioFiles.isAudioFileName("a/B.FLAC") && AudioFiles.isAudioFileName("x.wav") && !AudioFiles.isAudioFileName("x.raw"));
    }

    @Test
    void truncatedFlacIsRefusedWithTheSampleCounts() throws Exception {
        byte[] flac = encode();
        byte[] half = Arrays.copyOf(flac, flac.length / 2);
        AudioException e = assertThrows(AudioException.class, () -> AudioFiles.asWav(half));
        assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("do not decode"), e.getMessage());
    }

    @Test
    void garbledFlacIsRefusedWithAClearError() throws Exception {
        byte[] flac = encode();
        byte[] headerOnly = Arrays.copyOf(flac, 4);
        AudioException noInfo = assertThrows(AudioException.class, () -> AudioFiles.asWav(headerOnly));
        assertTrue(noInfo.getMessage().startsWith("not a FLAC file the decoder reads"), noInfo.getMessage());

        byte[] damaged = flac.clone();
        for (int i = damaged.length / 3; i < damaged.length / 3 + 200; i++) damaged[i] ^= (byte) 0x5A;
        AudioException bad = assertThrows(AudioException.class, () -> AudioFiles.asWav(damaged));
        assertTrue(bad.getMessage().contains("FLAC"), bad.getMessage());
    }

    private byte[] encode() throws Exception {
        Path wav = dir.resolve("in.wav"), flac = dir.resolve("in.flac");
        Files.write(wav, TestAudio.resource("goforward-16k.wav"));
        sox(List.of(wav.toString(), flac.toString()));
        return Files.readAllBytes(flac);
    }

    private static void assertDecodesLikeSox(Path flac, int bits, int channels, int rate) throws Exception {
        byte[] ours = AudioFiles.readAsWav(flac);
        ByteBuffer header = ByteBuffer.wrap(ours).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(channels, header.getShort(22), flac + ": channels");
        assertEquals(rate, header.getInt(24), flac + ": sample rate");
        assertEquals(bits, header.getShort(34), flac + ": bits per sample");
        byte[] pcm = Arrays.copyOfRange(ours, 44, ours.length);
        // WAV's 8-bit samples are unsigned; wider ones signed little-endian
        String encoding = bits == 8 ? "unsigned" : "signed";
        byte[] reference = sox(List.of(flac.toString(), "-t", "raw", "-e", encoding, "-b", Integer.toString(bits), "-L", "-"));
        assertTrue(reference.length > 1000, flac + ": sox gave " + reference.length + " bytes");
        assertArrayEquals(reference, pcm, flac + ": samples differ from sox's");
        // and the front-end's own WAV decoder reads the result
        float[] samples = PcmDecoder.wav().push(ours, 0, ours.length);
        assertEquals(reference.length / (bits / 8) / channels, samples.length, flac + ": decoded sample count");
    }

    private static byte[] sox(List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("sox", "-R", "-D"));
        command.addAll(args);
        Process p;
        try {
            p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new IllegalStateException("these tests compare against sox: apt-get install sox", e);
        }
        byte[] out = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor(), "sox " + args + " failed");
        return out;
    }
}
