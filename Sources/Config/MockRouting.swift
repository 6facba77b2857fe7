extension BosunConfig {
    /// This config with every model answered by the mock provider at `baseURL`: what
    /// `bosun serve --mock` runs on, so every method (orchestrate's planner and coordinator
    /// on the orchestrator tier included) works offline whatever models the roles name.
    /// Model ids and prices stay as configured; the mock answers any id.
    public func routedToMock(baseURL: String) -> BosunConfig {
        var config = self
        config.providers["mock"] = ProviderConfig(kind: .openai, baseURL: baseURL)
        for name in config.models.keys { config.models[name]?.provider = "mock" }
        return config
    }
}
