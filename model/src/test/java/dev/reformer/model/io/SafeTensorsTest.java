package dev.reformer.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SafeTensorsTest {

    @TempDir
    Path dir;

    @Test
    void roundTripKeepsOrderDtypeShapeValuesAndMetadata() throws IOException {
        Map<String, INDArray> in = new LinkedHashMap<>();
        in.put("z.weight", Nd4j.rand(DataType.FLOAT, 3, 4, 5));
        in.put("a.bias", Nd4j.create(new double[] {1.5, -2.25, Math.PI, 1e-300}, new long[] {4}, DataType.DOUBLE));
        in.put("ids", Nd4j.create(new long[] {1, 2, 3, Long.MAX_VALUE, -1, 0, 7, 8}, new long[] {2, 2, 2},
                DataType.INT64));
        in.put("counts", Nd4j.create(new int[] {5, -6, 7}, new long[] {3, 1}, DataType.INT32));
        in.put("scalar", Nd4j.create(new float[] {42.5f}, new long[0], DataType.FLOAT));
        in.put("empty", Nd4j.create(DataType.FLOAT, 0, 3));
        // a transposed (f-order) array must still be stored in c order
        in.put("transposed", Nd4j.create(new float[] {1, 2, 3, 4, 5, 6}, new long[] {2, 3}, DataType.FLOAT).transpose());
        Map<String, String> meta = Map.of("format", "pt", "note", "ünïcode ✓");
        Path file = dir.resolve("model.safetensors");

        SafeTensors.write(file, in, meta);
        Map<String, INDArray> out = SafeTensors.read(file);

        assertEquals(List.copyOf(in.keySet()), List.copyOf(out.keySet()));
        for (String name : in.keySet()) {
            INDArray expected = in.get(name);
            INDArray actual = out.get(name);
            assertEquals(expected.dataType(), actual.dataType(), name);
            assertArrayEquals(expected.shape(), actual.shape(), name);
            assertEquals('c', actual.ordering(), name);
            if (!expected.isEmpty()) {
                assertEquals(expected, actual, name);
            }
        }
        assertEquals(Long.MAX_VALUE, out.get("ids").getLong(0, 1, 1));
        assertEquals(3f, out.get("transposed").getFloat(2, 0));
        assertEquals(meta, SafeTensors.readMetadata(file));
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "header must be padded to 8 bytes");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file may be left behind");
        }
    }

    @Test
    void writeWithoutMetadataReadsBackEmptyMetadata() throws IOException {
        Path file = dir.resolve("nometa.safetensors");
        SafeTensors.write(file, Map.of("x", Nd4j.ones(DataType.FLOAT, 2)), null);
        assertEquals(Map.of(), SafeTensors.readMetadata(file));
    }

    /** Built by hand from the format description, so the reader is not only checked against our writer. */
    @Test
    void readsHandWrittenFileWithPaddedHeaderAndHalfPrecision() throws IOException {
        String json = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[16,18]},"
                + "\"i\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[18,26]}}";
        byte[] data = {
            0x00, 0x3C, 0x00, (byte) 0xC0, 0x00, 0x38, 0x01, 0x00, // F16 1.0, -2.0, 0.5, 2^-24 (subnormal)
            0x00, 0x00, (byte) 0xC0, 0x3F, 0x00, 0x00, 0x20, (byte) 0xC1, // F32 1.5, -10.0
            (byte) 0xC0, 0x3F, // BF16 1.5
            (byte) 0xFE, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, // -2
        };
        assertTrue(json.length() % 8 != 0, "the header must need padding for this test to mean anything");
        Path file = dir.resolve("hand.safetensors");
        Files.write(file, fileBytes(json, data));

        Map<String, INDArray> t = SafeTensors.read(file);

        assertEquals(List.of("h", "w", "b", "i"), List.copyOf(t.keySet()));
        INDArray h = t.get("h");
        assertEquals(DataType.FLOAT, h.dataType());
        assertArrayEquals(new long[] {2, 2}, h.shape());
        assertArrayEquals(new float[] {1f, -2f, 0.5f, 0x1p-24f}, h.data().asFloat());
        assertEquals(0.5f, h.getFloat(1, 0), "c order: row 1 starts with the third value");
        assertArrayEquals(new float[] {1.5f, -10f}, t.get("w").toFloatVector());
        assertEquals(1.5f, t.get("b").getFloat(0));
        assertEquals(DataType.INT64, t.get("i").dataType());
        assertEquals(0, t.get("i").rank());
        assertEquals(-2L, t.get("i").getLong(0));
        assertEquals(Map.of("format", "pt"), SafeTensors.readMetadata(file));
    }

    @Test
    void halfToFloatHandlesSpecialValues() {
        assertEquals(65504f, SafeTensors.halfToFloat((short) 0x7BFF));
        assertEquals(Float.POSITIVE_INFINITY, SafeTensors.halfToFloat((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, SafeTensors.halfToFloat((short) 0xFC00));
        assertTrue(Float.isNaN(SafeTensors.halfToFloat((short) 0x7E00)));
        assertEquals(-0f, SafeTensors.halfToFloat((short) 0x8000));
        assertEquals(0x1p-14f, SafeTensors.halfToFloat((short) 0x0400), "smallest normal");
        assertEquals(-0x3ffp-24f, SafeTensors.halfToFloat((short) 0x83FF), "largest negative subnormal");
    }

    static Stream<Arguments> corruptHeaders() {
        String f32 = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
        return Stream.of(
                Arguments.of("bad JSON", "{\"a\": {\"dtype\": ", 8, "not valid JSON"),
                Arguments.of("duplicate tensor", f32 + ",\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                        8, "Duplicate field 'a'"),
                Arguments.of("not an object", "[1, 2]", 8, "not a JSON object"),
                Arguments.of("unknown dtype", "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2,
                        "tensor 'a': unsupported dtype 'U8'"),
                Arguments.of("size mismatch", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8,
                        "tensor 'a': data_offsets [0, 8] span 8 bytes but F32 shape [3] needs 12"),
                Arguments.of("out of range", f32 + "}", 4, "tensor 'a': data_offsets [0, 8] lie outside"),
                Arguments.of("reversed offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8,
                        "tensor 'a': data_offsets [8, 0] end before they begin"),
                Arguments.of("negative dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8,
                        "tensor 'a': shape element -2 is not a non-negative integer"),
                Arguments.of("missing offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8,
                        "tensor 'a': data_offsets is missing"),
                Arguments.of("overlap", f32 + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
                        "tensors 'a' [0, 8) and 'b' [4, 12) overlap"),
                Arguments.of("metadata not strings", "{\"__metadata__\":{\"n\":1}}", 0,
                        "__metadata__ value of 'n' is not a string"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corruptHeaders")
    void corruptHeaderIsReportedWithItsCause(String name, String json, int dataBytes, String expected)
            throws IOException {
        Path file = dir.resolve("bad.safetensors");
        Files.write(file, fileBytes(json, new byte[dataBytes]));
        assertBad(file, expected);
    }

    @Test
    void truncatedFilesAreReported() throws IOException {
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[5]);
        assertBad(tiny, "truncated: only 5 bytes");

        Path shortHeader = dir.resolve("short-header.safetensors");
        Files.write(shortHeader, ByteBuffer.allocate(18).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array());
        assertBad(shortHeader, "header length 1000 exceeds the 10 bytes after it");

        Path huge = dir.resolve("huge.safetensors");
        Files.write(huge, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).array());
        assertBad(huge, "header length -1 is implausible");

        // a valid file cut short loses the tail of its data buffer
        Path cut = dir.resolve("cut.safetensors");
        SafeTensors.write(cut, Map.of("w", Nd4j.ones(DataType.FLOAT, 4)), null);
        byte[] all = Files.readAllBytes(cut);
        Files.write(cut, Arrays.copyOf(all, all.length - 3));
        assertBad(cut, "tensor 'w': data_offsets [0, 16] lie outside the data buffer of 13 bytes");
    }

    @Test
    void writeRejectsUnsupportedDtypeAndReservedName() {
        Path file = dir.resolve("never.safetensors");
        IllegalArgumentException half = assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(file, Map.of("h", Nd4j.ones(DataType.HALF, 2)), null));
        assertTrue(half.getMessage().contains("tensor 'h' has dtype HALF") && half.getMessage().contains("castTo"),
                half.getMessage());
        IllegalArgumentException reserved = assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(file, Map.of("__metadata__", Nd4j.ones(DataType.FLOAT, 2)), null));
        assertTrue(reserved.getMessage().contains("reserved name"), reserved.getMessage());
        assertTrue(Files.notExists(file));
    }

    private static void assertBad(Path file, String expected) {
        IOException e = assertThrows(IOException.class, () -> SafeTensors.read(file));
        String msg = e.getMessage();
        assertTrue(msg.contains(expected), () -> "expected \"" + expected + "\" in: " + msg);
        assertTrue(msg.startsWith(file.toString()), () -> "message must name the file: " + msg);
        assertTrue(msg.contains("re-export"), () -> "message must say what to do: " + msg);
    }

    /** Length prefix, header padded with spaces to a multiple of 8, then the data buffer. */
    private static byte[] fileBytes(String json, byte[] data) {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        int padded = (header.length + 7) / 8 * 8;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < 8; i++) {
            out.write((int) ((long) padded >>> (8 * i)) & 0xFF); // little-endian length, byte by byte
        }
        out.writeBytes(header);
        for (int i = header.length; i < padded; i++) {
            out.write(' ');
        }
        out.writeBytes(data);
        return out.toByteArray();
    }
}
