import BosunJSON
import Foundation
import Synchronization
import Testing

@testable import JSONRPC

#if canImport(Glibc)
import Glibc
#endif

@Suite struct FrameWriterTests {
    /// A client that stops reading while notifications stream: the droppable ones are dropped
    /// once `backlogLimit` bytes wait, every response still arrives in order, and once the
    /// client reads again one notice says exactly how many it missed.
    @Test func aClientThatStopsReadingMissesOnlyDroppableNotificationsAndIsToldHowMany() throws {
        signal(SIGPIPE, SIG_IGN)
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        let limit = 64 << 10
        let writer = FrameWriter(fd: fds[1], framing: .newlineDelimited, backlogLimit: limit, inputPauseLimit: limit,
                                 onFailure: { _ in })
        writer.start()

        // Nobody reads: the pipe (64 KiB) fills, then the backlog. 5,000 × ~230 bytes is far more.
        let padding = String(repeating: "x", count: 200)
        let sent = 5_000
        for index in 0..<sent {
            writer.send(Data(#"{"jsonrpc":"2.0","method":"event","params":{"n":\#(index),"pad":"\#(padding)"}}"#.utf8), droppable: true)
            if index % 1_000 == 999 { writer.send(Data(#"{"jsonrpc":"2.0","id":\#(index),"result":null}"#.utf8)) }
        }

        // Now the client reads everything, until the writer is closed.
        let received = Mutex<[JSONValue]>([])
        let done = DispatchSemaphore(value: 0)
        let readEnd = fds[0]
        Thread.detachNewThread {
            readMessages(from: readEnd) { message in received.withLock { $0.append(message) } }
            done.signal()
        }
        #expect(writer.close(timeout: .seconds(30)))
        close(fds[1])
        try #require(done.wait(timeout: .now() + 30) == .success, "the reader did not see the end of the output")
        close(fds[0])

        let messages = received.withLock { $0 }
        #expect(!messages.contains("unparseable message from the server"))
        #expect(messages.compactMap { $0["id"]?.intValue } == [999, 1999, 2999, 3999, 4999])
        let events = messages.compactMap { $0["method"] == "event" ? $0["params"]?["n"]?.intValue : nil }
        #expect(events == events.sorted())
        let notices = messages.filter { $0["method"]?.stringValue == FrameWriter.droppedNotificationMethod }
        try #require(notices.count >= 1, "nothing was dropped, or the client was not told")
        let dropped = notices.compactMap { $0["params"]?["count"]?.intValue }.reduce(0, +)
        #expect(dropped > 0)
        #expect(Int(dropped) + events.count == sent)
        #expect(notices[0]["params"]?["message"]?.stringValue?.contains("trace") == true)
    }
}
