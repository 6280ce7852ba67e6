package dev.reformer.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ValueState;

/**
 * A stream's records that arrived ahead of a missing seq, and the bytes they hold: keyed state of
 * {@link StreamAssembler} (which declares it), read and written only here.
 */
final class ReorderBuffer {
    private final MapState<Long, StreamEvent> waiting;
    private final ValueState<Long> waitingBytes;

    ReorderBuffer(MapState<Long, StreamEvent> waiting, ValueState<Long> waitingBytes) {
        this.waiting = waiting;
        this.waitingBytes = waitingBytes;
    }

    boolean contains(long seq) throws Exception {
        return waiting.contains(seq);
    }

    /** The payload bytes waiting. */
    long bytes() throws Exception {
        return waitingBytes.value() == null ? 0 : waitingBytes.value();
    }

    void add(StreamEvent event) throws Exception {
        long before = bytes();
        waiting.put(event.seq, event);
        waitingBytes.update(before + event.payload.length);
    }

    /** Takes the record of that seq out (it must be there). */
    StreamEvent take(long seq) throws Exception {
        StreamEvent event = waiting.get(seq);
        waiting.remove(seq);
        waitingBytes.update(waitingBytes.value() - event.payload.length);
        return event;
    }

    /** Everything waiting, in seq order; the buffer is empty afterwards. */
    List<StreamEvent> drain() throws Exception {
        Map<Long, StreamEvent> inOrder = new TreeMap<>();
        for (Map.Entry<Long, StreamEvent> e : waiting.entries()) inOrder.put(e.getKey(), e.getValue());
        clear();
        return new ArrayList<>(inOrder.values());
    }

    void clear() {
        waiting.clear();
        waitingBytes.clear();
    }
}
