import Foundation

/// Turns an HTML page into readable plain text for a model: scripts, styles and markup
/// dropped, block elements on their own lines, list items and headings marked, entities
/// decoded, whitespace collapsed.
enum HTMLText {
    private static func regex(_ pattern: String) -> NSRegularExpression {
        // The patterns are constants; a failure here is a programming error caught by the tests.
        try! NSRegularExpression(pattern: pattern, options: [.caseInsensitive, .dotMatchesLineSeparators])
    }

    private static let dropped = regex("<!--.*?-->|<(script|style|noscript|svg|template|iframe)\\b[^>]*>.*?</\\1\\s*>")
    private static let title = regex("<title\\b[^>]*>(.*?)</title\\s*>")
    private static let head = regex("<head\\b[^>]*>.*?</head\\s*>")
    private static let heading = regex("<h([1-6])\\b[^>]*>")
    private static let listItem = regex("<li\\b[^>]*>")
    private static let block = regex("</?(p|div|br|hr|tr|table|section|article|header|footer|nav|main|aside|pre|blockquote|ul|ol|dl|dt|dd|h[1-6]|figure|figcaption|form)\\b[^>]*/?>")
    private static let cell = regex("</?(td|th)\\b[^>]*>")
    private static let tag = regex("<[^>]*>")
    private static let spaces = regex("[ \\t\\u00a0]+")
    private static let blankLines = regex("\\n\\s*\\n(\\s*\\n)+")

    static func text(fromHTML html: String) -> String {
        var page = html
        let pageTitle = firstGroup(title, in: page).map { decodeEntities(strip(tag, $0)).trimmingCharacters(in: .whitespacesAndNewlines) }
        page = replace(dropped, in: page, with: " ")
        page = replace(head, in: page, with: " ")
        page = page.replacingOccurrences(of: "\r\n", with: "\n")
        page = replace(spaces, in: page.replacingOccurrences(of: "\n", with: " "), with: " ")
        page = replace(heading, in: page, with: "\n\n# ")
        page = replace(listItem, in: page, with: "\n- ")
        page = replace(block, in: page, with: "\n")
        page = replace(cell, in: page, with: " | ")
        page = strip(tag, page)
        page = decodeEntities(page)
        page = replace(spaces, in: page, with: " ")
        page = page.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
        page = replace(blankLines, in: page, with: "\n\n").trimmingCharacters(in: .whitespacesAndNewlines)
        if let pageTitle, !pageTitle.isEmpty { return "Title: \(pageTitle)\n\n\(page)" }
        return page
    }

    private static func replace(_ regex: NSRegularExpression, in text: String, with template: String) -> String {
        regex.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text),
                                       withTemplate: NSRegularExpression.escapedTemplate(for: template))
    }

    private static func strip(_ regex: NSRegularExpression, _ text: String) -> String { replace(regex, in: text, with: "") }

    private static func firstGroup(_ regex: NSRegularExpression, in text: String) -> String? {
        guard let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let range = Range(match.range(at: 1), in: text) else { return nil }
        return String(text[range])
    }

    private static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "mdash": "—", "ndash": "–",
        "hellip": "…", "copy": "©", "reg": "®", "trade": "™", "laquo": "«", "raquo": "»", "lsquo": "‘", "rsquo": "’",
        "ldquo": "“", "rdquo": "”", "bull": "•", "middot": "·", "euro": "€", "pound": "£", "deg": "°", "times": "×",
    ]

    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if c == "&", let semicolon = text[index...].prefix(12).firstIndex(of: ";") {
                let name = String(text[text.index(after: index)..<semicolon])
                var decoded: String?
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    decoded = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                } else if name.hasPrefix("#") {
                    decoded = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                } else {
                    decoded = namedEntities[name]
                }
                if let decoded {
                    out += decoded
                    index = text.index(after: semicolon)
                    continue
                }
            }
            out.append(c)
            index = text.index(after: index)
        }
        return out
    }
}
