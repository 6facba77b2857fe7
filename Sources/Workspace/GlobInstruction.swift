/// One instruction of a compiled glob (a Thompson automaton): the consuming ones take one
/// Unicode scalar and continue at the next instruction; `split` and `jump` consume nothing.
enum GlobInstruction: Sendable {
    case scalar(Unicode.Scalar)
    /// `?`, and the body of `*`.
    case anyButSlash
    /// The body of a `**` that is not followed by `/`.
    case anything
    case characterClass(GlobCharacterClass)
    /// Continue at both.
    case split(Int, Int)
    case jump(Int)
    case match

    func consumes(_ scalar: Unicode.Scalar) -> Bool {
        switch self {
        case .scalar(let expected): expected == scalar
        case .anyButSlash: scalar != "/"
        case .anything: true
        case .characterClass(let characterClass): characterClass.contains(scalar)
        case .split, .jump, .match: false
        }
    }
}
