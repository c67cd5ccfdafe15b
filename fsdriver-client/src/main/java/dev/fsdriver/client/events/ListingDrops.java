package dev.fsdriver.client.events;

import dev.fsdriver.fuse.FuseNotifier;
import dev.fsdriver.proto.v1.ChangeEvent;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The listings the kernel keeps (directories listed without OPENDIR, {@link KernelListings}) of
 * the directories that events just received concern, dropped as the events arrive rather than
 * when the applier gets to them: during a burst the applier lags far behind the server, and a
 * program listing such a directory meanwhile must not be shown the listing from before it
 * (3,000 creates: {@code ChangeEventsEndToEndTest#aListingRightAfterABurstOfCreatesShowsEveryFile}).
 * While an OPENDIR was sent, the mount bypassed the kernel's listings while the applier lagged
 * ({@link CachePolicy#cacheable}); now nothing reaches it before a listing the kernel keeps. The
 * applier drops them again as it applies each event (with the entries and attributes).
 *
 * <p>Threads: {@link #received} runs on the transport's thread and only queues; a thread of its
 * own resolves the directories and notifies the kernel (a notification may wait for a kernel
 * lock that a request holds while it waits for that transport).
 */
final class ListingDrops implements AutoCloseable {
    private final KernelView view;
    private final FuseNotifier notifier;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fsdriver-listing-drops");
        t.setDaemon(true);
        return t;
    });

    ListingDrops(KernelView view, FuseNotifier notifier) {
        this.view = view;
        this.notifier = notifier;
    }

    /** Events of one reply, just received: the directories whose names they change lose their kept listing. */
    void received(List<ChangeEvent> events) {
        Set<String> dirs = new LinkedHashSet<>();
        for (ChangeEvent e : events) {
            switch (e.getKind()) {
                case CREATED, DELETED -> dirs.add(EventApplier.parentOf(e.getPath()));
                case RENAMED -> {
                    dirs.add(EventApplier.parentOf(e.getPath()));
                    dirs.add(EventApplier.parentOf(e.getNewPath()));
                }
                case OVERFLOW -> dirs.add(e.getPath()); // its resync drops everything below once applied
                default -> { } // contents and attributes leave listings as they are
            }
        }
        if (!dirs.isEmpty()) {
            thread.execute(() -> {
                for (String dir : dirs) {
                    long node = view.resolve(dir);
                    if (node != 0) {
                        notifier.invalInode(node, 0, 0);
                    }
                }
            });
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
