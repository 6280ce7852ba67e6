package dev.reformer.datagen;

/**
 * One voice of one engine. {@code speaker} is the person (or voice model) behind it, the unit of the train / validation
 * / test split: espeak-ng's accents share a variant's timbre, and flite's and festival's "kal" and "slt" are built from
 * the same recordings, as are FreeTTS's "kevin" voices (kal), so they go to the same split.
 */
public record Voice(String engine, String name, String speaker) {
    /** "engine/name", how the split and the summaries print a voice. */
    @Override
    public String toString() {
        return engine + "/" + name;
    }
}
