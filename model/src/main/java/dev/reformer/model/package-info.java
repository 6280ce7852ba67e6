/**
 * The Reformer (Kitaev, Kaiser, Levskaya, 2020) on ND4J, checked against HuggingFace transformers.
 *
 * <p>Shape letters used in every Javadoc of this module:
 * <ul>
 *   <li>B: batch rows; T: sequence length (positions); C: hidden_size (model width)</li>
 *   <li>H: attention heads; D: attention_head_size; H*D: the width of the attention projections</li>
 *   <li>R: hash rounds (num_hashes); NB: buckets per round; K: rotation columns per round (sum of bucket factors / 2)</li>
 *   <li>G = B*H: independent attention groups; S: slots of a (sorted) group sequence, R*T for LSH</li>
 * </ul>
 * Every tensor is in C order. Computation runs in the data type of the parameters (float32 for
 * serving, float64 for checking against the reference).
 */
package dev.reformer.model;
