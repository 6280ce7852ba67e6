package dev.reformer.model.train;

import java.util.Arrays;

/**
 * Features in the manner of fastText's for text read k bytes per position (Joulin et al., "Bag of Tricks for
 * Efficient Text Classification", 2016; Bojanowski et al., "Enriching Word Vectors with Subword Information", 2017),
 * hashed into a fixed number of buckets: each position gets the character 3- and 4-grams that end in its bytes, and
 * each word that ends there with the pair of it and the word before. Unlike fastText's, the character n-grams are of
 * bytes and run across spaces and word boundaries. A word is a run of ASCII letters and digits and of non-ASCII bytes
 * (so accented and non-Latin letters belong to words, and so do non-ASCII punctuation marks such as a dash or a
 * curly quote); ASCII letters count in lower case.
 *
 * <p>Why: a byte-level model has to learn from a few thousand texts what a word is before it can learn which words
 * matter; a linear model over these features (fastText) was 2 to 6 points more accurate on our text sets. With them
 * as input, the Reformer starts from the same evidence. Computed from the bytes themselves, so training and serving
 * agree by construction.
 */
public final class HashedNgrams {
    private static final int CHAR_3 = 3, CHAR_4 = 4, WORD = 1, WORD_PAIR = 2;

    private HashedNgrams() {}

    /**
     * The buckets of each of the first {@code positions} positions of one text given as byte ids (value + 2; 0 is
     * padding and ends the text), k bytes per position. A bucket can appear twice in a position (two features hashed
     * alike): its vector is then added twice, as for any repeated feature.
     */
    public static int[][] of(int[] ids, int positions, int k, int buckets) {
        if (buckets < 1) throw new IllegalArgumentException("buckets must be at least 1, not " + buckets);
        int[][] out = new int[positions][];
        int[] here = new int[4 * k + 2];
        long wordHash = 0, previousWord = 0;
        boolean inWord = false, hadWord = false;
        int n = 0;
        while (n < ids.length && n < positions * k && ids[n] != 0) n++;
        for (int t = 0; t < positions; t++) {
            int count = 0;
            for (int i = t * k; i < Math.min(n, (t + 1) * k); i++) {
                int b = lower(ids[i]);
                if (i >= 2) here[count++] = bucket(charGram(ids, i, CHAR_3), buckets);
                if (i >= 3) here[count++] = bucket(charGram(ids, i, CHAR_4), buckets);
                if (isWordByte(b)) {
                    wordHash = inWord ? step(wordHash, b) : step(seed(WORD), b);
                    inWord = true;
                }
                boolean wordEnds = inWord && (i + 1 >= n || !isWordByte(lower(ids[i + 1])));
                if (wordEnds) {
                    here[count++] = bucket(mix(wordHash), buckets);
                    if (hadWord) here[count++] = bucket(mix(step(step(seed(WORD_PAIR), (int) mix(previousWord)), (int) mix(wordHash))), buckets);
                    previousWord = wordHash;
                    hadWord = true;
                    inWord = false;
                }
            }
            out[t] = Arrays.copyOf(here, count);
        }
        return out;
    }

    private static boolean isWordByte(int b) {
        return b >= 0x80 || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z');
    }

    /** The byte of an id, ASCII letters in lower case. */
    private static int lower(int id) {
        int b = id - Encoder.BYTE_ID_OFFSET;
        return b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b;
    }

    private static long charGram(int[] ids, int end, int n) {
        long h = seed(n);
        for (int i = end - n + 1; i <= end; i++) h = step(h, lower(ids[i]));
        return mix(h);
    }

    // FNV-1a over the bytes, started from a seed per kind of feature, then splitmix64's finaliser
    private static long seed(int kind) {
        return step(0xcbf29ce484222325L, 0x100 + kind);
    }

    private static long step(long h, int value) {
        return (h ^ value) * 0x100000001b3L;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private static int bucket(long hash, int buckets) {
        return (int) Long.remainderUnsigned(hash, buckets);
    }
}
