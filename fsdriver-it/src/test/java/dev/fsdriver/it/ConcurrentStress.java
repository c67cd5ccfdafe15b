package dev.fsdriver.it;

import dev.fsdriver.it.stress.OpGenerator;
import dev.fsdriver.it.stress.StressRun;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The differential stress test with several workers at once, on any seeds: not a *Test class;
 * bench/stress.sh runs it ({@code -Dfsdriver.stress.seeds}, {@code -Dfsdriver.stress.ops}).
 * Not in ./test: a fresh-clone CI run of 3 December 2026 failed seed 5 (of ten seeds that had
 * passed every earlier run): a name the served directory held as a directory stayed a file on
 * the mount for 30 s. Seeds 2, 3, 13 and 16 have failed before too (issue 9). Seed 19 failed once
 * (events a second late, a DELETED injected as an rmdir of the directory the server had made
 * again there: fixed, see EventApplier); seeds 1-20 then passed three runs in a row. Seeds 4 and 5
 * then failed now and then (a server-side exchange undone on the mount: the tree walk
 * listed a parent between the applier's decision and its injected exchange, which then swapped
 * the kernel's new entries back or, both names one inode, did nothing: fixed, see
 * InjectionAnswers#rename and InjectionThroughTheKernelTest#anExchangeNeverActsOnWhatAProgramLookedUpMeanwhileOneName).
 * Seeds 43 and 49 (of 41-50) failed. 43: a hard link renamed on the server over a file the
 * server knew, then on, kept a stale first name in the server's node table, every open through
 * the mount ENOENT for good (fixed: Share's follower, NodeIds; HardLinkEndToEndTest). 49: a listed
 * hard link whose stat said ENOENT, likely the same (no debug log of it). 41-50 then passed
 * three times, 1-20 once; 21-40 once with seed 21 failing, and failing the same without these
 * fixes (a hard link's link count stayed 2 on the mount after a server-side rename replaced its
 * other name; the mount's view had one node at both names, so it took the rename for a no-op).
 * Seed 21's cause: the kernel looked the new name up (the tree walk, or the injected rename's own
 * lookup) after the server's rename and before its event, so the rename replaced nothing in the
 * kernel and the replaced file's cached link count stayed (fixed: ReplacedFiles, KernelView's
 * displaced nodes; LookedUpBeforeItsEventTest); then seed 21 passed 3 runs alone, 1-20 passed
 * (oneWorker and ConcurrentStress), 21-40 all but seed 33 (ConcurrentStress). Seed 33 failed
 * now and then, also with one worker alone (no events): an FSTAT of an fd whose file a rename
 * replaced showed the size plus another fd's write. Cause (the rename a bystander): an O_APPEND
 * fd's held-back append went to the server after another fd's later write to the file, in
 * whatever order a stat pushed the open files' writes out, and landed past it (fixed:
 * OpenNode#orderBefore; DifferentialStressTest#appendHeldBackThenAnotherDescriptorsWrite).
 * Then 21-40 once each: all passed but seed 27 (ConcurrentStress): an empty file open read-only
 * and unlinked, a read past its end said ENOENT: the server answered the open that was to give
 * it a handle "whole" with none, inline_max 0 notwithstanding (fixed: OpenFileHandlers#open;
 * DifferentialStressTest#readPastTheEndOfAWholeContentOpenAfterItsUnlink).
 */
class ConcurrentStress extends StressMount {
    /**
     * Four workers through the mount at once (as `fsstress -p 4`, the second case) and one
     * changing the served directory directly, which the mount must follow through events.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void fourWorkersAndOneOnTheServer(long seed) throws Exception {
        assertNoDifference(engine.run(new StressRun.Config(seed, 4, 1, OPS, 25, PROFILE)));
    }

    /** {@code -Dfsdriver.stress.profile=FSSTRESS_CASE1}: fsstress case 1's operations instead of the default mix. */
    private static final OpGenerator.Profile PROFILE =
            OpGenerator.Profile.valueOf(System.getProperty("fsdriver.stress.profile", "DEFAULT"));
}
