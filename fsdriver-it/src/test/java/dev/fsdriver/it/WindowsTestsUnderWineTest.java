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
 * The Windows backend's own tests on Windows' side of Wine: {@code WindowsBackendOnWindowsTest},
 * {@code WindowsWatcherOnWindowsTest}, {@code WineFeatureGapsOnWindowsTest} (Wine's missing
 * features, one by one) and the gRPC conformance suite {@code WindowsBackendConformanceTest}, run
 * by the JUnit console launcher on the Windows Temurin 21 JRE (os.name is "Windows 10" there, so
 * their {@code @EnabledOnOs(WINDOWS)} holds). Each test must pass, except the Wine gaps listed in
 * {@link #WINE_GAPS}, each with how it fails and why: those must fail in that way (the JUnit
 * report's exception type and message), so one that starts passing, or fails for another reason
 * (a regression the gap would hide), is noticed. Nothing may be skipped but
 * {@link #NOT_FOR_WINDOWS}.
 */
class WindowsTestsUnderWineTest {
    /**
     * Test (class#method) -> how it fails under Wine 8 (text of the JUnit report's "exception
     * type: message", see {@link #failsAsListed}) and why, though it is right on NTFS. A gap that
     * fails any other way is reported with both texts: it may be a regression hiding behind the gap.
     */
    static final Map<String, Gap> WINE_GAPS = new TreeMap<>(Map.ofEntries(
            Map.entry("WindowsBackendOnWindowsTest#renameOverAnOpenFileAndUnlinkWhileOpen",
                    gap("FsException: EACCES: rename src (NtSetInformationFile(10): Win32 error 5 (NTSTATUS 0xC0000022))",
                            "no FileRenameInformationEx (POSIX rename) in Wine 8: the classic rename over a file open elsewhere is EACCES")),
            Map.entry("WindowsBackendOnWindowsTest#wslSymlinkRoundTripAndHardLinkCount",
                    gap("FsException: EOPNOTSUPP: symlink link (DeviceIoControl: Win32 error 50)",
                            "no reparse points in Wine 8: FSCTL_SET_REPARSE_POINT fails with error 50")),
            Map.entry("WindowsBackendOnWindowsTest#metadataModeStoresWslCompatibleOwnerAndMode",
                    gap("AssertionFailedError: expected: 33184 but was: 33261",
                            "no extended attributes in Wine 8 (volume flags 0xa): no WSL metadata")),
            Map.entry("WindowsBackendOnWindowsTest#newFilesBelongToTheCallerAndFifosAndSocketsAreLxReparsePointsWithMetadata",
                    gap("Expecting actual: [1000, 1000] to contain exactly (and in same order): [4242, 77]",
                            "no extended attributes ($LXUID/$LXGID) and no reparse points (LX_FIFO, AF_UNIX) in Wine 8")),
            Map.entry("WindowsBackendOnWindowsTest#aFileUnlinkedWhileOpenIsGone",
                    gap("AssertionError: Expecting code to raise a throwable.",
                            "no FileDispositionInformationEx (POSIX delete) in Wine 8, and its classic delete-on-close leaves a delete-pending file openable until the last close (NTFS answers STATUS_DELETE_PENDING)")),
            Map.entry("WindowsBackendOnWindowsTest#theGenerationIsTheCreationTimeAndStaysForTheLifeOfTheFile",
                    gap("AssertionError: Expecting actual: 0L not to be equal to: 0L",
                            "Wine 8's CreationTime moves on every write (the host's ctime), so the backend gives generation 0 (unknown) under Wine")),
            Map.entry("WindowsBackendOnWindowsTest#longPathsBeyondMaxPath",
                    gap("FsException: ERANGE: stat directory-with-a-long-name-0/ ... (GetFinalPathNameByHandleW: Win32 error 234)",
                            "Wine 8's GetFinalPathNameByHandleW fails with ERROR_MORE_DATA beyond MAX_PATH (the containment check uses it)")),
            Map.entry("WindowsWatcherOnWindowsTest#aFileCreatedInASubdirectoryThatExistedBeforeTheWatchIsReported",
                    gap("AssertionError: [created before the marker] ... to contain: [pre/sub/f0]",
                            "Wine 8's subtree watch covers a subdirectory that existed before it only once a Windows process opens that directory (wineserver change.c: dir_add_to_existing_notify); the server opens every directory it works in, so what a client looked into is watched")),
            Map.entry("WindowsBackendConformanceTest#symlinkAndReadlink",
                    gap("StatusRuntimeException: UNIMPLEMENTED: EOPNOTSUPP: symlink s (DeviceIoControl: Win32 error 50)",
                            "no reparse points in Wine 8: WSL-style symlinks cannot be made (error 50)")),
            Map.entry("WindowsBackendConformanceTest#relativeSymlinkClimbingOutIsNeverTraversed",
                    gap("StatusRuntimeException: UNIMPLEMENTED: EOPNOTSUPP: symlink d/up (DeviceIoControl: Win32 error 50)",
                            "no reparse points in Wine 8: WSL-style symlinks cannot be made (error 50)")),
            Map.entry("WindowsBackendConformanceTest#hardLinkOfSymlinkPointingOutsideLinksTheSymlink",
                    gap("StatusRuntimeException: UNIMPLEMENTED: EOPNOTSUPP: symlink s (DeviceIoControl: Win32 error 50)",
                            "no reparse points in Wine 8: WSL-style symlinks cannot be made (error 50)")),
            Map.entry("WindowsBackendConformanceTest#symlinkedFileOutsideIsNeitherOpenedNorChanged",
                    gap("StatusRuntimeException: UNIMPLEMENTED: EOPNOTSUPP: symlink s (DeviceIoControl: Win32 error 50)",
                            "no reparse points in Wine 8: WSL-style symlinks cannot be made (error 50)")),
            Map.entry("WindowsBackendConformanceTest#userXattrsOfFilesDirectoriesAndTheRoot",
                    gap("AssertionFailedError: [errno] expected: \"ENODATA\" but was: \"EOPNOTSUPP\"",
                            "no extended attributes in Wine 8 (volume flags 0xa): user.* xattrs are EOPNOTSUPP (UserXattrEaTest checks the EA encoding)")),
            Map.entry("WindowsBackendConformanceTest#userXattrsOfASymlinkAreRefusedAsLinuxDoes",
                    gap("StatusRuntimeException: UNIMPLEMENTED: EOPNOTSUPP: symlink s (DeviceIoControl: Win32 error 50)",
                            "no reparse points in Wine 8: WSL-style symlinks cannot be made (error 50)")),
            Map.entry("WindowsBackendConformanceTest#absoluteSymlinkOutIsNeverTraversed",
                    gap("StatusRuntimeException: NOT_FOUND: ENOENT: stat etc (NtCreateFile: Win32 error 2 (NTSTATUS 0xC0000034))",
                            "Wine 8's CreateSymbolicLinkW (used by Files.createSymbolicLink) is a stub: the links the test plants do not exist"))));

    /** How a Wine gap fails ({@code failure}: see {@link #failsAsListed}) and why. */
    record Gap(String failure, String reason) {}

    /**
     * Whether {@code result} ("failure|error: type: message") contains {@code failure}: its parts
     * around " ... " in that order, with any run of white space matching any other (AssertJ's
     * messages break lines).
     */
    static boolean failsAsListed(String result, String failure) {
        String text = result.replaceAll("\\s+", " ");
        int from = 0;
        for (String part : failure.replaceAll("\\s+", " ").split(" \\.\\.\\. ")) {
            int at = text.indexOf(part, from);
            if (at < 0) {
                return false;
            }
            from = at + part.length();
        }
        return true;
    }

    private static Gap gap(String failure, String reason) {
        return new Gap(failure, reason);
    }

    /** Skipped by their own {@code @EnabledOnOs(LINUX)}: they do not apply to Windows at all. */
    static final Map<String, String> NOT_FOR_WINDOWS = Map.of(
            "WindowsBackendConformanceTest#specialFilesAreListedButNeverOpened",
            "FIFOs and device nodes cannot be made on Windows");

    static final List<String> CLASSES = List.of(
            "dev.fsdriver.backend.windows.WindowsBackendOnWindowsTest",
            "dev.fsdriver.backend.windows.WindowsWatcherOnWindowsTest",
            "dev.fsdriver.backend.windows.WineFeatureGapsOnWindowsTest",
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
                // and the modules they use: a jar copied by an earlier build lacks what is new in them
                Wine.z(root.resolve("fsdriver-backend-api/target/classes")),
                Wine.z(root.resolve("fsdriver-common/target/classes")),
                Wine.z(root.resolve("fsdriver-protocol/target/classes")),
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
        outcome.forEach((k, v) -> summary.append(k).append(" -> ").append(v).append('\n'));
        System.out.println("Windows tests under Wine:\n" + summary);

        assertThat(outcome).as("tests found; launcher output:\n%s", log).hasSizeGreaterThan(20);
        assertThat(wrong(outcome)).as("all results:\n%s", summary).isEmpty();
    }

    /** What is wrong with {@code outcome} (test -> "passed", "skipped" or "failure|error: type: message"). */
    static List<String> wrong(Map<String, String> outcome) {
        List<String> wrong = new ArrayList<>();
        outcome.forEach((test, result) -> {
            boolean gap = WINE_GAPS.containsKey(test);
            if (result.equals("skipped") != NOT_FOR_WINDOWS.containsKey(test)) {
                wrong.add(test + ": " + result + (result.equals("skipped") ? " (nothing may be skipped)" : " but listed as not for Windows"));
            } else if (result.equals("skipped")) {
                // NOT_FOR_WINDOWS, as declared
            } else if (gap && result.equals("passed")) {
                wrong.add(test + ": listed as a Wine gap (" + WINE_GAPS.get(test).reason() + ") but passes: take it off the list");
            } else if (gap && !failsAsListed(result, WINE_GAPS.get(test).failure())) {
                wrong.add(test + ": listed as a Wine gap failing with \"" + WINE_GAPS.get(test).failure() + "\" ("
                        + WINE_GAPS.get(test).reason() + ") but fails otherwise: " + result);
            } else if (!gap && !result.equals("passed")) {
                wrong.add(test + ": " + result);
            }
        });
        for (String listed : WINE_GAPS.keySet()) {
            if (!outcome.containsKey(listed)) {
                wrong.add(listed + ": listed as a Wine gap but not run (renamed?)");
            }
        }
        return wrong;
    }

    /** The check itself, without Wine: a gap that fails in another way than listed is reported with both texts. */
    @Test
    void aWineGapFailingOtherwiseIsReportedWithBothTexts() {
        String gap = "WindowsBackendOnWindowsTest#renameOverAnOpenFileAndUnlinkWhileOpen";
        String expected = WINE_GAPS.get(gap).failure();
        Map<String, String> outcome = new TreeMap<>();
        WINE_GAPS.forEach((test, g) -> outcome.put(test, "failure: some.Exception: " + g.failure()));
        NOT_FOR_WINDOWS.keySet().forEach(test -> outcome.put(test, "skipped"));
        outcome.put("WindowsBackendOnWindowsTest#somethingThatWorks", "passed");
        assertThat(wrong(outcome)).isEmpty();

        outcome.put(gap, "failure: some.Exception: " + expected.replace(" ", "\n "));
        assertThat(wrong(outcome)).as("white space is white space").isEmpty();
        assertThat(failsAsListed("error: x.FsException: ERANGE: stat a/b (Win32 error 234)", "ERANGE: stat ... (Win32 error 234)")).isTrue();
        assertThat(failsAsListed("error: x.FsException: EIO: stat a/b (Win32 error 234)", "ERANGE: stat ... (Win32 error 234)")).isFalse();
        assertThat(failsAsListed("error: x.FsException: (Win32 error 234) ERANGE: stat", "ERANGE: stat ... (Win32 error 234)"))
                .as("in order").isFalse();
        outcome.put(gap, "error: java.lang.NullPointerException: a regression");
        assertThat(wrong(outcome)).singleElement().asString()
                .contains(gap, "\"" + expected + "\"", "java.lang.NullPointerException: a regression");
        outcome.put(gap, "passed");
        assertThat(wrong(outcome)).singleElement().asString().contains("but passes");
        outcome.remove(gap);
        assertThat(wrong(outcome)).singleElement().asString().contains("not run");
        outcome.put(gap, "skipped");
        assertThat(wrong(outcome)).singleElement().asString().contains("nothing may be skipped");
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
                    result = tag.equals("skipped") ? "skipped" : tag + ": " + ((Element) n.item(0)).getAttribute("type") + ": " + m;
                }
            }
            outcome.put(name, result);
        }
    }
}
