package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.windows.service.FirewallRule;
import dev.fsdriver.backend.windows.service.ScmErrors;
import dev.fsdriver.backend.windows.service.ServiceImage;
import dev.fsdriver.backend.windows.service.ServiceLifecycle;
import dev.fsdriver.backend.windows.service.WindowsCommandLine;
import dev.fsdriver.backend.windows.win32.Structs;
import dev.fsdriver.backend.windows.win32.WindowsException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pure-logic classes must stay loadable and testable on any OS: none may refer to the
 * native dispatcher or to JNA (checked in their compiled constant pools, nested classes included).
 */
class PureLogicLayeringTest {
    static List<Class<?>> pureClasses() {
        return List.of(FileTimes.class, NameEscaping.class, LongPaths.class, WinErrors.class, NotifyBufferParser.class,
                NotifyBufferParser.NotifyRecord.class, DirInfoParser.class, DirInfoParser.DirInfo.class, ReparseData.class,
                ModeMapping.class, LxEa.class, LxSpecialFiles.class, CaseFolding.class, InodeNumbers.class, ChangeTranslator.class, VolumeFeatures.class,
                WinAttributes.class, NioListing.class, NioListing.Names.class, NioListing.Stat.class, InodeNumbers.IdQuery.class, InodeNumbers.IdOnce.class, VolumeFeatures.SerialQuery.class, DeleteSteps.class, DeleteSteps.Ops.class, NativeSymlinkSteps.class, NativeSymlinkSteps.Ops.class, WatchLoop.class, WatchLoop.Port.class,
                WatchLoop.Completion.class, ShortNames.class, Utf16.class, AttributeMapping.class, Structs.class,
                Structs.BasicInfo.class, WindowsException.class,
                ServiceLifecycle.class, ServiceLifecycle.Status.class, ScmErrors.class, ServiceImage.class, WindowsCommandLine.class,
                FirewallRule.class, WindowsShareOptions.class);
    }

    @ParameterizedTest
    @MethodSource("pureClasses")
    void doesNotReferToTheDispatcherOrJna(Class<?> c) throws IOException {
        String resource = "/" + c.getName().replace('.', '/') + ".class";
        try (InputStream in = c.getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            String pool = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(pool).doesNotContain("dev/fsdriver/backend/windows/win32/Win32").doesNotContain("com/sun/jna");
        }
    }
}
