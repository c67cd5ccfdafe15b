package dev.fsdriver.backend.windows.service;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ScmErrorsTest {
    @Test
    void theCasesAUserMeetsSayWhatToDo() {
        assertThat(ScmErrors.message("install", "fsdriver", 5)).contains("elevated prompt");
        assertThat(ScmErrors.message("install", "fsdriver", 1073)).isEqualTo(
                "service fsdriver is already installed (fsdriver service uninstall --name fsdriver removes it)");
        assertThat(ScmErrors.message("start", "fsdriver", 1060)).isEqualTo("service fsdriver is not installed");
        assertThat(ScmErrors.message("start", "fsdriver", 1069)).contains("Log on as a service");
        assertThat(ScmErrors.message("stop", "fsdriver", 1062)).isEqualTo("service fsdriver is not running");
        assertThat(ScmErrors.message("start", "x", 4242)).isEqualTo("cannot start service x: error 4242");
        assertThat(ScmErrors.text(1066)).isEqualTo("ERROR_SERVICE_SPECIFIC_ERROR (1066)");
    }
}
