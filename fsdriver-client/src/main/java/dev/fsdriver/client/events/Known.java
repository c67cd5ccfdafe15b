package dev.fsdriver.client.events;

/**
 * What {@link KnownNames} knows of a name. The names of one listing page share all but their
 * inode numbers: those are {@link Shared}, 24 bytes, their {@link Facts} one object; a name whose
 * facts are its own (an event's sequence, the first name of a page) is {@link Own}, 48 bytes
 * (issue 16).
 */
sealed interface Known permits Known.Own, Known.Shared {
    /** Inode number, 0: not known. */
    long ino();

    /** The sequence of the last fact recorded of the name (orders facts). */
    long seq();

    /**
     * The sequence of the earliest listing that showed this file since (Long.MAX_VALUE: none);
     * 0 for an older server's listing.
     */
    long listedAt();

    /** Watchers were told of it (an event applied, a change through the mount, a resync). */
    boolean told();

    /** The sequence of the event that told of this file (0: none). */
    long toldAt();

    record Own(long ino, long seq, long listedAt, boolean told, long toldAt) implements Known {}

    record Shared(long ino, Facts facts) implements Known {
        @Override
        public long seq() {
            return facts.seq();
        }

        @Override
        public long listedAt() {
            return facts.listedAt();
        }

        @Override
        public boolean told() {
            return facts.told();
        }

        @Override
        public long toldAt() {
            return facts.toldAt();
        }
    }

    /** A name's facts but its inode number, as {@link Known}'s. */
    record Facts(long seq, long listedAt, boolean told, long toldAt) {
        boolean are(long seq, long listedAt, boolean told, long toldAt) {
            return this.seq == seq && this.listedAt == listedAt && this.told == told && this.toldAt == toldAt;
        }
    }
}
