package dev.reformer.pipeline;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Stream ids are Kafka keys, which are bytes: two different keys must never become one stream. A key is kept as a
 * Java string (what keyBy and the state use) by decoding its UTF-8, and each byte that is not part of valid UTF-8
 * becomes the lone surrogate U+DC80 + its value (as Python's "surrogateescape" does). Valid UTF-8 never decodes to
 * a lone surrogate, so the mapping is one to one and {@link #bytes} gives the key back exactly.
 */
public final class StreamKeys {
    private static final char ESCAPE_BASE = '\uDC00';

    private StreamKeys() {}

    /** The stream id of a Kafka key (null for no key). */
    public static String of(byte[] key) {
        if (key == null) return null;
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(key);
        CharBuffer out = CharBuffer.allocate(key.length);
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            if (result.isUnderflow()) break;
            // each byte of a malformed sequence is escaped on its own; decoding goes on after it
            for (int i = 0; i < result.length(); i++) out.put((char) (ESCAPE_BASE + (in.get() & 0xff)));
        }
        decoder.flush(out);
        out.flip();
        return out.toString();
    }

    /** The exact key bytes of a stream id made by {@link #of}. */
    public static byte[] bytes(String streamId) {
        if (streamId == null) return null;
        ByteArrayOutputStream out = new ByteArrayOutputStream(streamId.length() + 8);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < streamId.length(); i++) {
            char c = streamId.charAt(i);
            if (isEscape(streamId, i)) {
                out.writeBytes(text.toString().getBytes(StandardCharsets.UTF_8));
                text.setLength(0);
                out.write(c - ESCAPE_BASE);
            } else {
                text.append(c);
            }
        }
        out.writeBytes(text.toString().getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** True when the key was valid UTF-8 (the id is its text). */
    public static boolean isText(String streamId) {
        for (int i = 0; i < streamId.length(); i++) if (isEscape(streamId, i)) return false;
        return true;
    }

    /** The id for people: invalid bytes shown as U+FFFD (results also carry the exact key, see {@link #base64}). */
    public static String display(String streamId) {
        if (streamId == null || isText(streamId)) return streamId;
        StringBuilder b = new StringBuilder(streamId.length());
        for (int i = 0; i < streamId.length(); i++) b.append(isEscape(streamId, i) ? '\uFFFD' : streamId.charAt(i));
        return b.toString();
    }

    /** The exact key in base64 when it is not UTF-8 text (a result's or dead letter's stream_base64), else null. */
    public static String base64(String streamId) {
        return streamId == null || isText(streamId) ? null : Base64.getEncoder().encodeToString(bytes(streamId));
    }

    /** A lone low surrogate in U+DC80..U+DCFF: an escaped byte (a surrogate pair's low half is not one). */
    private static boolean isEscape(String s, int i) {
        char c = s.charAt(i);
        return c >= '\uDC80' && c <= '\uDCFF' && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
    }
}
