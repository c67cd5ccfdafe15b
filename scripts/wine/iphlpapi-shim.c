/*
 * iphlpapi.dll shim for running the Windows JVM under Wine 8 (Debian's wine64 8.0).
 *
 * Why: the JDK's net.dll delay-loads GetAnycastIpAddressTable for
 * java.net.NetworkInterface.getAll; Wine 8's iphlpapi.dll does not export it, so the first
 * interface enumeration (Netty's NetUtil static initialiser, always reached by gRPC) kills the
 * JVM with exception 0xc06d007f (delay-load: procedure not found).
 *
 * What: this DLL implements only that one function (an empty table: no anycast addresses, which
 * is also what a normal Windows machine has) and forwards every other export to iphlpwine.dll,
 * a copy of Wine's own builtin iphlpapi.dll placed next to it. The forwards are generated from
 * the builtin's export table by scripts/wine/setup.sh (iphlpapi-shim.def), so nothing else changes.
 * Loaded with WINEDLLOVERRIDES=iphlpapi=n,b.
 */
#include <winsock2.h>
#include <windows.h>

/* MIB_ANYCASTIPADDRESS_TABLE starts with ULONG NumEntries; the rows (none here) follow,
 * 8-byte aligned. The caller frees it with FreeMibTable, which Wine implements as
 * HeapFree(GetProcessHeap(), 0, p): so it must come from the process heap. */
__declspec(dllexport) DWORD WINAPI GetAnycastIpAddressTable(USHORT family, void **table)
{
    (void)family;
    if (table == NULL) {
        return ERROR_INVALID_PARAMETER;
    }
    ULONG *t = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, 64);
    if (t == NULL) {
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    t[0] = 0;
    *table = t;
    return NO_ERROR;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance; (void)reason; (void)reserved;
    return TRUE;
}
