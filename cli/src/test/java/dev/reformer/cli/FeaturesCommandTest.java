package dev.reformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeaturesCommandTest {

    /** Runs the CLI, returning its exit code and what it printed on stdout and stderr. */
    static String[] run(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new String[]{String.valueOf(code), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void aFlacFileGivesTheFramesOfTheWavItWasMadeFrom(@TempDir Path dir) throws Exception {
        Path wav = dir.resolve("in.wav"), flac = dir.resolve("in.flac");
        Random random = new Random(2);
        float[] x = new float[16000];
        for (int n = 0; n < x.length; n++) x[n] = (float) (0.2 * Math.sin(2 * Math.PI * 440 * n / 16000.0) + 0.01 * random.nextGaussian());
        TrainCommandTest.wav(wav, x, 16000);
        Process sox = new ProcessBuilder("sox", wav.toString(), flac.toString()).redirectErrorStream(true).start();
        assertEquals(0, sox.waitFor(), new String(sox.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        String[] fromWav = run("features", wav.toString(), "--out", dir.resolve("wav.npy").toString());
        String[] fromFlac = run("features", flac.toString(), "--out", dir.resolve("flac.npy").toString());
        assertEquals("0", fromFlac[0], fromFlac[2]);
        assertEquals(fromWav[1].replace("in.wav", "in.flac").replace("wav.npy", "flac.npy"), fromFlac[1]);
        org.junit.jupiter.api.Assertions.assertArrayEquals(Files.readAllBytes(dir.resolve("wav.npy")), Files.readAllBytes(dir.resolve("flac.npy")));

        byte[] cut = Files.readAllBytes(flac);
        Path truncated = dir.resolve("cut.flac");
        Files.write(truncated, java.util.Arrays.copyOf(cut, cut.length / 2));
        String[] refused = run("features", truncated.toString());
        assertEquals("1", refused[0]);
        assertTrue(refused[2].contains("FLAC"), refused[2]);
    }

    @Test
    void printsShapeStatisticsAndSpeechAndWritesNpy(@TempDir Path dir) throws Exception {
        Random random = new Random(1);
        float[] x = new float[2 * 22050];
        for (int n = 0; n < x.length; n++) {
            boolean speech = n > 22050 / 2 && n < 3 * 22050 / 2;
            x[n] = (float) ((speech ? 0.3 * Math.sin(2 * Math.PI * 300 * n / 22050.0) : 0) + 0.001 * random.nextGaussian());
        }
        Path wav = dir.resolve("in.wav"), npy = dir.resolve("frames.npy");
        TrainCommandTest.wav(wav, x, 22050);
        String[] result = run("features", wav.toString(), "--out", npy.toString());
        assertEquals("0", result[0], result[2]);
        assertTrue(result[1].contains("22050 Hz, 1 channel(s), 2.00 s"), result[1]);
        int frames = 1 + (32000 - 400) / 160;
        assertTrue(result[1].contains(frames + " frames x 80"), result[1]);
        java.util.regex.Matcher speech = java.util.regex.Pattern.compile("speech: ([0-9.]+)-([0-9.]+) s").matcher(result[1]);
        assertTrue(speech.find(), result[1]);
        assertEquals(0.5, Double.parseDouble(speech.group(1)), 0.05, result[1]);
        assertEquals(1.5, Double.parseDouble(speech.group(2)), 0.05, result[1]);
        byte[] file = Files.readAllBytes(npy);
        int headerLength = (file[8] & 0xff) | (file[9] & 0xff) << 8;
        String header = new String(file, 10, headerLength, StandardCharsets.US_ASCII);
        assertTrue(header.contains("'shape': (" + frames + ", 80)"), header);
        assertEquals(0, (10 + headerLength) % 64, "the header is padded to 64 bytes");
        assertEquals(10 + headerLength + 4L * frames * 80, file.length);
        float first = ByteBuffer.wrap(file, 10 + headerLength, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
        assertTrue(Float.isFinite(first));
    }

    @Test
    void badInputGetsAClearErrorAndAnExitCode(@TempDir Path dir) throws Exception {
        Path garbage = dir.resolve("garbage.wav");
        Files.write(garbage, "this is not audio at all, just text".getBytes());
        String[] result = run("features", garbage.toString());
        assertEquals("1", result[0]);
        assertTrue(result[2].contains("GARBLED_HEADER") && result[2].contains("RIFF"), result[2]);
        assertEquals("2", run("features", dir.resolve("missing.wav").toString())[0]);
        assertEquals("2", run("features", garbage.toString(), "--out", dir.resolve("x.txt").toString())[0]);
        String[] raw = run("features", garbage.toString(), "--encoding", "s16le", "--rate", "0");
        assertTrue(raw[2].contains("BAD_SAMPLE_RATE"), raw[2]);
    }
}
