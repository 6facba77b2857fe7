import Foundation

/// The admission side of a session: which workers hold a slot and in what order the rest
/// wait. A plain value owned by the `Session` actor, so every change to it is atomic with
/// respect to spawn, cancel, steer and completion; `admit()` reserves slots in the same
/// step that picks the workers, which is how the cap holds under any interleaving.
///
/// Invariants: `running.count <= capacity` after every call, and the scheduler never holds
/// a slot for a worker that is waiting (on the queue or on its `after` dependencies).
public struct SessionScheduler: Sendable {
    private struct Entry: Sendable {
        var id: String
        var priority: Int
        /// Arrival order, for FIFO among equal priorities.
        var ticket: UInt64
        /// Waiting on `after` dependencies: keeps its place but cannot be admitted.
        var blocked: Bool
    }

    public private(set) var capacity: Int
    public private(set) var running: Set<String> = []
    /// Kept sorted: higher priority first, then lower ticket.
    private var queue: [Entry] = []
    private var nextTicket: UInt64 = 0

    public init(capacity: Int) {
        precondition(capacity > 0, "a session needs at least one slot")
        self.capacity = capacity
    }

    public var queuedCount: Int { queue.count }
    public var queuedIds: [String] { queue.map(\.id) }
    public var freeSlots: Int { max(0, capacity - running.count) }

    /// Changing the cap never preempts: above a lowered cap, running workers finish first.
    public mutating func setCapacity(_ newCapacity: Int) {
        precondition(newCapacity > 0, "a session needs at least one slot")
        capacity = newCapacity
    }

    /// Puts a worker at the end of its priority band.
    public mutating func enqueue(_ id: String, priority: Int, blocked: Bool = false) {
        let entry = Entry(id: id, priority: priority, ticket: nextTicket, blocked: blocked)
        nextTicket += 1
        let index = queue.firstIndex { $0.priority < priority } ?? queue.endIndex
        queue.insert(entry, at: index)
    }

    public mutating func unblock(_ id: String) {
        if let index = queue.firstIndex(where: { $0.id == id }) { queue[index].blocked = false }
    }

    /// Takes a worker off the queue (cancelled, or failed while waiting). Returns whether it was there.
    @discardableResult
    public mutating func removeFromQueue(_ id: String) -> Bool {
        guard let index = queue.firstIndex(where: { $0.id == id }) else { return false }
        queue.remove(at: index)
        return true
    }

    /// Reserves a slot for each admissible worker, in queue order, until the cap is reached,
    /// and returns them: the caller must start exactly these.
    public mutating func admit() -> [String] {
        var admitted: [String] = []
        var index = queue.startIndex
        while running.count < capacity, index < queue.endIndex {
            if queue[index].blocked {
                index += 1
                continue
            }
            let entry = queue.remove(at: index)
            running.insert(entry.id)
            admitted.append(entry.id)
        }
        return admitted
    }

    /// Gives a worker's slot back. Returns whether it held one.
    @discardableResult
    public mutating func release(_ id: String) -> Bool {
        running.remove(id) != nil
    }

    /// 1 for the next worker to start; nil when the worker is not queued.
    public func queuePosition(of id: String) -> Int? {
        queue.firstIndex { $0.id == id }.map { $0 + 1 }
    }

    /// Every queued worker's position, in one pass.
    public func queuePositions() -> [String: Int] {
        var positions: [String: Int] = [:]
        for (offset, entry) in queue.enumerated() { positions[entry.id] = offset + 1 }
        return positions
    }
}
