import Testing
import TestSupport
@testable import Orchestration

@Suite struct SessionSchedulerTests {
    @Test func admitsUpToTheCapInPriorityThenArrivalOrder() {
        var scheduler = SessionScheduler(capacity: 2)
        let arrivals: [(String, Int)] = [("a", 0), ("b", 5), ("c", 0), ("d", 5), ("e", -1), ("f", 9)]
        for (id, priority) in arrivals { scheduler.enqueue(id, priority: priority) }
        #expect(scheduler.queuedIds == ["f", "b", "d", "a", "c", "e"])
        #expect(scheduler.admit() == ["f", "b"])
        #expect(scheduler.admit() == [])
        #expect(scheduler.running == ["f", "b"])
        #expect(scheduler.queuePosition(of: "d") == 1)
        #expect(scheduler.queuePosition(of: "e") == 4)
        #expect(scheduler.queuePosition(of: "f") == nil)
        scheduler.release("b")
        #expect(scheduler.admit() == ["d"])
        scheduler.release("f")
        scheduler.release("d")
        #expect(scheduler.admit() == ["a", "c"])
    }

    @Test func blockedWorkersKeepTheirPlaceButAreSkipped() {
        var scheduler = SessionScheduler(capacity: 1)
        scheduler.enqueue("dependant", priority: 0, blocked: true)
        scheduler.enqueue("free", priority: 0)
        #expect(scheduler.admit() == ["free"])
        #expect(scheduler.queuePosition(of: "dependant") == 1)
        scheduler.release("free")
        #expect(scheduler.admit() == [])
        scheduler.unblock("dependant")
        #expect(scheduler.admit() == ["dependant"])
    }

    @Test func removingAndReleasingUnknownIdsChangesNothing() {
        var scheduler = SessionScheduler(capacity: 1)
        scheduler.enqueue("a", priority: 0)
        let released = scheduler.release("a")
        let removed = scheduler.removeFromQueue("a")
        let removedAgain = scheduler.removeFromQueue("a")
        #expect(!released && removed && !removedAgain)
        #expect(scheduler.admit() == [])
        #expect(scheduler.freeSlots == 1)
    }

    @Test func loweringTheCapNeverPreemptsButHoldsBackAdmission() {
        var scheduler = SessionScheduler(capacity: 3)
        for id in ["a", "b", "c", "d"] { scheduler.enqueue(id, priority: 0) }
        #expect(scheduler.admit() == ["a", "b", "c"])
        scheduler.setCapacity(1)
        scheduler.release("a")
        #expect(scheduler.admit() == [])
        scheduler.release("b")
        scheduler.release("c")
        #expect(scheduler.admit() == ["d"])
    }

    /// Random interleavings of enqueue, cancel and completion: the cap holds after every
    /// operation and every worker ends up admitted or removed, exactly once.
    @Test func randomInterleavingsKeepTheCap() {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<50 {
            let cap = Int.random(in: 1...6, using: &generator)
            var scheduler = SessionScheduler(capacity: cap)
            var admitted: Set<String> = []
            var removed: Set<String> = []
            var next = 0
            for _ in 0..<400 {
                switch Int.random(in: 0..<4, using: &generator) {
                case 0, 1:
                    scheduler.enqueue("w\(next)", priority: Int.random(in: -2...2, using: &generator))
                    next += 1
                case 2:
                    if let id = scheduler.queuedIds.randomElement(using: &generator), scheduler.removeFromQueue(id) {
                        removed.insert(id)
                    }
                default:
                    if let id = scheduler.running.randomElement(using: &generator) { scheduler.release(id) }
                }
                for id in scheduler.admit() {
                    #expect(admitted.insert(id).inserted)
                }
                #expect(scheduler.running.count <= cap)
            }
            #expect(admitted.isDisjoint(with: removed))
            #expect(admitted.count + removed.count + scheduler.queuedCount == next)
        }
    }

    /// Spawns that are checked together (each before any is enqueued) are counted against
    /// each other: free slots take the first, the queue limit the next, and the rest are refused.
    @Test func queuePlacesArePromisedInTheStepThatChecksThem() {
        var scheduler = SessionScheduler(capacity: 2)
        var places: [SessionScheduler.QueuePlace] = []
        for _ in 0..<5 {
            if let place = scheduler.reserveQueuePlace(blocked: false, limit: 3) { places.append(place) }
        }
        #expect(places.count == 5, "two for the free slots and three for the queue")
        let sixth = scheduler.reserveQueuePlace(blocked: false, limit: 3)
        let blockedSixth = scheduler.reserveQueuePlace(blocked: true, limit: 3)
        #expect(sixth == nil && blockedSixth == nil)
        scheduler.giveBack(places.removeLast())
        let again = scheduler.reserveQueuePlace(blocked: false, limit: 3)
        #expect(again != nil, "a place given back can be promised again")
        places += again.map { [$0] } ?? []
        for (index, place) in places.enumerated() { scheduler.enqueue("w\(index)", priority: 0, place: place) }
        #expect(scheduler.admit() == ["w0", "w1"])
        #expect(scheduler.queuedCount == 3)
        let overLimit = scheduler.reserveQueuePlace(blocked: false, limit: 3)
        #expect(overLimit == nil)
    }

    /// A worker that may wait on `after` cannot count on a free slot: it needs a queue place.
    @Test func aBlockedWorkerNeedsAQueuePlaceEvenWithFreeSlots() {
        var scheduler = SessionScheduler(capacity: 4)
        let first = scheduler.reserveQueuePlace(blocked: true, limit: 1)
        let second = scheduler.reserveQueuePlace(blocked: true, limit: 1)
        let ready = scheduler.reserveQueuePlace(blocked: false, limit: 1)
        #expect(first != nil && second == nil)
        #expect(ready != nil, "a ready worker takes a free slot")
        scheduler.enqueue("dependant", priority: 0, blocked: true, place: first)
        scheduler.unblock("dependant")
        let afterUnblock = scheduler.reserveQueuePlace(blocked: true, limit: 1)
        #expect(afterUnblock != nil, "unblocked, the dependant can take a free slot, so its queue place is free again")
    }
}
