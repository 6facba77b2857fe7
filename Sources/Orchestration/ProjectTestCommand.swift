import Foundation

/// The project's own test command, found from its build files the way a person new to it
/// would look: a Makefile's `test` target first, then package.json's `test` script,
/// pytest's configuration, Cargo, SwiftPM and Go. `orchestrate` runs it as a command check
/// on subtasks whose role changes files, and tells the planner about it.
enum ProjectTestCommand {
    static func find(in root: String) -> [String]? {
        func text(_ name: String) -> String? { try? String(contentsOfFile: root + "/" + name, encoding: .utf8) }
        func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: root + "/" + name) }
        for makefile in ["GNUmakefile", "Makefile", "makefile"] {
            if let make = text(makefile), make.split(separator: "\n").contains(where: { $0.hasPrefix("test:") }) {
                return ["make", "test"]
            }
        }
        if let package = text("package.json"),
           let json = try? JSONSerialization.jsonObject(with: Data(package.utf8)) as? [String: Any],
           let test = (json["scripts"] as? [String: Any])?["test"] as? String, !test.contains("no test specified") {
            return ["npm", "test"]
        }
        if exists("pytest.ini") || text("pyproject.toml")?.contains("[tool.pytest") == true
            || text("setup.cfg")?.contains("[tool:pytest]") == true || text("tox.ini")?.contains("[pytest]") == true {
            return ["pytest", "-q", "-p", "no:cacheprovider"]
        }
        if exists("Cargo.toml") { return ["cargo", "test"] }
        if exists("Package.swift") { return ["swift", "test"] }
        if exists("go.mod") { return ["go", "test", "./..."] }
        return nil
    }
}
