import ArgumentParser
import BosunProtocol
import Foundation
import TraceStore

/// `bosun answer ASK [DECISION] [--text TEXT]`: answers a waiting worker's ask in a session
/// another process serves, through the store's control table, and waits for that process
/// to say what it did.
struct AnswerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "answer",
        abstract: "Answer a waiting worker's ask from another terminal.",
        discussion: """
            A worker that asked waits (state waiting) until someone answers. A permission ask takes a \
            decision: allow, allow_always (the same call is allowed for the rest of the session) or deny, \
            with an optional --text the worker reads. A question takes --text (one of its options' ids when \
            it offers options), or deny to decline it. The ask id (a_…) is in the worker's status (asks), \
            in bosun top and in worker/event "asked". Writes the answer to the trace store; the bosun serve \
            that owns the session takes it within a second. Exits 0 once the ask is answered, 1 if it was \
            already answered, is unknown, the answer does not fit it, or no running bosun serve took it \
            within --wait seconds (the request is then withdrawn, so it never fires later).
            """)

    @OptionGroup var store: StoreOptions
    @Argument(help: ArgumentHelp("The ask id (a_…).", valueName: "ASK")) var ask: String
    @Argument(help: ArgumentHelp("A permission ask's decision; deny also declines a question.", valueName: "DECISION"))
    var decision: AskDecision?
    @Option(help: ArgumentHelp("A question's answer, or a note to the worker with a decision.", valueName: "TEXT")) var text: String?
    @Option(help: ArgumentHelp("How long to wait for the owning bosun serve to answer.", valueName: "SECONDS"))
    var wait: Double = 5

    func validate() throws {
        guard wait > 0 else { throw ValidationError("--wait must be a positive number of seconds; got \(wait).") }
        guard decision != nil || text != nil else {
            throw ValidationError("Give a decision (allow, allow_always or deny) for a permission ask, or --text for a question.")
        }
    }

    func run() async throws {
        try await store.withStore { store in
            guard let record = try await store.ask(id: ask) else { throw TraceStoreError.unknownId(id: ask) }
            if !record.isPending {
                FileHandle.standardError.write(Data("bosun: \(ask) was already answered (by \(record.answeredBy ?? "nobody")).\n".utf8))
                throw ExitCode.failure
            }
            let payload = String(decoding: try JSONEncoder().encode(AnswerParams(askId: ask, decision: decision, text: text)),
                                 as: UTF8.self)
            let request = try await store.requestAnswer(askId: ask, payload: payload)
            switch try await RemoteControl.outcome(of: request, in: store, wait: wait) {
            case "answered"?:
                try emit("answered \(ask)\n", to: nil)
            case let refusal?:
                FileHandle.standardError.write(Data("bosun: \(ask) was not answered: \(refusal)\n".utf8))
                throw ExitCode.failure
            case nil:
                FileHandle.standardError.write(Data("""
                    bosun: no running bosun serve answered within \(wait)s: the session that owns \(ask) is not open \
                    in any process using \(store.path). The request is withdrawn.\n
                    """.utf8))
                throw ExitCode.failure
            }
        }
    }
}

extension AskDecision: ExpressibleByArgument {}
