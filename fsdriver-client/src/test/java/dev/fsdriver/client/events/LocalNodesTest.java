package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.FuseEntry;
import org.junit.jupiter.api.Test;

/** Ghost nodes, and the references handed out locally that the kernel's FORGETs give back here first. */
class LocalNodesTest {
    private final LocalNodes nodes = new LocalNodes();

    @Test
    void ghostsHaveTheirOwnIdsAboveTheServersAndTheTypeAsked() {
        FuseEntry dir = nodes.ghost(FileMode.S_IFDIR);
        FuseEntry file = nodes.ghost(0);
        assertThat(LocalNodes.isGhost(dir.nodeId())).isTrue();
        assertThat(LocalNodes.isGhost(LocalNodes.GHOST_BASE - 1)).isFalse();
        assertThat(file.nodeId()).isNotEqualTo(dir.nodeId());
        assertThat(dir.attr().mode()).isEqualTo(FileMode.S_IFDIR | 0755);
        assertThat(dir.attr().nlink()).isEqualTo(2);
        assertThat(file.attr().mode()).as("type not known: a regular file").isEqualTo(FileMode.S_IFREG | 0644);
        assertThat(nodes.ghost(FileMode.S_IFLNK).attr().mode()).isEqualTo(FileMode.S_IFLNK | 0644);
        assertThat(dir.entryTimeoutNs()).as("the kernel keeps no ghost").isZero();
    }

    @Test
    void aForgetTakesTheLocalReferencesFirstAndReturnsWhatTheServerCounted() {
        nodes.handedOut(10);
        nodes.handedOut(10);
        assertThat(nodes.forgotten(10, 5)).isEqualTo(3);
        assertThat(nodes.forgotten(10, 1)).as("none local left").isEqualTo(1);
        assertThat(nodes.forgotten(11, 2)).as("never handed out here").isEqualTo(2);
        nodes.handedOut(12);
        nodes.handedOut(12);
        assertThat(nodes.forgotten(12, 1)).isZero();
        assertThat(nodes.forgotten(12, 1)).isZero();
        assertThat(nodes.forgotten(12, 1)).isEqualTo(1);
    }

    @Test
    void aReferenceTakenBackIsNotTakenFromTheKernelsForget() {
        nodes.handedOut(10);
        nodes.handedOut(10);
        nodes.takenBack(10);
        assertThat(nodes.forgotten(10, 3)).isEqualTo(2);
        nodes.takenBack(10);   // nothing left: no effect
        nodes.handedOut(10);
        assertThat(nodes.forgotten(10, 1)).isZero();
    }
}
