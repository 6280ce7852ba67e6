package dev.reformer.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Stream keys are bytes: every key maps to its own stream id and back, exactly. */
class StreamKeysTest {

    @Test
    void keysThatAreNotUtf8StayApart() {
        String ff = StreamKeys.of(new byte[]{'k', (byte) 0xFF}), fe = StreamKeys.of(new byte[]{'k', (byte) 0xFE});
        assertNotEquals(ff, fe);
        assertArrayEquals(new byte[]{'k', (byte) 0xFF}, StreamKeys.bytes(ff));
        assertFalse(StreamKeys.isText(ff));
        assertEquals("k\uFFFD", StreamKeys.display(ff));
    }

    @Test
    void utf8KeysAreTheirText() {
        for (String key : new String[]{"mic-7", "Grüße", "\uD83C\uDFA4 stage", "", "a\u0000b"}) {
            assertEquals(key, StreamKeys.of(key.getBytes(StandardCharsets.UTF_8)));
            assertTrue(StreamKeys.isText(key));
            assertArrayEquals(key.getBytes(StandardCharsets.UTF_8), StreamKeys.bytes(key));
        }
    }

    @Test
    void everyByteStringRoundTripsAndNoTwoCollide() {
        Random random = new Random(3);
        Map<String, byte[]> seen = new HashMap<>();
        byte[] utf8 = "a\u00e9\uD83C\uDFA4".getBytes(StandardCharsets.UTF_8);   // pieces of valid sequences, to mix with stray bytes
        for (int i = 0; i < 200_000; i++) {
            byte[] key = new byte[1 + random.nextInt(6)];
            for (int b = 0; b < key.length; b++) key[b] = (byte) (random.nextBoolean() ? random.nextInt(256) : utf8[random.nextInt(utf8.length)]);
            String id = StreamKeys.of(key);
            assertArrayEquals(key, StreamKeys.bytes(id), "round trip");
            byte[] earlier = seen.putIfAbsent(id, key);
            if (earlier != null) assertArrayEquals(earlier, key, "two keys became one stream id");
        }
    }

    @Test
    void resultsNameTheExactKey() throws Exception {
        String id = StreamKeys.of(new byte[]{'k', (byte) 0xFF});
        assertEquals("k\uFFFD", StreamKeys.display(id));
        assertEquals("a/8=", StreamKeys.base64(id));
        assertEquals(null, StreamKeys.base64("mic-7"), "a UTF-8 key needs no exact copy");
    }
}
