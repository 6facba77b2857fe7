#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps the protocol stream clean, the way sourcekit-lsp does.
public enum StandardOutput {
    /// Duplicates the real stdout for the connection and points fd 1 at stderr, so a stray
    /// `print` (ours or a library's) lands in the log instead of corrupting the protocol.
    /// The returned descriptor is close-on-exec, so child processes never inherit it.
    /// Also ignores SIGPIPE: a client that went away shows up as a write error, not a kill.
    public static func claimForProtocol() -> Int32? {
        signal(SIGPIPE, SIG_IGN)
        let protocolFD = dup(STDOUT_FILENO)
        guard protocolFD >= 0, dup2(STDERR_FILENO, STDOUT_FILENO) >= 0 else { return nil }
        _ = fcntl(protocolFD, F_SETFD, FD_CLOEXEC)
        return protocolFD
    }
}
