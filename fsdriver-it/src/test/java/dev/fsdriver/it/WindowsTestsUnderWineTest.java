package dev.fsdriver.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The Windows backend's own tests on Windows' side of Wine: {@code WindowsBackendOnWindowsTest}
 * and the gRPC conformance suite {@code WindowsBackendConformanceTest} run by the JUnit console
 * launcher on the Windows Temurin 21 JRE (os.name is "Windows 10" there, so their
 * {@code @EnabledOnOs(WINDOWS)} holds). Each test must pass, except the Wine gaps listed in
 * {@link #WINE_GAPS} with their reason: those must fail, so one that starts passing is noticed and
 * taken off the list. Nothing may be skipped.
 */
class WindowsTestsUnderWineTest {
    /** Test (class#method) -> why it fails under Wine 8 but is right on NTFS. */
    static final Map<String, String> WINE_GAPS = new TreeMap<>(Map.ofEntries(
            Map.entry("WindowsBackendOnWindowsTest#renameOverAnOpenFileAndUnlinkWhileOpen",
                    "no FileRenameInformationEx (POSIX rename) in Wine 8: the classic rename over a file open elsewhere is EACCES"),
            Map.entry("WindowsBackendOnWindowsTest#wslSymlinkRoundTripAndHardLinkCount",
                    "no reparse points in Wine 8: FSCTL_SET_REPARSE_POINT fails with error 50"),
            Map.entry("WindowsBackendOnWindowsTest#metadataModeStoresWslCompatibleOwnerAndMode",
                    "no extended attributes in Wine 8 (volume flags 0xa): no WSL metadata"),
            Map.entry("WindowsBackendOnWindowsTest#newFilesBelongToTheCallerAndFifosAndSocketsAreLxReparsePointsWithMetadata",
                    "no extended attributes ($LXUID/$LXGID) and no reparse points (LX_FIFO, AF_UNIX) in Wine 8"),
            Map.entry("WindowsBackendOnWindowsTest#aFileUnlinkedWhileOpenIsGone",
                    "no FileDispositionInformationEx (POSIX delete) in Wine 8, and its classic delete-on-close leaves a delete-pending file openable until the last close (NTFS answers STATUS_DELETE_PENDING)"),
            Map.entry("WindowsBackendOnWindowsTest#theGenerationIsTheCreationTimeAndStaysForTheLifeOfTheFile",
                    "Wine 8's CreationTime moves on every write (the host's ctime), so the backend gives generation 0 (unknown) under Wine"),
            Map.entry("WindowsBackendOnWindowsTest#longPathsBeyondMaxPath",
                    "Wine 8's GetFinalPathNameByHandleW fails with ERROR_MORE_DATA beyond MAX_PATH (the containment check uses it)"),
            Map.entry("WindowsWatcherOnWindowsTest#aFileCreatedInASubdirectoryThatExistedBeforeTheWatchIsReported",
                    "Wine 8's subtree watch covers a subdirectory that existed before it only once a Windows process opens that directory (wineserver change.c: dir_add_to_existing_notify); the server opens every directory it works in, so what a client looked into is watched"),
            Map.entry("WindowsBackendConformanceTest#symlinkAndReadlink",
                    "no reparse points in Wine 8: WSL-style symlinks cannot be made (error 50)"),
            Map.entry("WindowsBackendConformanceTest#relativeSymlinkClimbingOutIsNeverTraversed",
                    "no reparse points in Wine 8: WSL-style symlinks cannot be made (error 50)"),
            Map.entry("WindowsBackendConformanceTest#hardLinkOfSymlinkPointingOutsideLinksTheSymlink",
                    "no reparse points in Wine 8: WSL-style symlinks cannot be made (error 50)"),
            Map.entry("WindowsBackendConformanceTest#symlinkedFileOutsideIsNeitherOpenedNorChanged",
                    "no reparse points in Wine 8: WSL-style symlinks cannot be made (error 50)"),
            Map.entry("WindowsBackendConformanceTest#userXattrsOfFilesDirectoriesAndTheRoot",
                    "no extended attributes in Wine 8 (volume flags 0xa): user.* xattrs are EOPNOTSUPP (UserXattrEaTest checks the EA encoding)"),
            Map.entry("WindowsBackendConformanceTest#userXattrsOfASymlinkAreRefusedAsLinuxDoes",
                    "no reparse points in Wine 8: WSL-style symlinks cannot be made (error 50)"),
            Map.entry("WindowsBackendConformanceTest#absoluteSymlinkOutIsNeverTraversed",
                    "Wine 8's CreateSymbolicLinkW (used by Files.createSymbolicLink) is a stub: the links the test plants do not exist")));

    /** Skipped by their own {@code @DisabledOnOs(WINDOWS)}: they do not apply to Windows at all. */
    static final Map<String, String> NOT_FOR_WINDOWS = Map.of(
            "WindowsBackendConformanceTest#specialFilesAreListedButNeverOpened",
            "FIFOs and device nodes cannot be made on Windows");

    static final List<String> CLASSES = List.of(
            "dev.fsdriver.backend.windows.WindowsBackendOnWindowsTest",
            "dev.fsdriver.backend.windows.WindowsWatcherOnWindowsTest",
            "dev.fsdriver.server.WindowsBackendConformanceTest");

    @TempDir
    static Path tmp;

    @Test
    void windowsBackendTestsPassUnderWineExceptTheListedWineGaps() throws Exception {
        Wine.setUp(tmp);
        Path root = Fsdriver.repoRoot();
        Path junit = Path.of(System.getProperty("fsdriver.wine.junit", "target/wine-junit/junit-platform-console-standalone.jar"));
        Path lib = Path.of(System.getProperty("fsdriver.wine.testlib", "target/wine-test-lib")).toAbsolutePath();
        // This build's classes first (the copied jars of the same modules may be older ones).
        String cp = String.join(";", Wine.z(root.resolve("fsdriver-backend-windows/target/test-classes")),
                Wine.z(root.resolve("fsdriver-backend-windows/target/classes")),
                Wine.z(root.resolve("fsdriver-server/target/test-classes")),
                Wine.z(root.resolve("fsdriver-server/target/classes")),
                Wine.z(junit.toAbsolutePath()), Wine.z(lib) + "\\*");
        // For WindowsBackendOnWindowsTest#noSymlinkIsMadeThroughALinkLeadingOutside: host symlinks
        // (plain directories to Wine, a stand-in for junctions) at the share root and deeper.
        Path linkShare = Files.createDirectories(tmp.resolve("linkshare/deep/er")).getParent().getParent();
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "outside the share");
        Files.createSymbolicLink(linkShare.resolve("evil"), outside);
        Files.createSymbolicLink(linkShare.resolve("deep/er/evil"), outside);
        Map<String, String> outcome = new TreeMap<>(); // test -> "passed" | "skipped" | failure message
        StringBuilder logs = new StringBuilder();
        for (String testClass : CLASSES) {
            // One launcher per class: with both selectors at once, discovery failed under Wine.
            String simple = testClass.replaceAll("^.*\\.", "");
            Path reports = Files.createDirectories(tmp.resolve("reports-" + simple));
            Path logFile = tmp.resolve("junit-" + simple + ".log");
            List<String> cmd = List.of(root.resolve("scripts/wine/run").toString(),
                    Wine.z(Wine.jre().resolve("bin/java.exe")), "-XX:ActiveProcessorCount=2", "-Xmx512m",
                    "-Dfsdriver.wine=8", "-Dfsdriver.wine.linkshare=" + Wine.z(linkShare),
                    "-Dfsdriver.wine.outside=" + Wine.z(outside),
                    "-cp", cp, "org.junit.platform.console.ConsoleLauncher", "execute", "--disable-banner",
                    "--details=summary", "--reports-dir", Wine.z(reports), "--select-class", testClass);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile());
            pb.environment().put("WINEPREFIX", Wine.prefix().toString());
            Process p = pb.start();
            try {
                if (!p.waitFor(300, TimeUnit.SECONDS)) {
                    throw new AssertionError(testClass + " did not finish under Wine within 300 s:\n" + Files.readString(logFile));
                }
            } finally {
                Wine.killAll();
                p.destroyForcibly();
            }
            String log = Files.readString(logFile);
            logs.append(log);
            assertThat(log).as("test classes built for Java 25 by an older build of this tree: run `mvn clean` once")
                    .doesNotContain("UnsupportedClassVersionError");
            Path xml = reports.resolve("TEST-junit-jupiter.xml");
            assertThat(xml).as("JUnit report; launcher output:\n%s", log).exists();
            readReport(xml, outcome);
        }
        String log = logs.toString();
        StringBuilder summary = new StringBuilder();
        outcome.forEach((k, v) -> summary.append(k).append(" -> ").append(v.lines().findFirst().orElse("")).append('\n'));
        System.out.println("Windows tests under Wine:\n" + summary);

        assertThat(outcome).as("tests found; launcher output:\n%s", log).hasSizeGreaterThan(20);
        List<String> wrong = new ArrayList<>();
        outcome.forEach((test, result) -> {
            boolean gap = WINE_GAPS.containsKey(test);
            if (result.equals("skipped") != NOT_FOR_WINDOWS.containsKey(test)) {
                wrong.add(test + ": " + result + (result.equals("skipped") ? " (nothing may be skipped)" : " but listed as not for Windows"));
            } else if (result.equals("skipped")) {
                // NOT_FOR_WINDOWS, as declared
            } else if (gap && result.equals("passed")) {
                wrong.add(test + ": listed as a Wine gap (" + WINE_GAPS.get(test) + ") but passes: take it off the list");
            } else if (!gap && !result.equals("passed")) {
                wrong.add(test + ": " + result);
            }
        });
        for (String listed : WINE_GAPS.keySet()) {
            if (!outcome.containsKey(listed)) {
                wrong.add(listed + ": listed as a Wine gap but not run (renamed?)");
            }
        }
        assertThat(wrong).as("all results:\n%s", summary).isEmpty();
    }

    private static void readReport(Path xml, Map<String, String> outcome) throws Exception {
        NodeList cases = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile())
                .getElementsByTagName("testcase");
        for (int i = 0; i < cases.getLength(); i++) {
            Element t = (Element) cases.item(i);
            String name = t.getAttribute("classname").replaceAll("^.*\\.", "") + "#" + t.getAttribute("name").replace("()", "");
            String result = "passed";
            for (String tag : List.of("failure", "error", "skipped")) {
                NodeList n = t.getElementsByTagName(tag);
                if (n.getLength() > 0) {
                    String m = ((Element) n.item(0)).getAttribute("message");
                    result = tag.equals("skipped") ? "skipped" : tag + ": " + (m.isEmpty() ? ((Element) n.item(0)).getAttribute("type") : m);
                }
            }
            outcome.put(name, result);
        }
    }
}
