package dev.reformer.audio;

import org.jflac.FLACDecoder;
import org.jflac.PCMProcessor;
import org.jflac.metadata.StreamInfo;
import org.jflac.util.ByteData;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Whole audio files, WAV or FLAC, as the WAV bytes that {@link PcmDecoder#wav()} reads: the one place that knows the
 * file formats, so that {@code features}, {@code train}, {@code eval}, {@code produce} and datagen take FLAC (the
 * format of most public speech corpora) exactly as they take WAV. A FLAC file becomes a PCM WAV of the same rate,
 * channels, bit depth and samples; a WAV file is returned as it is.
 */
public final class AudioFiles {
    /** FLAC streams start with these four bytes (RFC 9639, section 8). */
    private static final byte[] FLAC_MAGIC = "fLaC".getBytes(StandardCharsets.US_ASCII);
    /** A FLAC stream declares up to 2^36 samples; more than this many bytes of PCM would not fit one WAV (or one array). */
    private static final long MAX_PCM_BYTES = Integer.MAX_VALUE - 64;

    private AudioFiles() {}

    /** Whether a file name is one of the audio formats read here (.wav, .flac), by its extension. */
    public static boolean isAudioFileName(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".wav") || lower.endsWith(".flac");
    }

    public static boolean isFlac(byte[] bytes) {
        if (bytes.length < FLAC_MAGIC.length) return false;
        for (int i = 0; i < FLAC_MAGIC.length; i++) if (bytes[i] != FLAC_MAGIC[i]) return false;
        return true;
    }

    /** A file's bytes as WAV: FLAC decoded, anything else as it is (the WAV decoder says what is wrong with it). */
    public static byte[] readAsWav(Path file) throws IOException, AudioException {
        return asWav(Files.readAllBytes(file));
    }

    /** The same as {@link #readAsWav(Path)} for bytes already read. */
    public static byte[] asWav(byte[] bytes) throws AudioException {
        return isFlac(bytes) ? flacToWav(bytes) : bytes;
    }

    /** Seconds of audio in a WAV or FLAC file, from its header (a FLAC that does not say is decoded). */
    public static double seconds(Path file) throws IOException, AudioException {
        byte[] head;
        try (var in = Files.newInputStream(file)) {
            head = in.readNBytes(64);
        }
        if (isFlac(head) && head.length >= 26) {
            // STREAMINFO is the first metadata block: 4-byte block header, then (bits) 16 16 24 24 | rate 20, channels 3,
            // bits per sample 5, total samples 36
            ByteBuffer b = ByteBuffer.wrap(head, 18, 8);
            long packed = b.getLong();
            int rate = (int) (packed >>> 44);
            long samples = packed & 0xF_FFFF_FFFFL;
            if (rate > 0 && samples > 0) return (double) samples / rate;
        }
        return decode(readAsWav(file)).seconds();
    }

    /** A whole file's samples (channels mixed down, as {@link PcmDecoder} gives them) at the file's own rate. */
    public record Pcm(float[] samples, int sampleRate) {
        public double seconds() {
            return (double) samples.length / sampleRate;
        }
    }

    /**
     * The one whole-file decoder: WAV (or FLAC) bytes through {@link PcmDecoder#wav()}, as the job decodes a stream. A
     * file it refuses is an {@link AudioException} with the reason.
     */
    public static Pcm decode(byte[] wavOrFlac) throws AudioException {
        byte[] wav = asWav(wavOrFlac);
        PcmDecoder decoder = PcmDecoder.wav();
        float[] head = decoder.push(wav, 0, wav.length), tail = decoder.finish();
        return new Pcm(concat(head, tail), decoder.sampleRate());
    }

    /** A whole file as 16 kHz mono samples: {@link #decode} then the front-end's {@link Resampler}. */
    public static float[] mono16k(byte[] wavOrFlac) throws AudioException {
        Pcm pcm = decode(wavOrFlac);
        Resampler resampler = new Resampler(pcm.sampleRate());
        return concat(resampler.push(pcm.samples(), 0, pcm.samples().length), resampler.finish());
    }

    private static float[] concat(float[] a, float[] b) {
        float[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /**
     * Decodes a whole FLAC stream to a PCM WAV. A stream whose frames do not decode, or that holds fewer samples than
     * its header declares (a truncated file), is refused with the reason: a half-decoded clip would train or score
     * silently wrong.
     */
    public static byte[] flacToWav(byte[] flac) throws AudioException {
        FLACDecoder decoder = new FLACDecoder(new ByteArrayInputStream(flac));
        PcmCollector pcm = new PcmCollector();
        decoder.addPCMProcessor(pcm);
        try {
            decoder.decode();
        } catch (IOException | RuntimeException e) {
            throw garbled("its frames do not decode (" + e.getMessage() + ")");
        }
        StreamInfo info = pcm.info != null ? pcm.info : decoder.getStreamInfo();
        if (info == null) throw garbled("no STREAMINFO block after the fLaC marker");
        int bits = info.getBitsPerSample(), channels = info.getChannels(), rate = info.getSampleRate();
        if (bits != 8 && bits != 16 && bits != 24) throw unsupported(bits + "-bit samples (8, 16 and 24 are read)");
        if (rate <= 0) throw garbled("a sample rate of " + rate + " Hz in its header");
        if (pcm.overflow) throw unsupported("more than 2 GB of samples");
        long frameBytes = (long) channels * (bits / 8);
        long decodedSamples = pcm.bytes.size() / frameBytes;
        if (decoder.getBadFrames() > 0) {
            throw garbled(decoder.getBadFrames() + " frame(s) that do not decode (a damaged file); " + decodedSamples + " samples read");
        }
        long declared = info.getTotalSamples();   // 0 means "unknown" in FLAC
        if (declared > 0 && decodedSamples < declared) {
            throw new AudioException(AudioException.Kind.TRAILING_BYTES, "FLAC file is truncated: it declares " + declared
                    + " samples and holds " + decodedSamples + " (" + String.format(Locale.ROOT, "%.2f of %.2f s", (double) decodedSamples / rate,
                    (double) declared / rate) + "); copy or convert it again");
        }
        return wav(pcm.bytes.toByteArray(), rate, channels, bits);
    }

    /** A canonical 44-byte-header PCM WAV around little-endian interleaved samples: the one WAV writer. */
    public static byte[] wav(byte[] pcm, int rate, int channels, int bits) {
        int blockAlign = channels * (bits / 8);
        ByteBuffer b = ByteBuffer.allocate(44 + pcm.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + pcm.length).put("WAVE".getBytes(StandardCharsets.US_ASCII))
                .put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) channels)
                .putInt(rate).putInt(rate * blockAlign).putShort((short) blockAlign).putShort((short) bits)
                .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(pcm.length).put(pcm);
        return b.array();
    }

    private static AudioException garbled(String what) {
        return new AudioException(AudioException.Kind.GARBLED_HEADER, "not a FLAC file the decoder reads: " + what
                + "; check the file with 'flac -t FILE' or convert it with 'sox FILE out.wav'");
    }

    private static AudioException unsupported(String what) {
        return new AudioException(AudioException.Kind.UNSUPPORTED_ENCODING, "FLAC with " + what + "; convert it with 'sox FILE -b 16 out.wav'");
    }

    /** Collects jflac's decoded PCM (little-endian, interleaved, 8-bit unsigned as in WAV) and the stream's header. */
    private static final class PcmCollector implements PCMProcessor {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StreamInfo info;
        boolean overflow;

        @Override
        public void processStreamInfo(StreamInfo streamInfo) {
            info = streamInfo;
        }

        @Override
        public void processPCM(ByteData pcm) {
            if (overflow || bytes.size() + (long) pcm.getLen() > MAX_PCM_BYTES) {
                overflow = true;
                return;
            }
            bytes.write(pcm.getData(), 0, pcm.getLen());
        }
    }
}
