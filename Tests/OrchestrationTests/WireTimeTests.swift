import BosunProtocol
import Foundation
import Testing
@testable import Orchestration

/// `WireTime` formats by hand now; it must write what the ISO 8601 format style wrote.
@Suite struct WireTimeTests {
    @Test func matchesTheFormatStyle() {
        var generator = SystemRandomNumberGenerator()
        var dates = [0, 0.0005, 0.9995, 0.999_999, 1_700_000_000.1, 1_700_000_000.123_456, 951_782_400 /* 2000-02-29 */,
                     4_102_444_799.999, 253_402_300_799.999, 253_402_300_800, -1.5, Date().timeIntervalSince1970]
            .map(Date.init(timeIntervalSince1970:))
        dates += (0..<5_000).map { _ in Date(timeIntervalSince1970: Double.random(in: 0...4_200_000_000, using: &generator)) }
        dates += (0..<2_000).map { _ in Date(timeIntervalSinceNow: Double.random(in: -1...1, using: &generator)) }
        for date in dates {
            #expect(WireTime.string(date) == WireTime.style.format(date), "\(date.timeIntervalSince1970)")
        }
    }
}
