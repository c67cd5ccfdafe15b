package dev.fsdriver.cli;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A private CA and the certificates fsdriver's TLS needs, made with BouncyCastle's bcpkix (the
 * JDK can make keys but has no public API to issue a certificate). EC P-256 keys, SHA-256
 * ECDSA signatures, PEM files: certificates {@code NAME.pem}, private keys (PKCS#8, the form
 * grpc-java reads) {@code NAME-key.pem} with mode 0600 where the file system has modes.
 *
 * <p>Files in a directory made by {@link #init}: {@code ca.pem} / {@code ca-key.pem} (the CA:
 * its key stays on the server machine), {@code server.pem} / {@code server-key.pem},
 * {@code client.pem} / {@code client-key.pem}; {@link #client} adds {@code NAME.pem} /
 * {@code NAME-key.pem}.
 */
public final class Certs {
    public static final String CA = "ca";
    public static final String SERVER = "server";
    public static final String CLIENT = "client";
    static final Duration CA_LIFETIME = Duration.ofDays(3650);
    static final Duration LEAF_LIFETIME = Duration.ofDays(825);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]+");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;

    private Certs(Path dir) {
        this.dir = dir;
    }

    /** The CA, server and client files in {@code dir} (created); refuses to overwrite a CA there. */
    public static Certs init(Path dir, List<String> hosts) throws IOException, GeneralSecurityException {
        Files.createDirectories(dir);
        if (Files.exists(dir.resolve(CA + ".pem")) || Files.exists(dir.resolve(CA + "-key.pem"))) {
            throw new FileAlreadyExistsException(dir.resolve(CA + ".pem").toString(), null,
                    "a CA exists there already (remove the directory's files to start afresh)");
        }
        Certs certs = new Certs(dir);
        Instant now = Instant.now();
        KeyPair caKeys = newKeyPair();
        X500Name caName = name("fsdriver CA " + hostName());
        X509v3CertificateBuilder ca = new JcaX509v3CertificateBuilder(caName, serial(), Date.from(now.minusSeconds(300)),
                Date.from(now.plus(CA_LIFETIME)), caName, caKeys.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        ca.addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(caKeys.getPublic()));
        X509Certificate caCert = toCert(ca.build(signer(caKeys.getPrivate())));
        certs.write(CA, caCert, caKeys.getPrivate());
        certs.issue(SERVER, hosts.isEmpty() ? defaultHosts() : hosts, true, now, now.plus(LEAF_LIFETIME));
        certs.issue(CLIENT, List.of(), false, now, now.plus(LEAF_LIFETIME));
        return certs;
    }

    /** The CA in {@code dir} (made by {@link #init}), to issue more certificates with. */
    public static Certs open(Path dir) throws IOException {
        if (!Files.isReadable(dir.resolve(CA + ".pem")) || !Files.isReadable(dir.resolve(CA + "-key.pem"))) {
            throw new IOException("no CA in " + dir + " (" + CA + ".pem and " + CA + "-key.pem; make one with: fsdriver certs init "
                    + dir + ")");
        }
        return new Certs(dir);
    }

    /** A client certificate with subject CN {@code name}: {@code NAME.pem}, {@code NAME-key.pem}. */
    public Path client(String name) throws IOException, GeneralSecurityException {
        Instant now = Instant.now();
        return issue(name, List.of(), false, now, now.plus(LEAF_LIFETIME));
    }

    /**
     * Issues {@code NAME.pem} and {@code NAME-key.pem} signed by this CA, valid from
     * {@code notBefore} to {@code notAfter}: a server certificate (serverAuth) for {@code hosts}
     * (subject alternative names: IP addresses and DNS names), or a client certificate (clientAuth).
     */
    public Path issue(String name, List<String> hosts, boolean server, Instant notBefore, Instant notAfter)
            throws IOException, GeneralSecurityException {
        if (!NAME.matcher(name).matches() || name.equals(CA)) {
            throw new IllegalArgumentException("certificate name '" + name + "': use letters, digits, '.', '_', '@', '-' (not 'ca')");
        }
        if (Files.exists(dir.resolve(name + ".pem")) || Files.exists(dir.resolve(name + "-key.pem"))) {
            throw new FileAlreadyExistsException(dir.resolve(name + ".pem").toString(), null, "exists already");
        }
        X509Certificate caCert = readCert(dir.resolve(CA + ".pem"));
        PrivateKey caKey = readKey(dir.resolve(CA + "-key.pem"));
        KeyPair keys = newKeyPair();
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(caCert, serial(), Date.from(notBefore.minusSeconds(300)),
                Date.from(notAfter), name(name), keys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .addExtension(Extension.extendedKeyUsage, false,
                        new ExtendedKeyUsage(server ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth))
                .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()))
                .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
        if (server) {
            b.addExtension(Extension.subjectAlternativeName, false, sans(hosts));
        }
        write(name, toCert(b.build(signer(caKey))), keys.getPrivate());
        return dir.resolve(name + ".pem");
    }

    public Path dir() {
        return dir;
    }

    /** IP literals as iPAddress names, everything else as dNSName. */
    static GeneralNames sans(List<String> hosts) {
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("a server certificate needs at least one host name or address");
        }
        List<GeneralName> names = new ArrayList<>();
        for (String h : new LinkedHashSet<>(hosts)) {
            String bare = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
            names.add(isIpLiteral(bare) ? new GeneralName(GeneralName.iPAddress, bare) : new GeneralName(GeneralName.dNSName, bare));
        }
        return new GeneralNames(names.toArray(GeneralName[]::new));
    }

    static boolean isIpLiteral(String s) {
        return s.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}") || (s.contains(":") && s.matches("[0-9A-Fa-f:.]+"));
    }

    /**
     * This machine's names for a server certificate: its host name, localhost, and every
     * address of its network interfaces that are up (loopback included; IPv6 link-local left
     * out: a certificate cannot name its zone).
     */
    static List<String> defaultHosts() {
        Set<String> hosts = new LinkedHashSet<>();
        String host = hostName();
        if (!host.isEmpty()) {
            hosts.add(host);
        }
        hosts.add("localhost");
        hosts.add("127.0.0.1");
        hosts.add("::1");
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nif.isUp()) {
                    continue;
                }
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (!a.isLinkLocalAddress()) {
                        String text = a.getHostAddress();
                        int zone = text.indexOf('%');
                        hosts.add(zone < 0 ? text : text.substring(0, zone));
                    }
                }
            }
        } catch (SocketException e) {
            // no interface list: the names above still make a usable certificate
        }
        return List.copyOf(hosts);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "";
        }
    }

    private static X500Name name(String cn) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn).addRDN(BCStyle.O, "fsdriver").build();
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    private static ContentSigner signer(PrivateKey key) throws GeneralSecurityException {
        try {
            return new JcaContentSignerBuilder("SHA256withECDSA").build(key);
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign: " + e.getMessage(), e);
        }
    }

    private static X509Certificate toCert(X509CertificateHolder holder) throws GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    /** The certificate (world-readable) and the key (0600, created with that mode: never more open). */
    private void write(String name, X509Certificate cert, PrivateKey key) throws IOException {
        Files.writeString(dir.resolve(name + ".pem"), pem(new JcaMiscPEMGenerator(cert)), StandardCharsets.US_ASCII,
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        Path keyFile = dir.resolve(name + "-key.pem");
        if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.createFile(keyFile); // Windows: inherits the directory's ACL (keep DIR in your profile)
        }
        Files.writeString(keyFile, pem(new JcaPKCS8Generator(key, null)), StandardCharsets.US_ASCII,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    }

    private static String pem(org.bouncycastle.util.io.pem.PemObjectGenerator object) throws IOException {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            w.writeObject(object);
        }
        return s.toString();
    }

    static X509Certificate readCert(Path file) throws IOException, GeneralSecurityException {
        try (PEMParser p = new PEMParser(Files.newBufferedReader(file, StandardCharsets.US_ASCII))) {
            Object o = p.readObject();
            if (!(o instanceof X509CertificateHolder h)) {
                throw new IOException(file + " holds no PEM certificate");
            }
            return toCert(h);
        }
    }

    static PrivateKey readKey(Path file) throws IOException {
        try (PEMParser p = new PEMParser(Files.newBufferedReader(file, StandardCharsets.US_ASCII))) {
            Object o = p.readObject();
            JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
            if (o instanceof org.bouncycastle.asn1.pkcs.PrivateKeyInfo info) {
                return conv.getPrivateKey(info);
            }
            if (o instanceof PEMKeyPair pair) {
                return conv.getKeyPair(pair).getPrivate();
            }
            throw new IOException(file + " holds no PEM private key");
        }
    }
}
