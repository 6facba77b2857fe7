import Foundation

// The loader's steps are internal: the check runs them on text, without a file per input.
@testable import Config

/// Any text as a project config file: merged over the built-in defaults and decoded, it is
/// a config or a `ConfigError` whose message names what to fix; nothing else, and no crash.
enum ConfigCheck {
    static func check(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        do {
            let node = try ConfigLoader.parseFile(text, path: "fuzz.yaml")
            let tree = try BuiltInConfig.tree().merged(with: node)
            _ = try ConfigDecoder.decode(tree, sources: [BuiltInConfig.sourceName, "fuzz.yaml"])
        } catch let error as ConfigError {
            precondition(!error.description.isEmpty, "a ConfigError without a message")
        } catch {
            preconditionFailure("loading a config threw \(type(of: error)), not a ConfigError: \(error)")
        }
    }
}
