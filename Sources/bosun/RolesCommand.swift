import ArgumentParser
import Config
import Foundation

/// `bosun roles`: the roles workers can be spawned with.
struct RolesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roles",
        abstract: "List the configured worker roles: model, tools, limits and where each was defined."
    )

    @OptionGroup var location: ConfigLocationOptions

    @Flag(help: "Print {\"roles\": [...]} as the `roles` JSON-RPC method answers.")
    var json = false

    func run() throws {
        let config = try location.load()
        let summaries = config.roleSummaries()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(["roles": summaries])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        for role in summaries {
            let model = (try? config.resolveModel(role.model)).map { "\(role.model) → \($0.alias) (\($0.providerName)/\($0.modelId))" } ?? role.model
            let granted = [("write", role.permissions.write), ("exec", role.permissions.exec), ("spawn", role.permissions.spawn)]
                .filter(\.1).map(\.0)
            print(role.name)
            if !role.description.isEmpty { print("  \(role.description)") }
            print("  model:   \(model)")
            print("  tools:   \(role.tools.joined(separator: ", "))\(granted.isEmpty ? "" : " (permissions: \(granted.joined(separator: ", ")))")")
            print("  limits:  \(Self.duration(role.limits.timeoutSeconds)), \(role.limits.maxSteps) steps, \(role.limits.maxTokens) tokens, $\(role.limits.maxCostUSD)")
            if let approval = role.approval {
                let lists = [("deny", approval.deny), ("ask", approval.ask), ("allow", approval.allow)]
                    .compactMap { name, patterns in patterns.map { "\(name) \($0.joined(separator: ", "))" } }
                print("  approval: \((lists + (approval.default.map { ["default \($0)"] } ?? [])).joined(separator: "; "))")
            }
            print("  source:  \(role.source)")
        }
        for warning in config.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
    }

    static func duration(_ seconds: Double) -> String {
        seconds >= 60 && seconds.truncatingRemainder(dividingBy: 60) == 0 ? "\(Int(seconds / 60)) min" : "\(seconds) s"
    }
}
