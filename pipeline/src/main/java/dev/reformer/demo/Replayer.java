package dev.reformer.demo;

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
 * an audio stream as the WAV file's bytes in 100 ms chunks, numbered by {@code seq}, {@code eos} on the last; a text
 * message at its time. {@code speed} 2 sends twice as fast as real time.
 */
public final class Replayer implements AutoCloseable {
    /** 100 ms of 16 kHz 16-bit mono; other formats are cut at the same byte count (the job takes chunks cut anywhere). */
    static final int CHUNK_BYTES = 3200;
    static final double CHUNK_SECONDS = 0.1;

    private record Send(double at, ProducerRecord<byte[], byte[]> record) {}

    private final KafkaProducer<byte[], byte[]> producer;
    private final String audioTopic, textTopic;
    private final List<Send> plan = new ArrayList<>();

    public Replayer(Properties kafka, String audioTopic, String textTopic) {
        Properties p = new Properties();
        p.putAll(kafka);
        p.put("linger.ms", "5");
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        this.audioTopic = audioTopic;
        this.textTopic = textTopic;
    }

    /** Plans a WAV file (bytes as stored) as stream id, starting at the given second; returns when it ends (s). */
    public double audio(String stream, byte[] wav, double startSeconds) {
        int seq = 0;
        double at = startSeconds;
        for (int from = 0; from < wav.length; from += CHUNK_BYTES, seq++) {
            int to = Math.min(wav.length, from + CHUNK_BYTES);
            byte[] chunk = java.util.Arrays.copyOfRange(wav, from, to);
            ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(audioTopic, stream.getBytes(StandardCharsets.UTF_8), chunk);
            r.headers().add("seq", Integer.toString(seq).getBytes(StandardCharsets.UTF_8));
            if (to == wav.length) r.headers().add("eos", "true".getBytes(StandardCharsets.UTF_8));
            at = startSeconds + seq * CHUNK_SECONDS;
            plan.add(new Send(at, r));
        }
        return at + CHUNK_SECONDS;
    }

    /** Plans one text message of stream id at the given second. */
    public void text(String stream, String text, long seq, double atSeconds) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(textTopic, stream.getBytes(StandardCharsets.UTF_8), text.getBytes(StandardCharsets.UTF_8));
        r.headers().add("seq", Long.toString(seq).getBytes(StandardCharsets.UTF_8));
        plan.add(new Send(atSeconds, r));
    }

    /**
     * Sends what was planned, each record at its time divided by speed, from now; stops early (and returns false) when
     * stop says so. The plan is emptied.
     */
    public boolean play(double speed, BooleanSupplier stop) throws InterruptedException {
        plan.sort(Comparator.comparingDouble(Send::at));
        long start = System.nanoTime();
        try {
            for (Send s : plan) {
                long due = start + (long) (s.at() / speed * 1e9);
                while (System.nanoTime() < due) {
                    if (stop.getAsBoolean()) return false;
                    TimeUnit.NANOSECONDS.sleep(Math.min(due - System.nanoTime(), 50_000_000L));
                }
                if (stop.getAsBoolean()) return false;
                producer.send(s.record());
            }
            producer.flush();
            return true;
        } finally {
            plan.clear();
        }
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(5));
    }
}
