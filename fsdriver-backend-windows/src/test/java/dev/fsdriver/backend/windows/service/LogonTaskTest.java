package dev.fsdriver.backend.windows.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.xml.sax.InputSource;

/** The logon task's definition: what Windows' Task Scheduler reads (Wine keeps only part of it). */
class LogonTaskTest {
    private static final ServiceImage IMAGE = new ServiceImage(Path.of("C:\\Java 21\\bin\\java.exe"), List.of("-Xrs"),
            Path.of("C:\\fsdriver\\lib"), "fsdriver", Path.of("C:\\Users\\me\\fsdriver.log"),
            List.of("--share", "docs=C:\\Users\\me\\My Docs", "--listen", "tcp://127.0.0.1:7420"));

    @Test
    void aLogonTriggerForTheUserRunningJavawWithTheServiceRunTaskCommandLine() throws Exception {
        String xml = LogonTask.definition(IMAGE.taskArgv(), "PC\\me & you", "fsdriver <serve>");
        Document d = DocumentBuilderFactory.newNSInstance().newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
        assertThat(text(d, "UserId")).isEqualTo("PC\\me & you");
        assertThat(d.getElementsByTagName("LogonTrigger").getLength()).isEqualTo(1);
        assertThat(text(d, "LogonType")).isEqualTo("InteractiveToken");
        assertThat(text(d, "RunLevel")).isEqualTo("LeastPrivilege");
        // no 72-hour limit (the default would stop the server after three days)
        assertThat(text(d, "ExecutionTimeLimit")).isEqualTo("PT0S");
        assertThat(text(d, "Command")).isEqualTo("C:\\Java 21\\bin\\javaw.exe");
        assertThat(text(d, "Arguments")).isEqualTo("-Xrs -cp \"C:\\fsdriver\\lib\\*\" dev.fsdriver.cli.Main service run --task "
                + "--name fsdriver --log C:\\Users\\me\\fsdriver.log --share \"docs=C:\\Users\\me\\My Docs\" --listen tcp://127.0.0.1:7420");
        assertThat(text(d, "Description")).isEqualTo("fsdriver <serve>");
    }

    private static String text(Document d, String tag) {
        return d.getElementsByTagName(tag).item(0).getTextContent();
    }
}
