package dev.fsdriver.backend.windows.service;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.Advapi32Util;
import com.sun.jna.platform.win32.Kernel32Util;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import com.sun.jna.win32.StdCallLibrary;
import com.sun.jna.win32.W32APIOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The two calls jna-platform lacks: GetAdaptersAddresses (iphlpapi) for the WSL adapter's subnet
 * and LsaOpenPolicy/LsaAddAccountRights (advapi32) for "Log on as a service". Loaded at first use.
 */
public final class ServiceNative {
    private ServiceNative() {}

    interface IpHlp extends StdCallLibrary {
        /** ULONG GetAdaptersAddresses(ULONG Family, ULONG Flags, PVOID Reserved, PIP_ADAPTER_ADDRESSES, PULONG SizePointer). */
        int GetAdaptersAddresses(int family, int flags, Pointer reserved, Pointer addresses, IntByReference size);
    }

    interface Lsa extends StdCallLibrary {
        /** NTSTATUS LsaOpenPolicy(PLSA_UNICODE_STRING SystemName, PLSA_OBJECT_ATTRIBUTES, ACCESS_MASK, PLSA_HANDLE). */
        int LsaOpenPolicy(Pointer systemName, Pointer objectAttributes, int access, PointerByReference policy);

        /** NTSTATUS LsaAddAccountRights(LSA_HANDLE, PSID, PLSA_UNICODE_STRING UserRights, ULONG CountOfRights). */
        int LsaAddAccountRights(Pointer policy, Pointer sid, Pointer rights, int count);

        int LsaClose(Pointer policy);

        int LsaNtStatusToWinError(int status);
    }

    private static final class Libs {
        static final IpHlp IPHLP = Native.load("iphlpapi", IpHlp.class, W32APIOptions.DEFAULT_OPTIONS);
        static final Lsa LSA = Native.load("advapi32", Lsa.class, W32APIOptions.DEFAULT_OPTIONS);
    }

    private static final int AF_INET = 2;
    // GAA_FLAG_SKIP_ANYCAST | SKIP_MULTICAST | SKIP_DNS_SERVER
    private static final int GAA_FLAGS = 0x2 | 0x4 | 0x8;
    private static final int ERROR_BUFFER_OVERFLOW = 111;

    /** Every IPv4 unicast address of every adapter, by the adapter's friendly name. */
    public static List<FirewallRule.AdapterAddress> ipv4Addresses() throws ServiceException {
        IntByReference size = new IntByReference(16 * 1024);
        Memory buf = null;
        int rc = ERROR_BUFFER_OVERFLOW;
        for (int i = 0; i < 4 && rc == ERROR_BUFFER_OVERFLOW; i++) {
            buf = new Memory(Math.max(size.getValue(), 1024));
            rc = Libs.IPHLP.GetAdaptersAddresses(AF_INET, GAA_FLAGS, null, buf, size);
        }
        if (rc != 0) {
            throw new ServiceException("GetAdaptersAddresses failed: " + ScmErrors.text(rc), rc);
        }
        List<FirewallRule.AdapterAddress> out = new ArrayList<>();
        // IP_ADAPTER_ADDRESSES (x64): Next@8, FirstUnicastAddress@24, FriendlyName@72.
        for (Pointer a = buf; a != null; a = a.getPointer(8)) {
            Pointer fn = a.getPointer(72);
            String name = fn == null ? "" : fn.getWideString(0);
            // IP_ADAPTER_UNICAST_ADDRESS_LH (x64): Next@8, Address = SOCKET_ADDRESS{lpSockaddr@16, iSockaddrLength@24}
            // (16 bytes with padding), PrefixOrigin@32 ... LeaseLifetime@52, OnLinkPrefixLength@56 (UINT8).
            for (Pointer u = a.getPointer(24); u != null; u = u.getPointer(8)) {
                Pointer sa = u.getPointer(16);
                if (sa != null && sa.getShort(0) == AF_INET) {
                    out.add(new FirewallRule.AdapterAddress(name, sa.getByteArray(4, 4), u.getByte(56) & 0xFF));
                }
            }
        }
        return out;
    }

    private static final int POLICY_CREATE_ACCOUNT = 0x10;
    private static final int POLICY_LOOKUP_NAMES = 0x800;

    /** Grants {@code right} (e.g. SeServiceLogonRight) to {@code account} in the local security policy. */
    public static void addAccountRight(String account, String right) throws ServiceException {
        byte[] sid;
        try {
            // ".\\user" means this machine to the SCM; LookupAccountNameW wants the machine's name
            String lookup = account.startsWith(".\\") ? Kernel32Util.getComputerName() + account.substring(1) : account;
            sid = Advapi32Util.getAccountByName(lookup).sid;
        } catch (RuntimeException e) { // Win32Exception: ERROR_NONE_MAPPED and friends
            throw new ServiceException("no such account '" + account + "' (" + e.getMessage().strip()
                    + "): give DOMAIN\\user, .\\user for a local account, or user@domain", ScmErrors.ERROR_NONE_MAPPED);
        }
        Memory attrs = new Memory(48); // LSA_OBJECT_ATTRIBUTES, all zero (documented as unused)
        attrs.clear();
        PointerByReference policy = new PointerByReference();
        check(Libs.LSA.LsaOpenPolicy(null, attrs, POLICY_CREATE_ACCOUNT | POLICY_LOOKUP_NAMES, policy), "LsaOpenPolicy", account);
        try {
            Memory sidMem = new Memory(sid.length);
            sidMem.write(0, sid, 0, sid.length);
            byte[] chars = (right + "\0").getBytes(StandardCharsets.UTF_16LE);
            Memory str = new Memory(chars.length);
            str.write(0, chars, 0, chars.length);
            Memory us = new Memory(16); // LSA_UNICODE_STRING: USHORT Length, USHORT MaximumLength, PWSTR Buffer@8
            us.clear();
            us.setShort(0, (short) (chars.length - 2));
            us.setShort(2, (short) chars.length);
            us.setPointer(8, str);
            check(Libs.LSA.LsaAddAccountRights(policy.getValue(), sidMem, us, 1), "LsaAddAccountRights", account);
        } finally {
            Libs.LSA.LsaClose(policy.getValue());
        }
    }

    private static void check(int ntstatus, String call, String account) throws ServiceException {
        if (ntstatus != 0) {
            int err = Libs.LSA.LsaNtStatusToWinError(ntstatus);
            throw new ServiceException(err == ScmErrors.ERROR_ACCESS_DENIED
                    ? "cannot grant 'Log on as a service' to " + account + ": access denied: run this from an elevated prompt"
                    : "cannot grant 'Log on as a service' to " + account + ": " + call + " failed: " + ScmErrors.text(err)
                            + String.format(" (NTSTATUS 0x%08X)", ntstatus), err);
        }
    }
}
