package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.windows.VolumeFeatures.Feature;
import dev.fsdriver.backend.windows.win32.Structs;
import dev.fsdriver.backend.windows.win32.WindowsException;

/**
 * The order of attempts of a delete (B11), apart from the native calls ({@link Ops}) so that it
 * can be tested anywhere: POSIX delete with IGNORE_READONLY_ATTRIBUTE; on 1607-1803, which does
 * not know that flag, POSIX delete without it (READONLY cleared first), remembered; else the
 * classic delete-on-close (READONLY cleared first), which turns POSIX delete off for the volume
 * only once it succeeded. A delete that fails after READONLY was cleared puts it back.
 */
final class DeleteSteps {
    /** The native side of one delete. */
    interface Ops {
        /** SetFileInformationByHandle(infoClass) with FILE_DISPOSITION_INFO(_EX) {@code flags}. */
        void disposition(int infoClass, int flags) throws WindowsException;

        /** Sets the file's attributes (through a handle with FILE_WRITE_ATTRIBUTES, opened when first needed). */
        void setAttributes(int attributes) throws WindowsException, FsException;
    }

    static final int POSIX = Structs.FILE_DISPOSITION_FLAG_DELETE | Structs.FILE_DISPOSITION_FLAG_POSIX_SEMANTICS;

    private final VolumeFeatures features;
    /** False once the OS refused FILE_DISPOSITION_FLAG_IGNORE_READONLY_ATTRIBUTE (1607-1803) while POSIX delete works. */
    private volatile boolean ignoreReadonlyFlag = true;

    DeleteSteps(VolumeFeatures features) {
        this.features = features;
    }

    boolean ignoreReadonlyFlag() {
        return ignoreReadonlyFlag;
    }

    /** Deletes the file {@code ops} stands for, whose attributes are {@code attributes}. */
    void delete(Ops ops, int attributes) throws WindowsException, FsException {
        WindowsException posixError = null;
        if (features.has(Feature.POSIX_DELETE)) {
            try {
                if (ignoreReadonlyFlag) {
                    try {
                        ops.disposition(Structs.FileDispositionInfoEx, POSIX | Structs.FILE_DISPOSITION_FLAG_IGNORE_READONLY_ATTRIBUTE);
                        return;
                    } catch (WindowsException e) {
                        if (!e.isUnsupported()) {
                            throw e;
                        }
                        // 1607-1803: FileDispositionInfoEx without that flag; fall to the try below.
                    }
                }
                withReadonlyCleared(ops, attributes, () -> ops.disposition(Structs.FileDispositionInfoEx, POSIX));
                if (ignoreReadonlyFlag) {
                    ignoreReadonlyFlag = false; // POSIX delete works, only the flag is unknown
                }
                return;
            } catch (WindowsException e) {
                if (!e.isUnsupported()) {
                    throw e;
                }
                posixError = e;
            }
        }
        withReadonlyCleared(ops, attributes, () -> ops.disposition(Structs.FileDispositionInfo, 1));
        if (posixError != null) {
            features.fallBack(Feature.POSIX_DELETE, posixError.getMessage());
        }
    }

    private interface Deletion {
        void run() throws WindowsException;
    }

    /** POSIX unlink ignores the file's own write permission; these deletes do not: clear, delete, restore on failure. */
    private static void withReadonlyCleared(Ops ops, int attributes, Deletion deletion) throws WindowsException, FsException {
        if ((attributes & WinAttributes.FILE_ATTRIBUTE_READONLY) == 0) {
            deletion.run();
            return;
        }
        ops.setAttributes(ModeMapping.attributesForChmod(attributes, false, 0200));
        try {
            deletion.run();
        } catch (WindowsException e) {
            try {
                ops.setAttributes(attributes & ModeMapping.SETTABLE);
            } catch (WindowsException | FsException restore) {
                // the delete's error is the one to report; the attribute stays cleared
            }
            throw e;
        }
    }
}
