import Testing
@testable import HTTP

/// libcurl is opened at the first transfer (CCurl's shim.h): what bosun says when it cannot
/// be, from the same code that opens it for a transfer, given other library names.
@Suite struct CurlLibraryTests {
    @Test func theInstalledLibcurlHasEveryFunctionBosunCalls() {
        #expect(CurlLibrary.failure(loading: "libcurl.so.4") == nil)
        #expect(CurlLibrary.failure == nil)
    }

    @Test func aMissingLibcurlSaysWhatToInstall() throws {
        let failure = try #require(CurlLibrary.failure(loading: "libcurl-bosun-test-missing.so.4"))
        #expect(failure.hasPrefix("libcurl could not be loaded (libcurl-bosun-test-missing.so.4: cannot open shared object file"),
                "\(failure)")
        #expect(failure.contains("apt-get install libcurl4"), "\(failure)")
        #expect(failure.contains("model providers, fetch_url"), "\(failure)")
    }

    @Test func aLibraryWithoutCurlsFunctionsNamesTheFirstMissingOne() throws {
        // A library that exists and is not libcurl stands for one too old to have a function.
        let failure = try #require(CurlLibrary.failure(loading: "libsqlite3.so.0"))
        #expect(failure == "the libcurl loaded as libsqlite3.so.0 has no curl_easy_init: bosun needs libcurl 7.68 or newer "
                + "(on Debian or Ubuntu `apt-get install libcurl4`)")
    }
}
