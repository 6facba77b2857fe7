import Promises
import Testing

@Suite struct PromiseTests {
    @Test func theFirstFulfilWinsForEveryWaiterBeforeAndAfterIt() async {
        let promise = Promise<Int>()
        let early = Task { await promise.value }
        // `early` may or may not be waiting yet; either way it must get the first value.
        #expect(promise.fulfil(1))
        #expect(!promise.fulfil(2), "a second fulfil changes nothing")
        #expect(await early.value == 1)
        #expect(await promise.value == 1, "a waiter that comes after gets the value at once")
    }

    @Test func everyWaiterIsResumed() async {
        let promise = Promise<String>()
        let waiters = (0..<20).map { _ in Task { await promise.value } }
        promise.fulfil("done")
        for waiter in waiters { #expect(await waiter.value == "done") }
    }

    @Test func racedFulfilsFromManyThreadsSetItOnce() async {
        let promise = Promise<Int>()
        let winners = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<50 { group.addTask { promise.fulfil(index) } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(winners == 1)
    }
}
