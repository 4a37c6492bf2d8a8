import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on `RUN.sqlite-lock`, held while a process runs or changes a run. The kernel drops it when
/// the process ends in any way (kill -9 included), so a stale lock never blocks a resume; a second `mien batch` on
/// the same run file is refused with the holder's pid. (`flock` and SQLite's own POSIX locks do not interact.)
public final class RunLock: Sendable {
    public let path: String
    private let descriptor: Int32

    public init(runFile url: URL) throws {
        path = url.path + "-lock"
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw JobStoreError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw JobStoreError.runInUse(path: url.path, holder: holder.isEmpty ? "pid unknown" : holder)
        }
        let me = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName)\n"
        _ = ftruncate(fd, 0)
        _ = me.withCString { pwrite(fd, $0, strlen($0), 0) }
        descriptor = fd
    }

    deinit {
        close(descriptor)   // releases the flock
    }
}
