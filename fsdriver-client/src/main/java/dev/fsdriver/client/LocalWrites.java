package dev.fsdriver.client;

/**
 * What this mount's own programs are doing to file sizes, for the events layer's injected MODIFY
 * and ATTRIB (events.ChangedFiles, events.InjectionAnswers): the kernel sets a file's i_size to
 * the size in the answer to the injected truncate or chmod (fuse_do_setattr) and to an injected
 * GETATTR's (fuse_change_attributes), and drops the page cache past it. While a program here has
 * the file open for writing, the kernel's size can be ahead of anything the server or an event
 * says (write-behind, an ftruncate answered moments ago, dirty pages of a shared mapping), so no
 * size may be given to the kernel then (issue 9, fsstress seed 244: a file cut, SIGBUS).
 *
 * <p>Per node: whether an open file here may write it (until its RELEASE has sent what it held
 * back, or, with the server away then, until that is sent later), and a change stamp that moves
 * before and after each request here that may change a size (an open that may write or
 * truncate, a write, a size SETATTR, an open file that may write coming and going). The applier
 * takes the stamp before it reads the size it injects; the answer to the injected request is
 * refused when the stamp moved or a writer is open, so a program that grows the file meanwhile
 * wins (a missing IN_MODIFY, never a cut file). Kept by {@link OpenFiles}.
 */
public interface LocalWrites {
    /** The node's change stamp now (see the class comment). */
    long stamp(long node);

    /** Whether a program here has the node open for writing. */
    boolean writing(long node);

    /** Whether a size the applier read for the node at {@code stamp} may still be given to the kernel. */
    default boolean unchangedSince(long node, long stamp) {
        return !writing(node) && stamp(node) == stamp;
    }
}
