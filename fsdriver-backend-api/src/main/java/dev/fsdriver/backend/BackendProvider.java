package dev.fsdriver.backend;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * A kind of backend, one per OS, found with {@link ServiceLoader}: each backend module lists its
 * provider in {@code META-INF/services/dev.fsdriver.backend.BackendProvider}, and the server's
 * wiring picks the one {@link #isSupported() supported} here (as jfuse picks its platform).
 *
 * <p>A provider class must load on every JVM that may run the server (Java 21, any OS): it
 * refers to its backend only inside {@link #open}, so an unsupported backend's classes (built
 * for Java 25, or calling Windows only) are never loaded.
 */
public interface BackendProvider {
    /** Short name, as in logs and {@link #named}: "posix", "windows". */
    String name();

    /** True when this backend runs here (OS, Java version); loads none of the backend's classes. */
    boolean isSupported();

    /** {@link #open(Path, boolean, Map)} with no options. */
    default Backend open(Path root, boolean readOnly) throws IOException, FsException {
        return open(root, readOnly, Map.of());
    }

    /**
     * Opens the directory {@code root} as a share; {@code readOnly} makes every mutation EROFS;
     * {@code options} are this backend's own per-share options (key to value, "" for a bare key, as
     * {@code serve --share-option SHARE:KEY[=VALUE]} gives them), checked by {@link #checkOptions}.
     *
     * @throws IllegalArgumentException an option is unknown or its value bad (the message names it)
     * @throws IOException the directory cannot be opened (it does not exist, is no directory...)
     * @throws FsException the backend refuses it (errno and reason)
     */
    Backend open(Path root, boolean readOnly, Map<String, String> options) throws IOException, FsException;

    /**
     * Checks per-share options without opening anything (so a server, or a service being
     * installed, refuses them before it serves): IllegalArgumentException naming the bad key or
     * value and what is allowed. This default takes none.
     */
    default void checkOptions(Map<String, String> options) {
        if (!options.isEmpty()) {
            throw new IllegalArgumentException("the " + name() + " backend takes no options (got: "
                    + String.join(", ", options.keySet()) + ")");
        }
    }

    /** Every provider on the class path, in class path order. */
    static List<BackendProvider> all() {
        return ServiceLoader.load(BackendProvider.class, BackendProvider.class.getClassLoader()).stream()
                .map(ServiceLoader.Provider::get)
                .toList();
    }

    /** The first provider supported here; IllegalStateException when this build has none. */
    static BackendProvider forThisSystem() {
        List<BackendProvider> all = all();
        return all.stream().filter(BackendProvider::isSupported).findFirst()
                .orElseThrow(() -> new IllegalStateException("no backend in this build runs on "
                        + System.getProperty("os.name") + " with Java " + Runtime.version().feature()
                        + " (found: " + all.stream().map(BackendProvider::name).toList() + ")"));
    }

    /** The provider called {@code name}; IllegalArgumentException when this build has none. */
    static BackendProvider named(String name) {
        return all().stream().filter(p -> p.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no backend called " + name + " in this build"));
    }
}
