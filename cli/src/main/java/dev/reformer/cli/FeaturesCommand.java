package dev.reformer.cli;

import dev.reformer.audio.FeatureReport;
import java.nio.file.Path;
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
    public Integer call() throws Exception {
        return FeatureReport.run(new FeatureReport.Options(input, out, encoding, rate, channels, mfcc, normalize));
    }
}
