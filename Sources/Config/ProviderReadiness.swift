extension BosunConfig {
    /// One warning for each role whose model cannot be called from this environment: its
    /// provider's API key variable is unset (or its address is missing), or its model does
    /// not resolve. `bosun config check` prints them; a worker of such a role would fail
    /// with `provider_error` at its first step.
    public func roleWarnings(environment: [String: String]) -> [String] {
        roles.values.sorted { $0.name < $1.name }.compactMap { role in
            let model: ResolvedModel
            do {
                model = try resolveModel(role.model)
            } catch {
                return "role \"\(role.name)\": model \"\(role.model)\" does not resolve: \(error)"
            }
            do {
                _ = try endpoint(forProvider: model.providerName, environment: environment)
                return nil
            } catch let error as ConfigError {
                return "role \"\(role.name)\" (model \(model.alias) → provider \(model.providerName)) cannot run here: \(error.message)"
            } catch {
                return "role \"\(role.name)\" (model \(model.alias) → provider \(model.providerName)) cannot run here: \(error)"
            }
        }
    }
}
