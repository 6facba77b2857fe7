import BosunJSON

/// Where a writing worker's changes stand (`Worker.changes.state`).
public enum ChangesState: String, Codable, Sendable, Hashable {
    /// Waiting for review: `apply` or `discard` them.
    case pending
    case applied
    case discarded
    /// The last `apply` found conflicts and wrote nothing; they still wait.
    case conflicted
}

extension Worker {
    /// A writing worker's layer as `status` shows it: its review state and the paths it
    /// touched (`changes` gives the diff). As in `changes`, what `.gitignore` ignores is
    /// apart: not in `files`, only counted.
    public struct Changes: Codable, Sendable, Hashable {
        public var state: ChangesState
        public var files: [String]
        /// How many touched paths `.gitignore` ignores (`changes` lists them under `ignored`);
        /// nil when none.
        public var ignoredCount: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case state, files, ignoredCount
        }

        public init(state: ChangesState, files: [String], ignoredCount: Int? = nil) {
            self.state = state
            self.files = files
            self.ignoredCount = ignoredCount == 0 ? nil : ignoredCount
        }
    }
}

/// `changes`, `apply` and `discard` name one worker or every subtask of an orchestration.
public struct ReviewTarget: Codable, Sendable {
    public var workerId: String?
    public var orchestrationId: String?

    public init(workerId: String? = nil, orchestrationId: String? = nil) {
        self.workerId = workerId
        self.orchestrationId = orchestrationId
    }
}

public struct ChangesParams: Codable, Sendable {
    public var workerId: String?
    public var orchestrationId: String?
    /// Lines of unchanged context around each change in the diff (default 3); a number at
    /// least as long as the files gives each changed file whole.
    public var context: Int?

    public init(workerId: String? = nil, orchestrationId: String? = nil, context: Int? = nil) {
        self.workerId = workerId
        self.orchestrationId = orchestrationId
        self.context = context
    }
}

public typealias DiscardParams = ReviewTarget

public struct ApplyParams: Codable, Sendable {
    public var workerId: String?
    public var orchestrationId: String?
    /// Only these of the changed files; all of them when absent.
    public var paths: [String]?

    public init(workerId: String? = nil, orchestrationId: String? = nil, paths: [String]? = nil) {
        self.workerId = workerId
        self.orchestrationId = orchestrationId
        self.paths = paths
    }
}

/// One changed file.
public struct ChangedFile: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable, Hashable { case added, modified, deleted }
    public var path: String
    public var status: Status
    public var additions: Int
    public var deletions: Int
    /// The worker whose layer holds it.
    public var workerId: String

    public init(path: String, status: Status, additions: Int, deletions: Int, workerId: String) {
        self.path = path
        self.status = status
        self.additions = additions
        self.deletions = deletions
        self.workerId = workerId
    }
}

/// What the changes were made against: the workspace as it was when each layer started.
public struct ChangesBase: Codable, Sendable, Hashable {
    public var workspace: String
    public var workerId: String
    public var startedAt: String
    public var state: ChangesState

    public init(workspace: String, workerId: String, startedAt: String, state: ChangesState) {
        self.workspace = workspace
        self.workerId = workerId
        self.startedAt = startedAt
        self.state = state
    }
}

public struct ChangesResult: Codable, Sendable, Hashable {
    /// One per worker with a layer, in order.
    public var base: [ChangesBase]
    public var files: [ChangedFile]
    /// Unified, in git's style (`git apply` takes it).
    public var diff: String
    /// Files the worker changed that `.gitignore` ignores (build output, local settings):
    /// not in `files` or the diff, and not applied unless `apply`'s `paths` names them.
    /// Absent when there are none.
    public var ignored: [IgnoredFile]?

    public init(base: [ChangesBase], files: [ChangedFile], diff: String, ignored: [IgnoredFile]? = nil) {
        self.base = base
        self.files = files
        self.diff = diff
        self.ignored = ignored
    }
}

/// A changed file that `.gitignore` ignores.
public struct IgnoredFile: Codable, Sendable, Hashable {
    public var path: String
    public var status: ChangedFile.Status
    public var workerId: String

    public init(path: String, status: ChangedFile.Status, workerId: String) {
        self.path = path
        self.status = status
        self.workerId = workerId
    }
}

public struct ApplyConflict: Codable, Sendable, Hashable {
    public var path: String
    public var reason: String
    public var workerId: String

    public init(path: String, reason: String, workerId: String) {
        self.path = path
        self.reason = reason
        self.workerId = workerId
    }
}

public struct ApplyResult: Codable, Sendable, Hashable {
    public var applied: [String]
    public var conflicts: [ApplyConflict]
    /// `applied` when every named worker's changes landed, else `conflicted`.
    public var state: ChangesState

    public init(applied: [String], conflicts: [ApplyConflict], state: ChangesState) {
        self.applied = applied
        self.conflicts = conflicts
        self.state = state
    }
}

public struct DiscardResult: Codable, Sendable, Hashable {
    public var discarded: [String]

    public init(discarded: [String]) { self.discarded = discarded }
}
