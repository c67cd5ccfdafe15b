package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.FileMode;
import org.junit.jupiter.api.Test;

class ResyncListingTest {
    @Test
    void pastItsBoundItKeepsHashesAndDirectoriesOnly() {
        ResyncListing listing = new ResyncListing(3);
        listing.add("a", 1, FileMode.S_IFREG);
        listing.add("d", 2, FileMode.S_IFDIR);
        assertThat(listing.big()).isFalse();
        assertThat(listing.names()).containsOnlyKeys("a", "d");
        for (int i = 0; i < 1000; i++) {
            listing.add("f" + i, 10 + i, i == 500 ? FileMode.S_IFDIR : FileMode.S_IFREG);
        }
        assertThat(listing.big()).isTrue();
        assertThat(listing.size()).isEqualTo(1002);
        assertThat(listing.contains("a")).isTrue();
        assertThat(listing.contains("f999")).isTrue();
        assertThat(listing.contains("f1000")).isFalse();
        assertThat(listing.contains("b")).isFalse();
        assertThat(listing.directories()).extracting(ResyncListing.Dir::name).containsExactlyInAnyOrder("d", "f500");
        listing.add("late", 2000, FileMode.S_IFREG); // added after a lookup: sorted again
        assertThat(listing.contains("late")).isTrue();
    }

    @Test
    void moreDirectoriesThanTheBoundAreNotKept() {
        ResyncListing listing = new ResyncListing(2);
        for (int i = 0; i < 10; i++) {
            listing.add("d" + i, i, FileMode.S_IFDIR);
        }
        assertThat(listing.big()).isTrue();
        assertThat(listing.directories()).isNull();
        assertThat(listing.contains("d7")).isTrue();
    }
}
