package dev.reformer.cli;

import dev.reformer.audio.AudioException;
import dev.reformer.audio.AudioFiles;
import dev.reformer.audio.FeatureConfig;
import dev.reformer.audio.PcmDecoder;
import dev.reformer.audio.StreamingFeatureExtractor;
import dev.reformer.audio.VoiceActivityDetector;
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
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "features", mixinStandardHelpOptions = true,
        description = {"Computes the audio front-end's features of one file, as the Flink job would for a stream:"
                + " decode, resample to 16 kHz, 25 ms windows every 10 ms, 80 log-mel bands (or MFCCs).",
                "Prints the source format, the shape and statistics of the frames, and the speech segments found by"
                        + " voice activity; --out writes the frames."},
        footer = {"", "Accepted input: WAV (PCM 8/16/24/32-bit, float 32-bit, WAVE_FORMAT_EXTENSIBLE, any channel count), FLAC (8/16/24-bit),"
                + " or raw s16le / f32le with --encoding, --rate and --channels.",
                "", "Examples:", "  ./reformer features audio-frontend/src/test/resources/speech/goforward-16k.wav",
                "  ./reformer features talk.raw --encoding s16le --rate 8000 --channels 1 --out talk.npy"})
final class FeaturesCommand implements Callable<Integer> {

    @Parameters(paramLabel = "IN", description = "Audio file (WAV or FLAC, or raw PCM with --encoding).")
    Path input;

    @Option(names = "--out", paramLabel = "FILE",
            description = "Write the frames: FILE.npy (float32 [frames, dims], NumPy) or FILE.csv (one frame per line).")
    Path out;

    @Option(names = "--encoding", defaultValue = "wav", description = "wav, s16le or f32le (default: ${DEFAULT-VALUE}).")
    String encoding;

    @Option(names = "--rate", defaultValue = "16000", description = "Sample rate of raw input in Hz (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--channels", defaultValue = "1", description = "Channels of raw input (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--mfcc", description = "13 MFCCs from 40 mel filters (TarsosDSP) instead of 80 log-mel bands.")
    boolean mfcc;

    @Option(names = "--normalize", description = "Running mean and variance normalisation per band, as a stream would get it.")
    boolean normalize;

    @Override
    public Integer call() throws IOException {
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
            decoder = PcmDecoder.of(PcmDecoder.Encoding.parse(encoding), rate, channels);
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
    static void writeNpy(Path path, float[][] frames, int dims) throws IOException {
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
