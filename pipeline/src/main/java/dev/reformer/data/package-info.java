/**
 * The data of {@code ./reformer datagen}: speech synthesised by external engines ({@link dev.reformer.data.SpeechSynth}:
 * espeak-ng, flite, festival; FreeTTS in the JVM when asked for), augmented ({@link dev.reformer.data.Augment}: sox effects, noise mixed in Java) and split by
 * speaker ({@link dev.reformer.data.VoiceSplit}) into the commands, digits and streams sets
 * ({@link dev.reformer.data.SpeechSets}, {@link dev.reformer.data.Streams}); text sets from packages
 * ({@link dev.reformer.data.SpamAssassin}, {@link dev.reformer.data.Fortunes}, written by {@link dev.reformer.data.TextSets});
 * and the JSONL manifest format that training reads ({@link dev.reformer.data.Manifest}).
 *
 * <p>Determinism: every clip draws from its own random stream ({@link dev.reformer.data.Seeds}) named by seed, set,
 * split and index; the engines and sox (run with -R and -D) are deterministic; noise is made in Java. So a seed gives
 * the same bytes, on any number of threads, on the same engine versions.
 */
package dev.reformer.data;
