package dev.reformer.model;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.function.Supplier;

/**
 * Scratch memory for one pass (a forward for serving, a training step). A pass allocates hundreds of short-lived
 * arrays; allocated one by one, each costs a native malloc, page faults and a deallocator registered with the
 * garbage collector, which took most of a small model's time. Inside {@link #run} they come out of one block per
 * thread and name, reused by the next pass and sized by the largest pass so far.
 *
 * <p>The rule: nothing allocated inside may be used after the pass returns. Results leave as Java values, or are
 * written in place into arrays allocated outside (parameters, gradient buffers, optimizer moments); an array that
 * must outlive the pass is allocated through {@link #outside}.
 */
public final class Scratch {
    private static final WorkspaceConfiguration CONFIG = WorkspaceConfiguration.builder().initialSize(0)
            .policyAllocation(AllocationPolicy.STRICT).policyLearning(LearningPolicy.FIRST_LOOP)
            .policySpill(SpillPolicy.REALLOCATE).build();

    private Scratch() {}

    /** Runs pass with its allocations in this thread's scratch block called name. */
    public static <T> T run(String name, Supplier<T> pass) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, name)) {
            return pass.get();
        }
    }

    /** Allocates an array that outlives the current pass (ordinary memory, even inside {@link #run}). */
    public static INDArray outside(Supplier<INDArray> allocation) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return allocation.get();
        }
    }
}
