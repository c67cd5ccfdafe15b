package dev.fsdriver.client.cache;

import java.util.Map;

/**
 * The server's change-event sequence a directory listing was made after (ReadDirReply's
 * event_sequence): every event numbered up to it is reflected in the listing. The events layer
 * uses it to know which events a listing's names already include (see events.KnownNames).
 */
public interface ListingSequences {
    /** The sequence of the page open directory {@code fh} last read, 0 when not known (an older server). */
    long eventSequence(long fh);

    /** Told of each complete listing of a directory made for the client's own use (to answer lookups). */
    @FunctionalInterface
    interface Whole {
        /** {@code names}: name -> inode number, all of directory {@code dir} after event {@code eventSequence}. */
        void listed(long dir, Map<String, Long> names, long eventSequence);
    }
}
