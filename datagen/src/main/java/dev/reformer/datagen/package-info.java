/**
 * The data of {@code ./reformer datagen}: speech synthesised by external engines ({@link dev.reformer.datagen.SpeechSynth}:
 * espeak-ng, flite, festival; FreeTTS in the JVM when asked for), augmented ({@link dev.reformer.datagen.Augment}: sox effects, noise mixed in Java) and split by
 * speaker ({@link dev.reformer.datagen.VoiceSplit}) into the commands, digits and streams sets
 * ({@link dev.reformer.datagen.SpeechSets}, {@link dev.reformer.datagen.Streams}); text sets from packages
 * ({@link dev.reformer.datagen.SpamAssassin}, {@link dev.reformer.datagen.Fortunes}, written by {@link dev.reformer.datagen.TextSets});
 * and the JSONL manifest format that training reads ({@link dev.reformer.task.Manifest}).
 *
 * <p>Determinism: every clip draws from its own random stream ({@link dev.reformer.datagen.Seeds}) named by seed, set,
 * split and index; the engines and sox (run with -R and -D) are deterministic; noise is made in Java. So a seed gives
 * the same bytes, on any number of threads, on the same engine versions.
 */
package dev.reformer.datagen;

import dev.reformer.task.Manifest;
