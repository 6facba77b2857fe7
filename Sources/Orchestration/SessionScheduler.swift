import Foundation

/// The admission side of a session: which workers hold a slot and in what order the rest
/// wait. A plain value owned by the `Session` actor, so every change to it is atomic with
/// respect to spawn, cancel, steer and completion; `admit()` reserves slots in the same
/// step that picks the workers, which is how the cap holds under any interleaving.
///
/// Invariants: `running.count <= capacity` after every call; the scheduler never holds
/// a slot for a worker that is waiting (on the queue or on its `after` dependencies); and
/// the workers left waiting never exceed the queue limit, because `reserveQueuePlace`
/// counts places promised to spawns still being stored in the same step that checks them.
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
    /// Queued workers blocked on `after`, which no free slot can take.
    private var blockedCount = 0
    /// Places promised by `reserveQueuePlace` and not yet taken by `enqueue` or given back.
    private var reserved = (ready: 0, blocked: 0)

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

    /// How many workers would be left waiting if every queued and promised one were admitted
    /// into the free slots now: blocked ones never take a slot.
    private var waitingAfterAdmission: Int {
        let ready = queue.count - blockedCount + reserved.ready
        return blockedCount + reserved.blocked + max(0, ready - freeSlots)
    }

    /// A place on the queue promised to a worker that is not enqueued yet.
    public struct QueuePlace: Sendable {
        /// Whether the worker may be blocked on `after` dependencies (then no slot can take it).
        fileprivate let blocked: Bool
    }

    /// Promises a place on the queue to a worker that is about to be enqueued after an
    /// await (such as storing it), if one more waiting worker stays within `limit`. The check
    /// and the promise are one step, so spawns that arrive together cannot all pass the same
    /// check. Returns nil, promising nothing, when the queue is full. The place must be given
    /// to `enqueue` or to `giveBack` exactly once.
    public mutating func reserveQueuePlace(blocked: Bool, limit: Int) -> QueuePlace? {
        let place = QueuePlace(blocked: blocked)
        count(place, by: 1)
        guard waitingAfterAdmission <= limit else {
            count(place, by: -1)
            return nil
        }
        return place
    }

    /// Gives back a promised place that will not be used.
    public mutating func giveBack(_ place: QueuePlace) {
        count(place, by: -1)
    }

    private mutating func count(_ place: QueuePlace, by delta: Int) {
        if place.blocked { reserved.blocked += delta } else { reserved.ready += delta }
        precondition(reserved.ready >= 0 && reserved.blocked >= 0, "a queue place was given back twice")
    }

    /// Puts a worker at the end of its priority band, in the place promised to it if any.
    public mutating func enqueue(_ id: String, priority: Int, blocked: Bool = false, place: QueuePlace? = nil) {
        if let place { giveBack(place) }
        let entry = Entry(id: id, priority: priority, ticket: nextTicket, blocked: blocked)
        nextTicket += 1
        if blocked { blockedCount += 1 }
        let index = queue.firstIndex { $0.priority < priority } ?? queue.endIndex
        queue.insert(entry, at: index)
    }

    public mutating func unblock(_ id: String) {
        guard let index = queue.firstIndex(where: { $0.id == id }), queue[index].blocked else { return }
        queue[index].blocked = false
        blockedCount -= 1
    }

    /// Takes a worker off the queue (cancelled, or failed while waiting). Returns whether it was there.
    @discardableResult
    public mutating func removeFromQueue(_ id: String) -> Bool {
        guard let index = queue.firstIndex(where: { $0.id == id }) else { return false }
        if queue.remove(at: index).blocked { blockedCount -= 1 }
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
