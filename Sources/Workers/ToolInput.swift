import BosunJSON
import Foundation

/// Typed access to a tool call's JSON input, with errors the model can act on.
struct ToolInput {
    let tool: String
    let value: JSONValue

    init(_ value: JSONValue, tool: String) throws {
        guard case .object = value else { throw ToolError("\(tool): the input must be a JSON object, got \(value.typeName)") }
        self.tool = tool
        self.value = value
    }

    func requiredString(_ key: String) throws -> String {
        guard let text = try string(key) else { throw ToolError("\(tool): `\(key)` is required") }
        return text
    }

    func string(_ key: String) throws -> String? {
        guard let field = value[key], !field.isNull else { return nil }
        guard let text = field.stringValue else { throw ToolError("\(tool): `\(key)` must be a string, got \(field.typeName)") }
        return text
    }

    /// A whole number of at least `minimum`.
    func int(_ key: String, minimum: Int = 0) throws -> Int? {
        guard let field = value[key], !field.isNull else { return nil }
        guard let number = field.intValue, number >= minimum, number <= Int64(Int32.max) else {
            throw ToolError("\(tool): `\(key)` must be a whole number of at least \(minimum)")
        }
        return Int(number)
    }

    func double(_ key: String) throws -> Double? {
        guard let field = value[key], !field.isNull else { return nil }
        guard let number = field.doubleValue, number > 0, number.isFinite else {
            throw ToolError("\(tool): `\(key)` must be a positive number")
        }
        return number
    }

    func bool(_ key: String) throws -> Bool? {
        guard let field = value[key], !field.isNull else { return nil }
        guard let flag = field.boolValue else { throw ToolError("\(tool): `\(key)` must be true or false") }
        return flag
    }

    func stringArray(_ key: String) throws -> [String]? {
        guard let field = value[key], !field.isNull else { return nil }
        let strings = field.arrayValue?.compactMap(\.stringValue)
        guard let strings, strings.count == field.arrayValue?.count else {
            throw ToolError("\(tool): `\(key)` must be an array of strings")
        }
        return strings
    }
}
