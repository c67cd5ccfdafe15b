package dev.fsdriver.fuse;

import dev.fsdriver.client.RemoteFileSystem;
import dev.fsdriver.client.events.ChangeEvents;

/**
 * The file system contract on what {@code fsdriver mount} mounts by default: the remote file
 * system behind its change-events layer ({@link ChangeEvents#fileSystem()}, injection on), with
 * the mount's options and the share's event stream live, so every change the contract makes
 * comes back from the server as an event while the kernel holds the names.
 */
class EventsFileSystemContractTest extends RemoteFileSystemContractTest {
    private ChangeEvents events;

    @Override
    FuseFileSystem mounted(RemoteFileSystem remote) {
        events = ChangeEvents.wrap(remote, mnt, ChangeEvents.Options.defaults());
        return events.fileSystem();
    }

    /** MountCommand's options for a share. */
    @Override
    MountOptions options() {
        return MountOptions.builder().fsName("contract").subtype("test").defaultPermissions(true)
                .handleKillpriv(true).readdirplusAlways(true).build();
    }

    /** Starts the event stream and waits for the server's answer (long timeouts in force from then on). */
    @Override
    void mounted(FuseMount mount) {
        events.start(connection.channel(), "s", mount.notifier());
        long until = System.nanoTime() + 30_000_000_000L;
        while (!events.live()) {
            if (System.nanoTime() > until) {
                throw new IllegalStateException("the event stream never went live");
            }
            Thread.onSpinWait();
        }
    }

    @Override
    void beforeUnmount() {
        events.close();
    }
}
