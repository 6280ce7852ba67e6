package dev.reformer.client;

import dev.reformer.protocol.AudioChunkHeaders;
import dev.reformer.protocol.KafkaHeaders;
import dev.reformer.protocol.TextMessageHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends audio and text to the job's input topics at the pace they would come from live sources (docs/PROTOCOL.md):
 * an audio stream as the WAV file's bytes in chunks of 100 ms of its audio, numbered by {@code seq}, {@code eos} on the
 * last; a text message at its time. {@code speed} 2 sends twice as fast as real time. A failed send stops the replay
 * with an error that says what to check.
 */
public final class Replayer implements AutoCloseable {
    static final double CHUNK_SECONDS = 0.1;
    /** 100 ms of 16 kHz 16-bit mono: the chunk of a file whose header gives no byte rate. */
    static final int DEFAULT_CHUNK_BYTES = 3200;

    private record Send(double at, ProducerRecord<byte[], byte[]> record) {}

    private final KafkaProducer<byte[], byte[]> producer;
    private final String audioTopic, textTopic;
    private final List<Send> plan = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicReference<Exception> sendFailure = new java.util.concurrent.atomic.AtomicReference<>();

    public Replayer(Properties kafka, String audioTopic, String textTopic) {
        Properties p = new Properties();
        p.putAll(kafka);
        p.put("linger.ms", "5");
        p.putIfAbsent("max.block.ms", "10000");   // an unreachable broker fails the send in 10 s, not 60
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        this.audioTopic = audioTopic;
        this.textTopic = textTopic;
    }

    /**
     * Plans a WAV file (bytes as stored) as stream id, starting at the given second, in chunks of 100 ms of its audio
     * (its header's byte rate); returns when it ends (s).
     */
    public double audio(String stream, byte[] wav, double startSeconds) {
        int chunkBytes = chunkBytes(wav);
        int seq = 0;
        double at = startSeconds;
        for (int from = 0; from < wav.length; from += chunkBytes, seq++) {
            int to = Math.min(wav.length, from + chunkBytes);
            byte[] chunk = java.util.Arrays.copyOfRange(wav, from, to);
            ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(audioTopic, stream.getBytes(StandardCharsets.UTF_8), chunk);
            KafkaHeaders.write(AudioChunkHeaders.wav(seq, to == wav.length), r.headers());
            at = startSeconds + seq * CHUNK_SECONDS;
            plan.add(new Send(at, r));
        }
        return at + CHUNK_SECONDS;
    }

    /** 100 ms of the file's audio in bytes, from its fmt chunk's byte rate and block size (whole sample frames). */
    static int chunkBytes(byte[] wav) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(wav).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        if (wav.length < 12 || b.getInt(0) != 0x46464952 || b.getInt(8) != 0x45564157) return DEFAULT_CHUNK_BYTES;   // "RIFF", "WAVE"
        for (int at = 12; at + 8 <= wav.length; ) {
            int id = b.getInt(at), size = b.getInt(at + 4);
            if (id == 0x20746d66 && at + 8 + 14 <= wav.length) {   // "fmt "
                int byteRate = b.getInt(at + 16), blockAlign = Math.max(1, b.getShort(at + 20) & 0xffff);
                if (byteRate <= 0) return DEFAULT_CHUNK_BYTES;
                return Math.max(blockAlign, (int) Math.round(byteRate * CHUNK_SECONDS / blockAlign) * blockAlign);
            }
            if (size < 0) break;
            at += 8 + size + (size & 1);
        }
        return DEFAULT_CHUNK_BYTES;
    }

    /** Plans one text message of stream id at the given second. */
    public void text(String stream, String text, long seq, double atSeconds) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(textTopic, stream.getBytes(StandardCharsets.UTF_8), text.getBytes(StandardCharsets.UTF_8));
        KafkaHeaders.write(new TextMessageHeaders(seq), r.headers());
        plan.add(new Send(atSeconds, r));
    }

    /**
     * Sends what was planned, each record at its time divided by speed, from now; stops early (and returns false) when
     * stop says so. The plan is emptied.
     */
    public boolean play(double speed, BooleanSupplier stop) throws InterruptedException {
        plan.sort(Comparator.comparingDouble(Send::at));
        // the first send to a topic waits for its metadata: fetch it before the clock starts, or the records planned
        // meanwhile would all go at once to catch up
        for (String topic : plan.stream().map(send -> send.record().topic()).distinct().toList()) {
            try {
                producer.partitionsFor(topic);
            } catch (org.apache.kafka.common.KafkaException e) {
                sendFailure.compareAndSet(null, e);
                failIfSendFailed();
            }
        }
        long start = System.nanoTime();
        try {
            for (Send s : plan) {
                long due = start + (long) (s.at() / speed * 1e9);
                while (System.nanoTime() < due) {
                    if (stop.getAsBoolean()) return false;
                    TimeUnit.NANOSECONDS.sleep(Math.min(due - System.nanoTime(), 50_000_000L));
                }
                if (stop.getAsBoolean()) return false;
                failIfSendFailed();
                producer.send(s.record(), (metadata, e) -> { if (e != null) sendFailure.compareAndSet(null, e); });
            }
            producer.flush();
            failIfSendFailed();
            return true;
        } finally {
            plan.clear();
        }
    }

    private void failIfSendFailed() {
        Exception e = sendFailure.get();
        if (e != null) {
            throw new IllegalStateException("sending to Kafka failed: " + e.getMessage()
                    + "; check that the broker runs and that --bootstrap-servers (and the topics) are right", e);
        }
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(5));
    }
}
