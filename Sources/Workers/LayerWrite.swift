import Config
import Foundation
import Workspace

/// `write_file` for a worker with a layer: within the layer's limits, into the layer.
struct LayerWrite {
    let layer: Layer
    let policy: ToolPolicy

    /// Writes (or appends) and returns the file's new size.
    func write(_ content: Data, to relative: String, append: Bool, shownAs path: String) throws -> Int {
        let usage = layer.usage()
        if usage.bytes + content.count > policy.layerMaxBytes {
            throw ToolError("write_file: this worker's layer would hold \(usage.bytes + content.count) bytes, over its \(policy.layerMaxBytes)-byte limit (tools.layerMaxBytes); write less")
        }
        if usage.files >= policy.layerMaxFiles {
            throw ToolError("write_file: this worker's layer already holds \(usage.files) files, its limit (tools.layerMaxFiles); change fewer files")
        }
        var data = content
        if append, let existing = try layer.content(of: relative) {
            data = existing + content
            guard data.count <= policy.writeMaxBytes else {
                throw ToolError("write_file: appending would make \(relative) \(data.count) bytes, over the \(policy.writeMaxBytes)-byte limit")
            }
        }
        try layer.write(data, to: relative, shownAs: path)
        return data.count
    }
}
