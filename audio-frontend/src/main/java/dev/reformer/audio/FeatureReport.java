package dev.reformer.audio;

import java.io.BufferedWriter;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code ./reformer features}: one file's front-end features, as the Flink job would compute them for a stream, with
 * the source format, the frames' shape and statistics and the speech segments voice activity finds; the frames can be
 * written as .npy (NumPy) or .csv.
 */
public final class FeatureReport {
    private FeatureReport() {}

    /**
     * What to compute.
     *
     * @param out      where the frames go (.npy or .csv), or null
     * @param encoding wav (WAV or FLAC), s16le or f32le; rate and channels are those of raw input
     */
    public record Options(Path input, Path out, String encoding, int rate, int channels, boolean mfcc, boolean normalize) {}

    /** Prints the report (see the class comment) and writes the frames to o.out() when given; the exit code: 1 undecodable, 2 usage. */
    public static int run(Options o) throws IOException {
        Path input = o.input(), out = o.out();
        boolean mfcc = o.mfcc(), normalize = o.normalize();
        if (!Files.isReadable(input)) {
            System.err.println("error: cannot read " + input + "; give the path of a WAV, FLAC or raw PCM file");
            return 2;
        }
        if (out != null && !(out.toString().endsWith(".npy") || out.toString().endsWith(".csv"))) {
            System.err.println("error: --out " + out + ": name the file .npy or .csv");
            return 2;
        }
        FeatureConfig config = (mfcc ? FeatureConfig.mfcc() : FeatureConfig.logMel()).withNormalization(normalize);
        StreamingFeatureExtractor.Output result;
        PcmDecoder decoder;
        try {
            decoder = PcmDecoder.of(PcmDecoder.Encoding.parse(o.encoding()), o.rate(), o.channels());
            byte[] bytes = Files.readAllBytes(input);
            if (decoder.isWav() && AudioFiles.isFlac(bytes)) bytes = AudioFiles.flacToWav(bytes);
            result = StreamingFeatureExtractor.extractAll(config, decoder, bytes);
        } catch (AudioException e) {
            System.err.println("error: " + input + ": " + e.getMessage() + " [" + e.kind() + "]");
            return 1;
        }
        float[][] frames = result.frames();
        int dims = config.dimension();
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0, squares = 0;
        for (float[] frame : frames) {
            for (float v : frame) {
                min = Math.min(min, v);
                max = Math.max(max, v);
                sum += v;
                squares += (double) v * v;
            }
        }
        long n = (long) frames.length * dims;
        double mean = n == 0 ? 0 : sum / n;
        System.out.printf(Locale.ROOT, "input: %s, %d Hz, %d channel(s), %.2f s%n", input, decoder.sampleRate(),
                decoder.channels(), (double) decoder.samplesDecoded() / decoder.sampleRate());
        System.out.printf(Locale.ROOT, "features: %s%s, %d frames x %d (25 ms windows every 10 ms at 16 kHz)%n",
                mfcc ? "MFCC" : "log-mel", normalize ? ", normalised" : "", frames.length, dims);
        if (n > 0) {
            System.out.printf(Locale.ROOT, "values: min %.4f, max %.4f, mean %.4f, std %.4f%n", min, max, mean,
                    Math.sqrt(Math.max(0, squares / n - mean * mean)));
        }
        StringBuilder speech = new StringBuilder();
        for (VoiceActivityDetector.Event e : result.events()) {
            speech.append(e.type() == VoiceActivityDetector.Event.Type.SPEECH_START
                    ? String.format(Locale.ROOT, " %.2f-", e.seconds()) : String.format(Locale.ROOT, "%.2f s", e.seconds()));
        }
        System.out.println("speech:" + (speech.length() == 0 ? " none found" : speech));
        if (out != null) {
            if (out.toString().endsWith(".npy")) writeNpy(out, frames, dims);
            else writeCsv(out, frames);
            System.out.println("wrote " + out);
        }
        return 0;
    }

    /** NumPy's .npy format, version 1.0: magic, header length, a Python dict literal, then little-endian float32. */
    public static void writeNpy(Path path, float[][] frames, int dims) throws IOException {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + frames.length + ", " + dims + "), }";
        int unpadded = 10 + dict.length() + 1;
        String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        try (OutputStream file = Files.newOutputStream(path); DataOutputStream data = new DataOutputStream(new java.io.BufferedOutputStream(file))) {
            data.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
            data.write(header.length() & 0xff);
            data.write(header.length() >>> 8);
            data.write(header.getBytes(StandardCharsets.US_ASCII));
            ByteBuffer row = ByteBuffer.allocate(4 * dims).order(ByteOrder.LITTLE_ENDIAN);
            for (float[] frame : frames) {
                row.clear();
                for (float v : frame) row.putFloat(v);
                data.write(row.array());
            }
        }
    }

    private static void writeCsv(Path path, float[][] frames) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(path)) {
            for (float[] frame : frames) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < frame.length; i++) line.append(i == 0 ? "" : ",").append(frame[i]);
                w.write(line.append('\n').toString());
            }
        }
    }
}
