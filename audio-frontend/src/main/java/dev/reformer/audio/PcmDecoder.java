package dev.reformer.audio;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Locale;

/**
 * Streaming decoder: bytes of a WAV file or of raw PCM in, split anywhere (inside the header, inside a sample),
 * mono float samples in [-1, 1] out.
 *
 * WAV: RIFF/WAVE with a {@code fmt } chunk of PCM (8-bit unsigned, 16/24/32-bit signed), IEEE float (32 or 64-bit)
 * or WAVE_FORMAT_EXTENSIBLE of either; other chunks (LIST, fact, ...) are skipped; any channel count from 1 to 64,
 * mixed down to mono by the mean. A data size of 0 or 0xFFFFFFFF (streaming writers) means "until the end".
 * Raw: {@code s16le} or {@code f32le} with a declared rate and channel count.
 *
 * State between calls is the parse position and at most one partial header field or sample frame, so it is
 * small and, with {@link #writeState} / {@link #readState}, can move between processes.
 */
public final class PcmDecoder {

    public enum Encoding {
        WAV, S16LE, F32LE;

        public static Encoding parse(String name) throws AudioException {
            if (name != null) {
                for (Encoding e : values()) if (e.name().equalsIgnoreCase(name.trim())) return e;
            }
            throw new AudioException(AudioException.Kind.UNSUPPORTED_ENCODING, "encoding '" + name
                    + "' is not supported: use wav, s16le (16-bit signed little-endian PCM) or f32le (32-bit float little-endian)");
        }
    }

    private enum Phase { RIFF_HEADER, CHUNK_HEADER, FMT_BODY, SKIP, DATA, AFTER_DATA }

    private static final int FORMAT_PCM = 1, FORMAT_FLOAT = 3, FORMAT_EXTENSIBLE = 0xFFFE;
    private static final int STATE_VERSION = 1;
    private static final long UNBOUNDED = -1;

    private final boolean wav;
    private Phase phase;
    /** Bytes of the field being read (a header or one sample frame); need is how many it takes. */
    private byte[] pending = new byte[64];
    private int pendingLength;
    private int need;
    private long skipRemaining;
    private long dataRemaining = UNBOUNDED;
    private long bytesSeen;
    private boolean fmtSeen;
    // the format, once known
    private int sampleRate = -1, channels = -1, bytesPerSample, formatTag;
    private long samplesDecoded;

    private PcmDecoder(boolean wav) {
        this.wav = wav;
        this.phase = wav ? Phase.RIFF_HEADER : Phase.DATA;
        this.need = wav ? 12 : 0;
    }

    public static PcmDecoder wav() {
        return new PcmDecoder(true);
    }

    public static PcmDecoder raw(Encoding encoding, int sampleRate, int channels) throws AudioException {
        if (encoding == Encoding.WAV) throw new IllegalArgumentException("WAV carries its own format: use wav()");
        AudioException.checkSampleRate(sampleRate);
        AudioException.checkChannels(channels);
        PcmDecoder d = new PcmDecoder(false);
        d.setFormat(encoding == Encoding.S16LE ? FORMAT_PCM : FORMAT_FLOAT, channels, sampleRate, encoding == Encoding.S16LE ? 2 : 4);
        return d;
    }

    /** A decoder for {@code encoding}; rate and channels matter only for raw encodings. */
    public static PcmDecoder of(Encoding encoding, int sampleRate, int channels) throws AudioException {
        return encoding == Encoding.WAV ? wav() : raw(encoding, sampleRate, channels);
    }

    private void setFormat(int tag, int channels, int rate, int bytesPerSample) {
        this.formatTag = tag;
        this.channels = channels;
        this.sampleRate = rate;
        this.bytesPerSample = bytesPerSample;
        this.need = channels * bytesPerSample;
        if (pending.length < need) pending = new byte[need];
    }

    /** Whether this decoder reads a WAV header (rather than raw samples of a declared format). */
    public boolean isWav() {
        return wav;
    }

    public boolean formatKnown() {
        return sampleRate > 0;
    }

    public int sampleRate() {
        return sampleRate;
    }

    public int channels() {
        return channels;
    }

    public long samplesDecoded() {
        return samplesDecoded;
    }

    public float[] push(byte[] bytes, int offset, int length) throws AudioException {
        if (offset < 0 || length < 0 || offset + length > bytes.length) throw new IndexOutOfBoundsException("bad slice");
        int end = offset + length;
        int at = offset;
        while (at < end && phase != Phase.DATA) at = header(bytes, at, end);
        if (phase != Phase.DATA || at == end) return new float[0];
        return data(bytes, at, end);
    }

    /** Advances through the header by at most one field; returns where it stopped. */
    private int header(byte[] bytes, int at, int end) throws AudioException {
        if (phase == Phase.AFTER_DATA) {
            bytesSeen += end - at;
            return end;
        }
        if (phase == Phase.SKIP) {
            int n = (int) Math.min(skipRemaining, end - at);
            skipRemaining -= n;
            bytesSeen += n;
            if (skipRemaining == 0) expect(Phase.CHUNK_HEADER, 8);
            return at + n;
        }
        int n = Math.min(need - pendingLength, end - at);
        System.arraycopy(bytes, at, pending, pendingLength, n);
        pendingLength += n;
        bytesSeen += n;
        if (pendingLength == need) {
            pendingLength = 0;
            switch (phase) {
                case RIFF_HEADER -> riffHeader();
                case CHUNK_HEADER -> chunkHeader();
                case FMT_BODY -> fmtBody();
                default -> throw new IllegalStateException(phase.name());
            }
        }
        return at + n;
    }

    private void expect(Phase next, int bytes) {
        phase = next;
        need = bytes;
        pendingLength = 0;
        if (pending.length < bytes) pending = new byte[bytes];
    }

    private void riffHeader() throws AudioException {
        if (!tag(0, "RIFF") || !tag(8, "WAVE")) {
            throw garbled("it does not start with a RIFF/WAVE header (the first 12 bytes are \"" + printable(0, 12)
                    + "\"); send a WAV file, or raw PCM with encoding s16le or f32le");
        }
        expect(Phase.CHUNK_HEADER, 8);
    }

    private void chunkHeader() throws AudioException {
        long size = u32(4);
        if (tag(0, "fmt ")) {
            if (fmtSeen) throw garbled("it has two fmt chunks");
            if (size < 16 || size > 1024) throw garbled("its fmt chunk is " + size + " bytes; a valid one has 16 to 40");
            expect(Phase.FMT_BODY, (int) (size + (size & 1)));
        } else if (tag(0, "data")) {
            if (!fmtSeen) throw garbled("its data chunk comes before any fmt chunk, so the sample format is unknown");
            dataRemaining = size == 0 || size == 0xFFFFFFFFL ? UNBOUNDED : size;
            phase = Phase.DATA;
            need = channels * bytesPerSample;
            pendingLength = 0;
            if (pending.length < need) pending = new byte[need];
        } else {
            for (int i = 0; i < 4; i++) {
                if (pending[i] < 0x20 || pending[i] > 0x7e) {
                    throw garbled("a chunk id is not text (\"" + printable(0, 4) + "\" at byte " + (bytesSeen - 8) + ")");
                }
            }
            phase = Phase.SKIP;
            skipRemaining = size + (size & 1);
            if (skipRemaining == 0) expect(Phase.CHUNK_HEADER, 8);
        }
    }

    private void fmtBody() throws AudioException {
        int tag = u16(0), channelCount = u16(2), blockAlign = u16(12), bits = u16(14);
        long rate = u32(4);
        fmtSeen = true;
        if (tag == FORMAT_EXTENSIBLE) {
            if (need < 40 || u16(16) < 22) throw garbled("its WAVE_FORMAT_EXTENSIBLE fmt chunk is too short for the sub-format");
            tag = u16(24);   // the sub-format GUID starts with the plain format tag
            if (tag != FORMAT_PCM && tag != FORMAT_FLOAT) throw unsupported("WAVE_FORMAT_EXTENSIBLE with sub-format " + tag);
        }
        if (tag != FORMAT_PCM && tag != FORMAT_FLOAT) {
            String name = switch (tag) {
                case 2 -> "ADPCM (format 2)";
                case 6 -> "A-law (format 6)";
                case 7 -> "mu-law (format 7)";
                case 0x11 -> "IMA ADPCM (format 17)";
                case 0x55 -> "MP3 (format 85)";
                default -> "format tag " + tag;
            };
            throw unsupported(name);
        }
        AudioException.checkChannels(channelCount);
        AudioException.checkSampleRate(rate);
        boolean supported = tag == FORMAT_PCM ? bits == 8 || bits == 16 || bits == 24 || bits == 32 : bits == 32 || bits == 64;
        if (!supported) throw unsupported((tag == FORMAT_PCM ? "integer PCM" : "float") + " with " + bits + " bits per sample");
        int bytes = bits / 8;
        if (blockAlign != channelCount * bytes) {
            throw garbled("its block align is " + blockAlign + " but " + channelCount + " channel(s) of " + bits
                    + "-bit samples take " + channelCount * bytes + " bytes");
        }
        setFormat(tag, channelCount, (int) rate, bytes);
        expect(Phase.CHUNK_HEADER, 8);
    }

    private float[] data(byte[] bytes, int at, int end) throws AudioException {
        int available = end - at;
        if (dataRemaining != UNBOUNDED) available = (int) Math.min(available, dataRemaining);
        int frameBytes = channels * bytesPerSample;
        int frames = (pendingLength + available) / frameBytes;
        float[] out = new float[frames];
        int produced = 0;
        int used = 0;
        if (pendingLength > 0) {
            int n = Math.min(frameBytes - pendingLength, available);
            System.arraycopy(bytes, at, pending, pendingLength, n);
            pendingLength += n;
            used += n;
            if (pendingLength == frameBytes) {
                out[produced++] = frame(pending, 0);
                pendingLength = 0;
            }
        }
        while (available - used >= frameBytes) {
            out[produced++] = frame(bytes, at + used);
            used += frameBytes;
        }
        int rest = available - used;
        System.arraycopy(bytes, at + used, pending, pendingLength, rest);
        pendingLength += rest;
        used += rest;
        bytesSeen += used;
        if (dataRemaining != UNBOUNDED) {
            dataRemaining -= used;
            if (dataRemaining == 0) {
                if (pendingLength != 0) throw new AudioException(AudioException.Kind.GARBLED_HEADER,
                        "the WAV data chunk's size is not a whole number of " + frameBytes + "-byte sample frames");
                phase = Phase.AFTER_DATA;      // trailing chunks (LIST, id3, ...) are not audio
                bytesSeen += end - at - used;
            }
        }
        return out;
    }

    /** One sample frame at bytes[at], its channels averaged. */
    private float frame(byte[] bytes, int at) throws AudioException {
        float sum = 0;
        for (int c = 0; c < channels; c++) {
            int p = at + c * bytesPerSample;
            float x;
            if (formatTag == FORMAT_FLOAT) {
                if (bytesPerSample == 4) {
                    x = Float.intBitsToFloat((bytes[p] & 0xff) | (bytes[p + 1] & 0xff) << 8 | (bytes[p + 2] & 0xff) << 16 | bytes[p + 3] << 24);
                } else {
                    long bits = 0;
                    for (int i = 7; i >= 0; i--) bits = bits << 8 | (bytes[p + i] & 0xff);
                    x = (float) Double.longBitsToDouble(bits);
                }
                if (!Float.isFinite(x)) {
                    throw new AudioException(AudioException.Kind.NON_FINITE_SAMPLE, "sample " + samplesDecoded
                            + " (channel " + c + ") is " + x + "; float audio must hold finite values, normally in [-1, 1]");
                }
            } else {
                x = switch (bytesPerSample) {
                    case 1 -> ((bytes[p] & 0xff) - 128) / 128f;
                    case 2 -> (short) ((bytes[p] & 0xff) | bytes[p + 1] << 8) / 32768f;
                    case 3 -> ((bytes[p] & 0xff) | (bytes[p + 1] & 0xff) << 8 | bytes[p + 2] << 16) / 8388608f;
                    default -> ((bytes[p] & 0xff) | (bytes[p + 1] & 0xff) << 8 | (bytes[p + 2] & 0xff) << 16 | bytes[p + 3] << 24) / 2147483648f;
                };
            }
            sum += x;
        }
        samplesDecoded++;
        return channels == 1 ? sum : sum / channels;
    }

    /** End of stream: nothing may be left half-read, and there must have been audio. */
    public float[] finish() throws AudioException {
        if (wav && !fmtSeen || phase != Phase.DATA && phase != Phase.AFTER_DATA) {
            throw new AudioException(AudioException.Kind.TRUNCATED_HEADER, "the stream ended inside the WAV header, after "
                    + bytesSeen + " bytes and before the data chunk; send the whole file from its first byte");
        }
        if (pendingLength != 0) {
            throw new AudioException(AudioException.Kind.TRAILING_BYTES, "the stream ends with " + pendingLength
                    + " byte(s) of an incomplete sample frame; frames are " + channels * bytesPerSample + " bytes ("
                    + channels + " channel(s) x " + bytesPerSample + " bytes), so the length must be a multiple of that");
        }
        if (samplesDecoded == 0) {
            throw new AudioException(AudioException.Kind.EMPTY_STREAM, "the stream holds no audio samples; send at least one "
                    + "25 ms window of audio (400 samples at 16 kHz)");
        }
        return new float[0];
    }

    private boolean tag(int at, String id) {
        for (int i = 0; i < 4; i++) if (pending[at + i] != id.charAt(i)) return false;
        return true;
    }

    private int u16(int at) {
        return (pending[at] & 0xff) | (pending[at + 1] & 0xff) << 8;
    }

    private long u32(int at) {
        return u16(at) | (long) u16(at + 2) << 16;
    }

    private String printable(int from, int to) {
        StringBuilder s = new StringBuilder();
        for (int i = from; i < to; i++) {
            int b = pending[i] & 0xff;
            s.append(b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format(Locale.ROOT, "\\x%02x", b));
        }
        return s.toString();
    }

    private static AudioException garbled(String why) {
        return new AudioException(AudioException.Kind.GARBLED_HEADER, "garbled WAV header: " + why);
    }

    private static AudioException unsupported(String what) {
        return new AudioException(AudioException.Kind.UNSUPPORTED_ENCODING, what + " is not supported; WAV must hold integer"
                + " PCM (8, 16, 24 or 32-bit), IEEE float (32 or 64-bit) or WAVE_FORMAT_EXTENSIBLE of those; raw input s16le or f32le");
    }

    public void writeState(DataOutput out) throws IOException {
        out.writeInt(STATE_VERSION);
        out.writeBoolean(wav);
        out.writeByte(phase.ordinal());
        out.writeInt(need);
        out.writeInt(pendingLength);
        out.write(pending, 0, pendingLength);
        out.writeLong(skipRemaining);
        out.writeLong(dataRemaining);
        out.writeLong(bytesSeen);
        out.writeBoolean(fmtSeen);
        out.writeInt(sampleRate);
        out.writeInt(channels);
        out.writeInt(bytesPerSample);
        out.writeInt(formatTag);
        out.writeLong(samplesDecoded);
    }

    public static PcmDecoder readState(DataInput in) throws IOException, AudioException {
        int version = in.readInt();
        if (version != STATE_VERSION) throw bad("decoder state version " + version + ", this build reads " + STATE_VERSION);
        PcmDecoder d = new PcmDecoder(in.readBoolean());
        int phase = in.readByte();
        if (phase < 0 || phase >= Phase.values().length) throw bad("unknown phase " + phase);
        d.phase = Phase.values()[phase];
        d.need = in.readInt();
        d.pendingLength = in.readInt();
        if (d.need < 0 || d.need > 2048 || d.pendingLength < 0 || d.pendingLength > d.need) throw bad("field sizes out of range");
        d.pending = new byte[Math.max(64, d.need)];
        in.readFully(d.pending, 0, d.pendingLength);
        d.skipRemaining = in.readLong();
        d.dataRemaining = in.readLong();
        d.bytesSeen = in.readLong();
        d.fmtSeen = in.readBoolean();
        d.sampleRate = in.readInt();
        d.channels = in.readInt();
        d.bytesPerSample = in.readInt();
        d.formatTag = in.readInt();
        d.samplesDecoded = in.readLong();
        boolean widthOk = d.formatTag == FORMAT_PCM ? d.bytesPerSample >= 1 && d.bytesPerSample <= 4
                : d.formatTag == FORMAT_FLOAT && (d.bytesPerSample == 4 || d.bytesPerSample == 8);
        boolean formatOk = d.sampleRate == -1 && !d.fmtSeen && d.wav
                || d.sampleRate > 0 && d.sampleRate <= AudioException.MAX_SAMPLE_RATE && d.channels >= 1 && d.channels <= 64 && widthOk;
        boolean needOk = switch (d.phase) {
            case RIFF_HEADER -> d.need == 12;
            case CHUNK_HEADER -> d.need == 8;
            case FMT_BODY -> d.need >= 16 && d.need <= 1026;
            case DATA -> d.formatKnown() && d.need == d.channels * d.bytesPerSample;
            case SKIP, AFTER_DATA -> true;
        };
        boolean dataOk = needOk && (d.wav || d.phase == Phase.DATA) && (d.phase != Phase.DATA && d.phase != Phase.AFTER_DATA || d.formatKnown());
        if (!formatOk || !dataOk || d.skipRemaining < 0 || d.dataRemaining < UNBOUNDED || d.samplesDecoded < 0) {
            throw bad("inconsistent fields");
        }
        return d;
    }

    private static AudioException bad(String why) {
        return new AudioException(AudioException.Kind.BAD_STATE, "cannot restore the decoder: " + why);
    }
}
