package dev.reformer.model;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * What a stream's later positions need of its past, per layer: keys and values (and, for LSH layers, the
 * buckets of each head and round) of the positions still in reach, oldest first. {@link StreamingEncoder} reads
 * and extends it. It goes to bytes whole ({@link #toBytes()}) or as a small header and one entry per held position
 * ({@link #headerBytes()}, {@link #entryBytes}), so that a store can write only what a hop added. Its size is bounded by the
 * model, not by the stream: an LSH layer keeps at most streaming_context_length positions, a local layer at most
 * (local_num_chunks_before + 1) chunks.
 */
public final class StreamState {
    private static final int FORMAT = 0x52534931; // "RSI1"

    private final ReformerConfig config;
    private final LayerCache[] layers;
    private long nextPosition;

    StreamState(ReformerConfig config) {
        this.config = config;
        this.layers = new LayerCache[config.numHiddenLayers()];
        for (int i = 0; i < layers.length; i++) {
            boolean lsh = config.attnLayers().get(i).equals("lsh");
            layers[i] = new LayerCache(config.numAttentionHeads(), config.attentionHeadSize(), lsh ? config.numHashes() : 0);
        }
    }

    /** The stream position the next input vector will have (= positions seen so far). */
    public long nextPosition() { return nextPosition; }

    LayerCache layer(int i) { return layers[i]; }

    void advance(int positions) { nextPosition += positions; }

    /** Positions held, summed over layers. */
    public int cachedPositions() {
        int n = 0;
        for (LayerCache l : layers) n += l.size();
        return n;
    }

    /** How many layers the state has. */
    public int layerCount() { return layers.length; }

    /** The oldest position a layer holds ({@link #nextPosition()} when it holds none); it holds all from there on. */
    public long heldFrom(int layer) {
        LayerCache l = layers[layer];
        return l.size() == 0 ? nextPosition : l.position(0);
    }

    /** The size of {@link #toBytes()}, without making it. */
    public long sizeInBytes() {
        long bytes = headerSize();
        for (LayerCache l : layers) bytes += (long) l.size() * l.entrySize();
        return bytes;
    }

    private int headerSize() { return 4 + 8 + 4 + 8 * layers.length; }

    /**
     * The small part of the state: the next position and, per layer, the oldest position held. With {@link #entryBytes}
     * of each held position it is the whole state ({@link #fromParts}); a store that keeps the entries apart writes
     * only a hop's new entries, not the whole context.
     */
    public byte[] headerBytes() {
        ByteBuffer out = ByteBuffer.allocate(headerSize());
        out.putInt(FORMAT).putLong(nextPosition).putInt(layers.length);
        for (int i = 0; i < layers.length; i++) out.putLong(heldFrom(i));
        return out.array();
    }

    /** A held position's keys, values and buckets (big-endian). */
    public byte[] entryBytes(int layer, long position) {
        LayerCache l = layers[layer];
        int entry = l.entryOf(position);
        if (entry < 0) throw new IllegalArgumentException("layer " + layer + " does not hold position " + position);
        ByteBuffer out = ByteBuffer.allocate(l.entrySize());
        l.writeEntry(out, entry);
        return out.array();
    }

    /** Where a state stood: its next position and each layer's oldest held position. */
    public record Mark(long nextPosition, long[] heldFrom) {}

    public Mark mark() {
        long[] held = new long[layers.length];
        for (int i = 0; i < held.length; i++) held[i] = heldFrom(i);
        return new Mark(nextPosition, held);
    }

    /** What a store keeping the entries apart changes after steps: entries to remove, entries to add. */
    public interface Changes {
        void removed(int layer, long position);

        void added(int layer, long position, byte[] entry);
    }

    /**
     * Tells a store what changed since a mark: per layer, the positions that fell out of reach (held at the mark) and
     * the new positions still held, with their {@link #entryBytes}. Positions added and dropped in between are neither.
     */
    public void changesSince(Mark mark, Changes changes) {
        for (int l = 0; l < layers.length; l++) {
            long from = heldFrom(l);
            for (long p = mark.heldFrom()[l]; p < Math.min(from, mark.nextPosition()); p++) changes.removed(l, p);
            for (long p = Math.max(from, mark.nextPosition()); p < nextPosition; p++) changes.added(l, p, entryBytes(l, p));
        }
    }

    /** Where {@link #fromParts} finds a held position's {@link #entryBytes}: null when it has none. */
    @FunctionalInterface
    public interface Entries {
        byte[] of(int layer, long position);
    }

    /** The whole state in one array: the header, then every held entry, layer by layer, oldest first. */
    public byte[] toBytes() {
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(sizeInBytes()));
        out.put(headerBytes());
        for (LayerCache l : layers) for (int e = 0; e < l.size(); e++) l.writeEntry(out, e);
        return out.array();
    }

    /**
     * A state written by {@link #toBytes()} for a model of this config.
     *
     * @throws IllegalArgumentException when the bytes are not such a state, or were written for another model's shape
     */
    public static StreamState fromBytes(byte[] bytes, ReformerConfig config) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            StreamState empty = new StreamState(config);
            byte[] header = new byte[empty.headerSize()];
            in.get(header);
            StreamState state = fromParts(header, config, (layer, position) -> { // fromParts asks in the order toBytes wrote
                byte[] entry = new byte[empty.layers[layer].entrySize()];
                in.get(entry);
                return entry;
            });
            if (in.hasRemaining()) throw new IllegalArgumentException("the stream state has " + in.remaining() + " bytes too many");
            return state;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("the stream state is truncated (" + bytes.length + " bytes)", e);
        }
    }

    /**
     * A state from its {@link #headerBytes} and the {@link #entryBytes} of every position it says each layer holds,
     * asked for layer by layer, oldest first.
     *
     * @throws IllegalArgumentException when the header is not a state of this model's shape, or an entry is missing or
     *     of the wrong size
     */
    public static StreamState fromParts(byte[] headerBytes, ReformerConfig config, Entries entries) {
        StreamState state = new StreamState(config);
        ByteBuffer header = ByteBuffer.wrap(headerBytes);
        try {
            if (header.getInt() != FORMAT) throw new IllegalArgumentException("not a stream state (wrong format marker)");
            state.nextPosition = header.getLong();
            int layers = header.getInt();
            if (layers != state.layers.length) throw new IllegalArgumentException("the stream state has " + layers
                    + " layers, this model has " + state.layers.length + "; a state is only valid for the model that wrote it");
            for (int i = 0; i < layers; i++) {
                LayerCache l = state.layers[i];
                long from = header.getLong(), count = state.nextPosition - from;
                if (from < 0 || count < 0 || count > state.reach(l)) throw new IllegalArgumentException("a layer of the stream "
                        + "state holds " + count + " positions; this model's layer keeps at most " + state.reach(l));
                for (long p = from; p < state.nextPosition; p++) {
                    byte[] entry = entries.of(i, p);
                    if (entry == null || entry.length != l.entrySize()) throw new IllegalArgumentException("the stream state's "
                            + "entry for position " + p + " is " + (entry == null ? "missing" : entry.length + " bytes, not " + l.entrySize()));
                    l.appendEntry(p, ByteBuffer.wrap(entry));
                }
            }
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("the stream state's header is truncated (" + headerBytes.length + " bytes)", e);
        }
        return state;
    }

    /** Most positions a layer of this config may hold. */
    private int reach(LayerCache l) {
        return l.bucketsPerEntry > 0 ? config.streamingContextLength()
                : (config.localNumChunksBefore() + 1) * config.localAttnChunkLength();
    }

    /**
     * One layer's entries, oldest first, one per position with no gaps: position, keys [H, D], values [H, D], buckets
     * [H, R] (LSH layers). For LSH layers each entry also links to the previous position of its bucket in each column
     * (h * R + r), so that a query walks its bucket's keys without scanning the others; the links are rebuilt from the
     * buckets when a state is read, not stored.
     */
    static final class LayerCache {
        private final int heads, headSize, width, bucketsPerEntry;
        private long[] positions = new long[0];
        private float[] keys = new float[0], values = new float[0];
        private int[] buckets = new int[0];
        private long[] previousSame = new long[0];
        /** [column][bucket]: the newest position seen in that bucket, or -1. */
        private long[][] newestIn;
        private int size;

        LayerCache(int heads, int headSize, int rounds) {
            this.heads = heads;
            this.headSize = headSize;
            this.width = heads * headSize;
            this.bucketsPerEntry = heads * rounds;
            this.newestIn = new long[bucketsPerEntry][0];
        }

        int size() { return size; }

        int headSize() { return headSize; }

        long position(int entry) { return positions[entry]; }

        float[] keys() { return keys; }

        float[] values() { return values; }

        /** Where head h of an entry starts in {@link #keys()} and {@link #values()}. */
        int offset(int entry, int head) { return entry * width + head * headSize; }

        /** The entry of a position, or -1 when it is not held. */
        int entryOf(long position) {
            return size == 0 || position < positions[0] || position > positions[size - 1] ? -1 : (int) (position - positions[0]);
        }

        /** The position before this entry's in the same bucket of column h * R + r (-1 for none; it may be evicted). */
        long previousSame(int entry, int column) { return previousSame[entry * bucketsPerEntry + column]; }

        /** Appends row `row` of keys and values ([n, H*D]) at a position; entryBuckets [H*R] or null. */
        void append(long position, float[] rowKeys, float[] rowValues, int row, int[] entryBuckets) {
            if (size == positions.length) grow(Math.max(16, size * 2));
            positions[size] = position;
            System.arraycopy(rowKeys, row * width, keys, size * width, width);
            System.arraycopy(rowValues, row * width, values, size * width, width);
            if (bucketsPerEntry > 0) {
                System.arraycopy(entryBuckets, 0, buckets, size * bucketsPerEntry, bucketsPerEntry);
                link(size);
            }
            size++;
        }

        /** Sets an entry's links to the newest earlier positions of its buckets, and makes it the newest. */
        private void link(int entry) {
            for (int column = 0; column < bucketsPerEntry; column++) {
                int bucket = buckets[entry * bucketsPerEntry + column];
                if (bucket >= newestIn[column].length) {
                    int old = newestIn[column].length;
                    newestIn[column] = java.util.Arrays.copyOf(newestIn[column], Math.max(bucket + 1, 2 * old));
                    java.util.Arrays.fill(newestIn[column], old, newestIn[column].length, -1L);
                }
                previousSame[entry * bucketsPerEntry + column] = newestIn[column][bucket];
                newestIn[column][bucket] = positions[entry];
            }
        }

        /** Drops the entries before a position: nothing later needs them. */
        void evictBefore(long position) {
            int drop = 0;
            while (drop < size && positions[drop] < position) drop++;
            if (drop == 0) return;
            size -= drop;
            System.arraycopy(positions, drop, positions, 0, size);
            System.arraycopy(keys, drop * width, keys, 0, size * width);
            System.arraycopy(values, drop * width, values, 0, size * width);
            System.arraycopy(buckets, drop * bucketsPerEntry, buckets, 0, size * bucketsPerEntry);
            System.arraycopy(previousSame, drop * bucketsPerEntry, previousSame, 0, size * bucketsPerEntry);
        }

        private void grow(int capacity) {
            positions = java.util.Arrays.copyOf(positions, capacity);
            keys = java.util.Arrays.copyOf(keys, capacity * width);
            values = java.util.Arrays.copyOf(values, capacity * width);
            buckets = java.util.Arrays.copyOf(buckets, capacity * bucketsPerEntry);
            previousSame = java.util.Arrays.copyOf(previousSame, capacity * bucketsPerEntry);
        }

        /** The bytes of one entry: keys, values, buckets. */
        int entrySize() { return 4 * (2 * width + bucketsPerEntry); }

        void writeEntry(ByteBuffer out, int entry) {
            out.asFloatBuffer().put(keys, entry * width, width).put(values, entry * width, width);
            out.position(out.position() + 8 * width);
            out.asIntBuffer().put(buckets, entry * bucketsPerEntry, bucketsPerEntry);
            out.position(out.position() + 4 * bucketsPerEntry);
        }

        /** Appends the entry {@link #writeEntry} wrote, at a position just after the newest held. */
        void appendEntry(long position, ByteBuffer in) {
            if (size == positions.length) grow(Math.max(16, size * 2));
            positions[size] = position;
            in.asFloatBuffer().get(keys, size * width, width);
            in.position(in.position() + 4 * width);
            in.asFloatBuffer().get(values, size * width, width);
            in.position(in.position() + 4 * width);
            if (bucketsPerEntry > 0) {
                in.asIntBuffer().get(buckets, size * bucketsPerEntry, bucketsPerEntry);
                link(size);
            }
            size++;
        }
    }
}
