package dev.reformer.model.train;

/**
 * One training or evaluation example: the input is token ids or feature frames (exactly one of them), the
 * target a label (classification) or a label sequence (CTC transcription, labels 1.., 0 is the blank).
 */
public record Example(int[] ids, float[][] features, int label, int[] target) {

    public Example {
        if ((ids == null) == (features == null)) throw new IllegalArgumentException("an example has token ids or features, exactly one");
        if ((ids != null ? ids.length : features.length) == 0) throw new IllegalArgumentException("an example needs at least one position");
    }

    public static Example tokens(int[] ids, int label) {
        return new Example(ids, null, label, null);
    }

    public static Example features(float[][] frames, int label) {
        return new Example(null, frames, label, null);
    }

    public static Example transcript(float[][] frames, int[] target) {
        return new Example(null, frames, -1, target);
    }

    /** Positions of the input. */
    public int length() {
        return ids != null ? ids.length : features.length;
    }
}
