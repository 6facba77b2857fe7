extension BosunConfig {
    /// Warnings about roles whose model cannot be called from this environment: one for each
    /// role whose model does not resolve, and one for each provider problem (its API key
    /// variable is unset, its address is missing), naming every role it stops, so an unset
    /// key is said once. `bosun config check` prints them; a worker of such a role would fail
    /// with `provider_error` at its first step.
    public func roleWarnings(environment: [String: String]) -> [String] {
        var warnings: [String] = []
        var unreachable: [(provider: String, problem: String, roles: [(name: String, model: String)])] = []
        for role in roles.values.sorted(by: { $0.name < $1.name }) {
            let model: ResolvedModel
            do {
                model = try resolveModel(role.model)
            } catch {
                warnings.append("role \"\(role.name)\": model \"\(role.model)\" does not resolve: \(error)")
                continue
            }
            do {
                _ = try endpoint(forProvider: model.providerName, environment: environment)
            } catch {
                let problem = (error as? ConfigError)?.message ?? "\(error)"
                if let index = unreachable.firstIndex(where: { $0.provider == model.providerName && $0.problem == problem }) {
                    unreachable[index].roles.append((role.name, model.alias))
                } else {
                    unreachable.append((model.providerName, problem, [(role.name, model.alias)]))
                }
            }
        }
        return warnings + unreachable.map { group in
            let names = group.roles.map { "\"\($0.name)\"" }
            guard let last = names.last, names.count > 1 else {
                return "role \(names.joined()) (model \(group.roles[0].model) → provider \(group.provider)) cannot run here: \(group.problem)"
            }
            return "roles \(names.dropLast().joined(separator: ", ")) and \(last) (provider \(group.provider)) cannot run here: \(group.problem)"
        }
    }
}
