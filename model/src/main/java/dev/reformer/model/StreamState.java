package dev.reformer.model;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * What a stream's later positions need of its past, per layer: keys and values (and, for LSH layers, the
 * buckets of each head and round) of the positions still in reach, oldest first. {@link StreamingEncoder} reads
 * and extends it; {@link #toBytes()} and {@link #fromBytes} carry it through a checkpoint. Its size is bounded by the
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

    /** The size of {@link #toBytes()}, without making it. */
    public long sizeInBytes() {
        long bytes = 4 + 8 + 4;
        for (LayerCache l : layers) bytes += 4 + 8 + 4L * l.size() * (2 * l.width + l.bucketsPerEntry);
        return bytes;
    }

    /** Written in bulk (a stream's state is written and read at every hop), big-endian. */
    public byte[] toBytes() {
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(sizeInBytes()));
        out.putInt(FORMAT).putLong(nextPosition).putInt(layers.length);
        for (LayerCache l : layers) l.write(out);
        return out.array();
    }

    /**
     * A state written by {@link #toBytes()} for a model of this config.
     *
     * @throws IllegalArgumentException when the bytes are not such a state, or were written for another model's shape
     */
    public static StreamState fromBytes(byte[] bytes, ReformerConfig config) {
        StreamState state = new StreamState(config);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            if (in.getInt() != FORMAT) throw new IllegalArgumentException("not a stream state (wrong format marker)");
            state.nextPosition = in.getLong();
            int layers = in.getInt();
            if (layers != state.layers.length) throw new IllegalArgumentException("the stream state has " + layers
                    + " layers, this model has " + state.layers.length + "; a state is only valid for the model that wrote it");
            for (LayerCache l : state.layers) l.read(in, state.reach(l));
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("the stream state is truncated (" + bytes.length + " bytes)", e);
        }
        if (in.hasRemaining()) throw new IllegalArgumentException("the stream state has " + in.remaining() + " bytes too many");
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

        /** count, first position (the others follow it one by one), then keys, values and buckets, each a block. */
        void write(ByteBuffer out) {
            out.putInt(size).putLong(size == 0 ? 0 : positions[0]);
            moveFloats(out, keys, size * width, true);
            moveFloats(out, values, size * width, true);
            out.asIntBuffer().put(buckets, 0, size * bucketsPerEntry);
            out.position(out.position() + 4 * size * bucketsPerEntry);
        }

        /** n floats of array to (write) or from the buffer, which moves past them. */
        private static void moveFloats(ByteBuffer buffer, float[] array, int n, boolean write) {
            if (write) buffer.asFloatBuffer().put(array, 0, n);
            else buffer.asFloatBuffer().get(array, 0, n);
            buffer.position(buffer.position() + 4 * n);
        }

        void read(ByteBuffer in, int reach) {
            int count = in.getInt();
            long first = in.getLong();
            if (count < 0 || count > reach) throw new IllegalArgumentException("a layer of the stream state holds " + count
                    + " positions; this model's layer keeps at most " + reach);
            grow(count);
            if ((long) in.remaining() < 4L * count * (2 * width + bucketsPerEntry)) throw new BufferUnderflowException();
            moveFloats(in, keys, count * width, false);
            moveFloats(in, values, count * width, false);
            in.asIntBuffer().get(buckets, 0, count * bucketsPerEntry);
            in.position(in.position() + 4 * count * bucketsPerEntry);
            for (int e = 0; e < count; e++) {
                positions[e] = first + e;
                if (bucketsPerEntry > 0) link(e);
            }
            size = count;
        }
    }
}
