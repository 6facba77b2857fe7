import CLibFuzzer
import Foundation
import FuzzChecks

// `bosun-fuzz TARGET [libFuzzer options and corpus directories]`: runs one fuzz target under
// libFuzzer. Built by `make fuzz` with `-sanitize=fuzzer`; an ordinary build has no driver
// and says so.

let usage = "usage: bosun-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) [libFuzzer options] [CORPUS_DIR…]\n"
var arguments = CommandLine.arguments
guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
    FileHandle.standardError.write(Data(usage.utf8))
    exit(2)
}
guard bosun_fuzzer_linked() != 0 else {
    FileHandle.standardError.write(Data("bosun-fuzz was built without libFuzzer; build it with `make fuzz` (swift build -Xswiftc -sanitize=fuzzer)\n".utf8))
    exit(2)
}

/// The target libFuzzer calls; set once, before the driver starts.
nonisolated(unsafe) var selected = target

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected.check(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

// libFuzzer reads its own options from argv: hand it everything but the target name.
arguments.remove(at: 1)
var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
var argc = Int32(arguments.count)
let status = cArguments.withUnsafeMutableBufferPointer { buffer -> Int32 in
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) }
}
exit(status)
