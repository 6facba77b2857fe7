import Foundation
import Workspace
#if canImport(Glibc)
import Glibc
#endif

/// An IP address, as resolved for `fetch_url`.
enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    case v6([UInt8])

    var description: String {
        switch self {
        case .v4(let value):
            return [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xff) }.joined(separator: ".")
        case .v6(let bytes):
            var storage = in6_addr()
            withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: bytes) }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            inet_ntop(AF_INET6, &storage, &buffer, socklen_t(buffer.count))
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// How curl's `CURLOPT_RESOLVE` wants it: IPv6 in brackets.
    var curlForm: String {
        if case .v6 = self { return "[\(description)]" }
        return description
    }

    /// Parses a canonical literal (`127.0.0.1`, `::1`); nil for anything else.
    init?(literal: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, literal, &v4) == 1 {
            self = .v4(UInt32(bigEndian: v4.s_addr))
        } else if inet_pton(AF_INET6, literal, &v6) == 1 {
            self = .v6(withUnsafeBytes(of: v6) { Array($0) })
        } else {
            return nil
        }
    }
}

/// Which addresses `fetch_url` may reach: public unicast only, unless config allows private
/// ones. Everything a server-side request forgery would aim at is refused: loopback,
/// private and carrier-grade NAT ranges, link-local (cloud metadata lives at
/// 169.254.169.254), unspecified, multicast, reserved and documentation ranges, and every
/// IPv6 form that embeds an IPv4 address (mapped, translated, compatible, NAT64 including
/// its local-use prefix, 6to4, Teredo), whatever the address it embeds.
enum AddressPolicy {
    /// Why `address` is refused, or nil when it is public.
    static func refusalReason(_ address: IPAddress) -> String? {
        switch address {
        case .v4(let value):
            return v4Reason(value)
        case .v6(let b):
            if b.allSatisfy({ $0 == 0 }) { return "the unspecified address" }
            if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return "loopback" }
            // Every form that embeds an IPv4 address is refused whatever it embeds: a translator
            // or a dual-stack host may reach the IPv4 address behind it.
            if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xff && b[11] == 0xff { return "an IPv4-mapped address" }
            if b[0..<8].allSatisfy({ $0 == 0 }) && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0 {
                return "an IPv4-translated address"
            }
            if b[0..<12].allSatisfy({ $0 == 0 }) { return "an IPv4-compatible address" }
            if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b { return "a NAT64 address" }
            if b[0] == 0x20 && b[1] == 0x02 { return "a 6to4 address" }
            if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0 { return "a Teredo address" }
            // 2001::/23: IETF protocol assignments (Teredo, ORCHID, AS112, benchmarking).
            if b[0] == 0x20 && b[1] == 0x01 && b[2] & 0xfe == 0 { return "an IETF protocol assignment" }
            if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8 { return "a documentation address" }
            if b[0] == 0x3f && b[1] == 0xff && b[2] & 0xf0 == 0 { return "a documentation address" }
            if b[0] == 0 { return "a reserved address (::/8)" }
            if b[0] == 0xfe && b[1] & 0xc0 == 0x80 { return "link-local" }
            if b[0] == 0xfe && b[1] & 0xc0 == 0xc0 { return "site-local" }
            if b[0] & 0xfe == 0xfc { return "a private (unique local) address" }
            if b[0] == 0xff { return "multicast" }
            if b[0] == 0x01 && b[1] == 0 && b[2...7].allSatisfy({ $0 == 0 }) { return "a discard-only address" }
            return nil
        }
    }

    private static let v4Ranges: [(UInt32, Int, String)] = [
        (0x0000_0000, 8, "the unspecified (\"this network\") range"), (0x0a00_0000, 8, "private"),
        (0x6440_0000, 10, "carrier-grade NAT (shared)"), (0x7f00_0000, 8, "loopback"),
        (0xa9fe_0000, 16, "link-local (cloud metadata)"), (0xac10_0000, 12, "private"), (0xc000_0000, 24, "IETF protocol assignments"),
        (0xc000_0200, 24, "documentation"), (0xc058_6300, 24, "6to4 relay"), (0xc0a8_0000, 16, "private"),
        (0xc612_0000, 15, "benchmarking"), (0xc633_6400, 24, "documentation"), (0xcb00_7100, 24, "documentation"),
        (0xe000_0000, 4, "multicast"), (0xf000_0000, 4, "reserved"),
    ]

    private static func v4Reason(_ value: UInt32) -> String? {
        for (network, prefix, reason) in v4Ranges {
            let mask: UInt32 = prefix == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefix)
            if value & mask == network { return reason }
        }
        return nil
    }

    /// Every address `host` resolves to (the system resolver, numeric forms included:
    /// `2130706433` and `0x7f000001` are 127.0.0.1). Runs off the cooperative pool; a
    /// cancelled task stops waiting at once (the lookup finishes on its own thread).
    static func resolve(host: String) async throws -> [IPAddress] {
        try await BlockingWork.run { try lookup(host) }
    }

    private static func lookup(_ host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            throw ToolError("fetch_url: cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let current = node {
            if let sockaddr = current.pointee.ai_addr {
                if current.pointee.ai_family == AF_INET {
                    let value = sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                    addresses.append(.v4(UInt32(bigEndian: value)))
                } else if current.pointee.ai_family == AF_INET6 {
                    let bytes = sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                        withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) }
                    }
                    addresses.append(.v6(bytes))
                }
            }
            node = current.pointee.ai_next
        }
        var unique: [IPAddress] = []
        for address in addresses where !unique.contains(address) { unique.append(address) }
        return unique
    }
}
