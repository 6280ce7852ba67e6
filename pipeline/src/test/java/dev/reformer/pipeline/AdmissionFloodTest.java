package dev.reformer.pipeline;

import dev.reformer.protocol.DeadLetterReason;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reformer.audio.FeatureConfig;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The heap a flood of worst-case records can make the assembler keep, measured (docs/BENCHMARKS.md, "Heap under a
 * flood of worst-case records"): every stream the instance admits holds the most state a stream can hold (almost a
 * window of frames, a full reorder buffer), and the stream after the last admitted one is refused. Records that
 * would cost the most work (a 1 Hz header, a megabyte of 8 kHz 8-bit audio) are refused and leave nothing behind.
 * Tagged slow, so it runs in verify: {@code mvn -B -pl pipeline -am verify -Dtest=none -Dit.test=AdmissionFloodTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false}.
 */
@Tag("slow")   // measures the heap under a flood of records (docs/BENCHMARKS.md): mvn verify (failsafe), not mvn test
class AdmissionFloodTest {

    static long heapAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    static byte[] wav8bit8k(int dataBytes) {
        ByteBuffer b = ByteBuffer.allocate(44 + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + dataBytes).put("WAVE".getBytes(StandardCharsets.US_ASCII))
                .put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1).putInt(8000).putInt(8000)
                .putShort((short) 1).putShort((short) 8).put("data".getBytes(StandardCharsets.US_ASCII)).putInt(dataBytes);
        for (int i = 0; i < dataBytes; i++) b.put((byte) (128 + 40 * Math.sin(i * 0.2)));
        return b.array();
    }

    @Test
    void theHeapKeptByAFloodOfWorstCaseStreamsStaysUnderTheBound() throws Exception {
        JobSettings.Admission limits = JobSettings.Admission.DEFAULTS;
        JobSettings s = JobSettings.defaults("127.0.0.1:1", "audio-model", null).withAdmission(limits);
        int dims = FeatureConfig.logMel().dimension();
        try (var h = StreamAssemblerTest.harness(s)) {
            // records that cost the most work per byte: refused, nothing kept
            long before = heapAfterGc();
            for (int i = 0; i < 50; i++) {
                StreamAssemblerTest.feed(h, StreamAssemblerTest.event("costly-" + i, 0, "wav", 0, wav8bit8k(1 << 20), true));
            }
            long costly = StreamAssemblerTest.deadLetters(h).stream().filter(d -> d.reason == DeadLetterReason.RECORD_TOO_LONG).count();
            assertEquals(50, costly, "a megabyte of 8 kHz 8-bit audio is 131 s: refused at 60 s");

            // every stream the instance admits at its worst: 0.95 s of audio (95 frames, no window yet) and a full reorder buffer
            int chunk = 3200, waiting = limits.maxReorderBytes() / chunk;
            for (int stream = 0; stream < limits.maxStreams(); stream++) {
                String id = "flood-" + stream;
                StreamAssemblerTest.feed(h, StreamAssemblerTest.pcm(id, 0, 0.95, false));
                for (int seq = 2; seq < 2 + waiting; seq++) StreamAssemblerTest.feed(h, StreamAssemblerTest.event(id, seq, "s16le", 16000, new byte[chunk], false));
            }
            StreamAssemblerTest.feed(h, StreamAssemblerTest.pcm("one-more", 0, 0.1, false));
            assertEquals(DeadLetterReason.TOO_MANY_STREAMS, StreamAssemblerTest.deadLetters(h).get(StreamAssemblerTest.deadLetters(h).size() - 1).reason);
            h.getOutput().clear();
            long kept = heapAfterGc() - before;
            // the reorder buffer's bytes (plus a tenth for the records' own objects), a window of frames, and 16 KB for the
            // front-end's snapshot and the state's bookkeeping
            long perStreamBound = limits.maxReorderBytes() * 11L / 10 + (long) s.windowFrames() * dims * 4 + 16 * 1024;
            long bound = limits.maxStreams() * perStreamBound;
            System.out.printf("flood: %d streams at their worst keep %.0f MB of heap (%.1f KB each); bound %.0f MB (%d x %.1f KB)%n",
                    limits.maxStreams(), kept / 1e6, kept / 1e3 / limits.maxStreams(), bound / 1e6, limits.maxStreams(), perStreamBound / 1e3);
            assertTrue(kept <= bound, "kept " + kept + " bytes, bound " + bound);
        }
    }
}
