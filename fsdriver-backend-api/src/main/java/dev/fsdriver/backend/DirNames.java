package dev.fsdriver.backend;

import java.util.List;

/**
 * A listing from {@link Backend#listNames}: its entries, whose attributes may be null (read page
 * by page with {@link Backend#attributes}), and the attributes of the directory they were read
 * from, so that every page's attributes can be checked to come from that same directory. {@code dir}
 * may be null only when every entry has its attributes (nothing is read from the disk later).
 */
public record DirNames(FileAttributes dir, List<DirEntry> entries) {
    public DirNames {
        if (dir == null && entries.stream().anyMatch(e -> e.attributes() == null)) {
            throw new IllegalArgumentException("names without attributes need the directory they came from");
        }
    }
}
