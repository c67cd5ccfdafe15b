package dev.fsdriver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** serve --share-option SHARE:KEY[=VALUE]: split at the first ':' and '=', values kept whole. */
class ShareOptionsTest {
    @Test
    void optionsGoToTheirShareAndValuesKeepColonsCommasAndEquals() {
        Map<String, Map<String, String>> o = ShareOptions.parse(List.of("docs:metadata", "docs:uid=1000",
                "src:inode-store=C:\\ProgramData\\fsd\\a,b=c.bin", "docs:umask=077"), List.of("docs", "src", "other"));
        assertThat(o).containsOnlyKeys("docs", "src", "other");
        assertThat(o.get("docs")).containsExactly(Map.entry("metadata", ""), Map.entry("uid", "1000"), Map.entry("umask", "077"));
        assertThat(o.get("src")).containsExactly(Map.entry("inode-store", "C:\\ProgramData\\fsd\\a,b=c.bin"));
        assertThat(o.get("other")).isEmpty();
    }

    @Test
    void badSyntaxUnknownSharesAndTwiceSetKeysAreRefused() {
        for (String bad : List.of("docs", "docs:", ":uid=1", "docs:=1")) {
            assertThatThrownBy(() -> ShareOptions.parse(List.of(bad), List.of("docs"))).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected SHARE:KEY[=VALUE]");
        }
        assertThatThrownBy(() -> ShareOptions.parse(List.of("doc:uid=1"), List.of("docs", "src")))
                .hasMessage("'doc:uid=1': no --share named 'doc' (shares: docs, src)");
        // a directory where an option belongs: 'C' is no share
        assertThatThrownBy(() -> ShareOptions.parse(List.of("C:\\docs"), List.of("docs")))
                .hasMessage("'C:\\docs': no --share named 'C' (shares: docs)");
        assertThatThrownBy(() -> ShareOptions.parse(List.of("docs:uid=1", "docs:uid=2"), List.of("docs")))
                .hasMessage("'docs:uid=2': share 'docs' already has uid (given twice)");
    }
}
