/**
 * Scoring a model on a manifest, and the baselines it is compared with: {@link dev.reformer.eval.Scores} (accuracy,
 * confusion, word and character error rates), {@link dev.reformer.eval.Recogniser} with Vosk, Sphinx4 and pocketsphinx
 * behind it, restricted by a {@link dev.reformer.eval.Grammar}; {@link dev.reformer.eval.CommandLabels} (a
 * recogniser's text as a command label), {@link dev.reformer.eval.FastText} for text, and
 * {@link dev.reformer.eval.ResultsSection} (the markdown that docs/RESULTS.md holds). {@code ./reformer eval} wires them.
 */
package dev.reformer.eval;
