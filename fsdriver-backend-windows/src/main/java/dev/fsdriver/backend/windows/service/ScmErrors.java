package dev.fsdriver.backend.windows.service;

/**
 * The one place where Service Control Manager / LSA errors become the messages a user reads
 * ({@code fsdriver service ...} prints them after "fsdriver: ").
 */
public final class ScmErrors {
    public static final int ERROR_ACCESS_DENIED = 5;
    public static final int ERROR_SERVICE_REQUEST_TIMEOUT = 1053;
    public static final int ERROR_SERVICE_ALREADY_RUNNING = 1056;
    public static final int ERROR_INVALID_SERVICE_ACCOUNT = 1057;
    public static final int ERROR_SERVICE_DOES_NOT_EXIST = 1060;
    public static final int ERROR_SERVICE_CANNOT_ACCEPT_CTRL = 1061;
    public static final int ERROR_SERVICE_NOT_ACTIVE = 1062;
    public static final int ERROR_SERVICE_SPECIFIC_ERROR = 1066;
    public static final int ERROR_SERVICE_LOGON_FAILED = 1069;
    public static final int ERROR_SERVICE_MARKED_FOR_DELETE = 1072;
    public static final int ERROR_SERVICE_EXISTS = 1073;
    public static final int ERROR_DUPLICATE_SERVICE_NAME = 1078;
    public static final int ERROR_NONE_MAPPED = 1332;

    private ScmErrors() {}

    /** Why {@code action} on service {@code name} failed with Win32 error {@code error}, in one line. */
    public static String message(String action, String name, int error) {
        return switch (error) {
            case ERROR_ACCESS_DENIED -> "cannot " + action + " service " + name
                    + ": access denied: run this from an elevated prompt (Run as administrator)";
            case ERROR_SERVICE_EXISTS -> "service " + name + " is already installed (fsdriver service uninstall --name "
                    + name + " removes it)";
            case ERROR_DUPLICATE_SERVICE_NAME -> "cannot " + action + " service " + name
                    + ": another service already uses that name as its name or display name";
            case ERROR_SERVICE_DOES_NOT_EXIST -> "service " + name + " is not installed";
            case ERROR_SERVICE_MARKED_FOR_DELETE -> "service " + name + " is being deleted: close the Services console "
                    + "(services.msc) and any other program that has it open, then try again";
            case ERROR_SERVICE_ALREADY_RUNNING -> "service " + name + " is already running";
            case ERROR_SERVICE_NOT_ACTIVE -> "service " + name + " is not running";
            case ERROR_SERVICE_CANNOT_ACCEPT_CTRL -> "service " + name + " is starting or stopping: try again in a moment";
            case ERROR_SERVICE_LOGON_FAILED -> "cannot " + action + " service " + name + ": its account could not log on "
                    + "(wrong password, or the account lacks 'Log on as a service': install again with --account)";
            case ERROR_INVALID_SERVICE_ACCOUNT, ERROR_NONE_MAPPED -> "cannot " + action + " service " + name
                    + ": no such account (give DOMAIN\\user, .\\user for a local account, or user@domain)";
            case ERROR_SERVICE_REQUEST_TIMEOUT -> "cannot " + action + " service " + name
                    + ": it did not answer the Service Control Manager in time (see its log)";
            default -> "cannot " + action + " service " + name + ": " + text(error);
        };
    }

    /** A Win32 error's name and number, e.g. "ERROR_ACCESS_DENIED (5)". */
    public static String text(int error) {
        String n = switch (error) {
            case ERROR_ACCESS_DENIED -> "ERROR_ACCESS_DENIED";
            case 87 -> "ERROR_INVALID_PARAMETER";
            case 120 -> "ERROR_CALL_NOT_IMPLEMENTED";
            case 124 -> "ERROR_INVALID_LEVEL";
            case 1063 -> "ERROR_FAILED_SERVICE_CONTROLLER_CONNECT";
            case ERROR_SERVICE_REQUEST_TIMEOUT -> "ERROR_SERVICE_REQUEST_TIMEOUT";
            case ERROR_SERVICE_SPECIFIC_ERROR -> "ERROR_SERVICE_SPECIFIC_ERROR";
            case 1067 -> "ERROR_PROCESS_ABORTED";
            case ERROR_SERVICE_LOGON_FAILED -> "ERROR_SERVICE_LOGON_FAILED";
            case ERROR_SERVICE_DOES_NOT_EXIST -> "ERROR_SERVICE_DOES_NOT_EXIST";
            case ERROR_SERVICE_EXISTS -> "ERROR_SERVICE_EXISTS";
            default -> null;
        };
        return n == null ? "error " + error : n + " (" + error + ")";
    }
}
