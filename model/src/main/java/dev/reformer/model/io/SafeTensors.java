package dev.reformer.model.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads and writes the <a href="https://huggingface.co/docs/safetensors">safetensors</a> format:
 * an 8-byte little-endian header length N, N bytes of UTF-8 JSON giving each tensor's dtype, shape
 * and byte range, then the raw little-endian tensor data.
 *
 * <p>Every structural problem is reported as an {@link IOException} naming the file and, where it
 * applies, the tensor, so a damaged checkpoint fails at load time instead of yielding garbage weights.
 */
public final class SafeTensors {

    private static final String METADATA = "__metadata__";
    /** The reference implementation refuses larger headers; a bigger value means a foreign file. */
    private static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Element types understood here and the ND4J type each is loaded as. Writable types come first. */
    private enum Dtype {
        F64(8, DataType.DOUBLE), F32(4, DataType.FLOAT), I64(8, DataType.INT64), I32(4, DataType.INT32),
        F16(2, DataType.FLOAT), BF16(2, DataType.FLOAT);

        final int bytes;
        final DataType nd4j;

        Dtype(int bytes, DataType nd4j) {
            this.bytes = bytes;
            this.nd4j = nd4j;
        }
    }

    private record Entry(String name, Dtype dtype, long[] shape, long begin, long end) { }

    private record Header(long dataStart, List<Entry> entries, Map<String, String> metadata) { }

    private SafeTensors() { }

    /**
     * Reads all tensors of a safetensors file.
     *
     * @return tensors in header order, c-ordered; F16 and BF16 are widened to FLOAT, I64/I32 become LONG/INT
     * @throws IOException if the file cannot be read or is not well-formed safetensors
     */
    public static Map<String, INDArray> read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header header = readHeader(file, ch);
            Map<String, INDArray> out = new LinkedHashMap<>();
            for (Entry e : header.entries()) {
                out.put(e.name(), readTensor(file, ch, header.dataStart(), e));
            }
            return out;
        }
    }

    /**
     * Reads the {@code __metadata__} string map (empty if absent). The whole header is still
     * validated, so this doubles as a cheap integrity check.
     */
    public static Map<String, String> readMetadata(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(file, ch).metadata();
        }
    }

    /**
     * Writes tensors in map order, each in its own dtype (DOUBLE, FLOAT, LONG or INT), c-order. The
     * data goes to a sibling temporary file that is then moved into place, so a crash never leaves a
     * truncated checkpoint under the final name.
     *
     * @param metadata free-form string pairs stored under {@code __metadata__}; may be null
     * @throws IllegalArgumentException if a tensor has another dtype, is over 2 GB, or a name is reserved
     */
    public static void write(Path file, Map<String, INDArray> tensors, Map<String, String> metadata)
            throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject(METADATA);
            // sorted: the same metadata gives the same bytes, whatever map the caller passed
            new java.util.TreeMap<>(metadata).forEach((k, v) -> meta.put(k, Objects.requireNonNull(v, "metadata value of " + k)));
        }
        List<Map.Entry<INDArray, Dtype>> pending = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            String where = file + ": tensor '" + e.getKey() + "'";
            INDArray a = Objects.requireNonNull(e.getValue(), where);
            // FLOAT maps to F32, not F16/BF16, because the writable dtypes come first in the enum
            Dtype dt = Arrays.stream(Dtype.values()).filter(d -> d.nd4j == a.dataType()).findFirst()
                    .filter(d -> d.ordinal() <= Dtype.I32.ordinal())
                    .orElseThrow(() -> new IllegalArgumentException(where + " has dtype " + a.dataType()
                            + "; only DOUBLE, FLOAT, LONG and INT can be written, convert it with castTo()"));
            long bytes = a.length() * dt.bytes;
            if (METADATA.equals(e.getKey()) || bytes > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(where + (bytes > Integer.MAX_VALUE
                        ? " is over 2 GB, which is unsupported; split it" : " uses a reserved name; rename it"));
            }
            ObjectNode t = header.putObject(e.getKey()).put("dtype", dt.name());
            Arrays.stream(a.shape()).forEach(t.putArray("shape")::add);
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
            pending.add(Map.entry(a, dt));
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) & ~7; // 8-byte alignment lets readers map tensor data in place
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, head.flip());
                for (Map.Entry<INDArray, Dtype> p : pending) {
                    writeFully(ch, toBytes(p.getKey(), p.getValue())); // one tensor's bytes on the heap at a time
                }
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static Header readHeader(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw bad(file, "truncated: only " + size + " bytes, less than the 8-byte header length");
        }
        long n = readFully(ch, 0, 8).getLong();
        if (n < 2 || n > MAX_HEADER_BYTES) {
            throw bad(file, "header length " + n + " is implausible (expected 2.." + MAX_HEADER_BYTES + ")");
        }
        if (8 + n > size) {
            throw bad(file, "truncated: header length " + n + " exceeds the " + (size - 8) + " bytes after it");
        }
        JsonNode root;
        try {
            root = JSON.readTree(readFully(ch, 8, (int) n).array());
        } catch (JsonProcessingException e) {
            throw bad(file, "header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw bad(file, "header is not a JSON object");
        }
        long dataLen = size - 8 - n;
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (METADATA.equals(field.getKey())) {
                metadata.putAll(metadata(file, field.getValue()));
            } else {
                entries.add(entry(file, field.getKey(), field.getValue(), dataLen));
            }
        }
        checkNoOverlap(file, entries);
        return new Header(8 + n, entries, metadata);
    }

    private static Map<String, String> metadata(Path file, JsonNode v) throws IOException {
        if (!v.isObject()) {
            throw bad(file, METADATA + " is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> m : v.properties()) {
            if (!m.getValue().isTextual()) {
                throw bad(file, METADATA + " value of '" + m.getKey() + "' is not a string");
            }
            metadata.put(m.getKey(), m.getValue().textValue());
        }
        return metadata;
    }

    /** One tensor's header entry, checked against the data buffer of dataLen bytes. */
    private static Entry entry(Path file, String name, JsonNode v, long dataLen) throws IOException {
        String where = "tensor '" + name + "': ";
        String dtypeName = v.path("dtype").asText("");
        Dtype dtype = Arrays.stream(Dtype.values()).filter(d -> d.name().equals(dtypeName)).findFirst()
                .orElseThrow(() -> new IOException(file + ": " + where + "unsupported dtype '" + dtypeName
                        + "' (supported: " + Arrays.toString(Dtype.values())
                        + "); re-export it in one of those, e.g. tensor.float() in PyTorch"));
        long[] shape = longs(file, where + "shape", v.get("shape"), -1);
        long[] offs = longs(file, where + "data_offsets", v.get("data_offsets"), 2);
        long expected = dtype.bytes;
        try {
            for (long d : shape) {
                expected = Math.multiplyExact(expected, d);
            }
        } catch (ArithmeticException overflow) {
            throw bad(file, where + "shape " + Arrays.toString(shape) + " overflows a 64-bit size");
        }
        if (offs[0] > offs[1]) {
            throw bad(file, where + "data_offsets " + Arrays.toString(offs) + " end before they begin");
        }
        if (offs[1] > dataLen) {
            throw bad(file, where + "data_offsets " + Arrays.toString(offs)
                    + " lie outside the data buffer of " + dataLen + " bytes (truncated file?)");
        }
        if (offs[1] - offs[0] != expected) {
            throw bad(file, where + "data_offsets " + Arrays.toString(offs) + " span " + (offs[1] - offs[0])
                    + " bytes but " + dtype + " shape " + Arrays.toString(shape) + " needs " + expected);
        }
        return new Entry(name, dtype, shape, offs[0], offs[1]);
    }

    private static void checkNoOverlap(Path file, List<Entry> entries) throws IOException {
        List<Entry> byBegin = new ArrayList<>(entries);
        byBegin.removeIf(e -> e.begin() == e.end()); // empty tensors occupy no bytes, so cannot overlap
        byBegin.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < byBegin.size(); i++) {
            Entry a = byBegin.get(i - 1);
            Entry b = byBegin.get(i);
            if (b.begin() < a.end()) {
                throw bad(file, "tensors '" + a.name() + "' [" + a.begin() + ", " + a.end() + ") and '"
                        + b.name() + "' [" + b.begin() + ", " + b.end() + ") overlap");
            }
        }
    }

    private static INDArray readTensor(Path file, FileChannel ch, long dataStart, Entry e) throws IOException {
        long bytes = e.end() - e.begin();
        if (bytes > Integer.MAX_VALUE) {
            throw new IOException(file + ": tensor '" + e.name() + "' is " + bytes
                    + " bytes; tensors over 2 GB are not supported, split it before export");
        }
        ByteBuffer buf = readFully(ch, dataStart + e.begin(), (int) bytes);
        int n = (int) (bytes / e.dtype().bytes);
        // bulk copies into Java arrays: one JNI transfer per tensor instead of one per element
        switch (e.dtype()) {
            case F64 -> {
                double[] d = new double[n];
                buf.asDoubleBuffer().get(d);
                return Nd4j.create(d, e.shape(), DataType.DOUBLE);
            }
            case I64 -> {
                long[] l = new long[n];
                buf.asLongBuffer().get(l);
                return Nd4j.create(l, e.shape(), DataType.INT64);
            }
            case I32 -> {
                int[] v = new int[n];
                buf.asIntBuffer().get(v);
                return Nd4j.create(v, e.shape(), DataType.INT32);
            }
            default -> {
                float[] f = new float[n];
                if (e.dtype() == Dtype.F32) {
                    buf.asFloatBuffer().get(f);
                } else {
                    ShortBuffer s = buf.asShortBuffer();
                    for (int i = 0; i < n; i++) {
                        // BF16 is the upper half of an IEEE float, so widening it is a shift
                        f[i] = e.dtype() == Dtype.BF16 ? Float.intBitsToFloat(s.get(i) << 16) : halfToFloat(s.get(i));
                    }
                }
                return Nd4j.create(f, e.shape(), DataType.FLOAT);
            }
        }
    }

    /** IEEE 754 binary16 to binary32; Java 17 lacks Float.float16ToFloat (added in Java 20). */
    static float halfToFloat(short h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float sub = mant * 0x1p-24f; // subnormal halves are exactly representable as floats
            return sign == 0 ? sub : -sub;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    private static ByteBuffer toBytes(INDArray a, Dtype dt) {
        ByteBuffer b = ByteBuffer.allocate((int) (a.length() * dt.bytes)).order(ByteOrder.LITTLE_ENDIAN);
        if (a.isEmpty()) {
            return b;
        }
        // views and f-order arrays share a buffer laid out differently from what the file needs
        INDArray c = a.isView() || a.ordering() != 'c' || a.data().length() != a.length() ? a.dup('c') : a;
        switch (dt) {
            case F64 -> b.asDoubleBuffer().put(c.data().asDouble());
            case F32 -> b.asFloatBuffer().put(c.data().asFloat());
            case I64 -> b.asLongBuffer().put(c.data().asLong());
            default -> b.asIntBuffer().put(c.data().asInt());
        }
        return b;
    }

    private static long[] longs(Path file, String what, JsonNode node, int length) throws IOException {
        if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
            throw bad(file, what + " is missing or not an array" + (length >= 0 ? " of " + length + " integers" : ""));
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = node.get(i);
            if (!x.canConvertToExactIntegral() || !x.canConvertToLong() || x.asLong() < 0) {
                throw bad(file, what + " element " + x + " is not a non-negative integer");
            }
            out[i] = x.asLong();
        }
        return out;
    }

    private static ByteBuffer readFully(FileChannel ch, long pos, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) {
                throw new EOFException("unexpected end of file at byte " + (pos + b.position()));
            }
        }
        return b.flip();
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static IOException bad(Path file, String what) {
        return new IOException(file + ": " + what
                + ". The file is corrupt or not safetensors; re-export or re-download it.");
    }
}
