package dev.reformer.model.verify;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.Arrays;

/**
 * How far one of our tensors is from the reference's. Relative error is the largest absolute error
 * divided by the largest magnitude of the reference tensor, so values near zero do not inflate it.
 * Integer tensors (bucket ids) must match exactly: mismatches counts the differing entries.
 */
public record Comparison(String name, double maxAbsError, double relativeError, long mismatches, long count,
                         double tolerance) {

    public boolean exact() { return tolerance == 0; }

    public boolean passed() { return exact() ? mismatches == 0 : relativeError <= tolerance; }

    public static Comparison of(String name, INDArray ours, INDArray reference, double tolerance) {
        if (!Arrays.equals(ours.shape(), reference.shape())) {
            throw new IllegalStateException(name + ": our shape " + Arrays.toString(ours.shape())
                    + " differs from the reference's " + Arrays.toString(reference.shape()));
        }
        double[] a = ours.castTo(DataType.DOUBLE).data().asDouble(), b = reference.castTo(DataType.DOUBLE).data().asDouble();
        double maxAbs = 0, maxRef = 0;
        for (int i = 0; i < a.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
            maxRef = Math.max(maxRef, Math.abs(b[i]));
        }
        if (Double.isNaN(maxAbs) || Arrays.stream(a).anyMatch(Double::isNaN)) maxAbs = Double.NaN;
        double rel = maxRef == 0 ? maxAbs : maxAbs / maxRef;
        return new Comparison(name, maxAbs, Double.isNaN(maxAbs) ? Double.POSITIVE_INFINITY : rel, 0, a.length, tolerance);
    }

    public static Comparison exact(String name, int[] ours, int[] reference) {
        if (ours.length != reference.length) throw new IllegalStateException(name + ": " + ours.length
                + " ids, the reference has " + reference.length);
        long mismatches = 0;
        for (int i = 0; i < ours.length; i++) if (ours[i] != reference[i]) mismatches++;
        return new Comparison(name, 0, 0, mismatches, ours.length, 0);
    }

    @Override
    public String toString() {
        return format(20);
    }

    /** One line, the name padded to nameWidth so that a report's columns line up. */
    public String format(int nameWidth) {
        String paddedName = String.format("%-" + nameWidth + "s", name);
        if (exact()) {
            return String.format("%s %s  %d of %d ids differ (must match exactly)", paddedName,
                    passed() ? "ok  " : "FAIL", mismatches, count);
        }
        return String.format("%s %s  rel %.3e  (max abs %.3e; relative tolerance %.0e)", paddedName,
                passed() ? "ok  " : "FAIL", relativeError, maxAbsError, tolerance);
    }
}
