package safetext

import "strings"

// Markdown escapes s for a markdown table cell or inline text, so that text from the data
// renders as the same text and never as markup: the characters \ ` * _ [ ] < > ! | ~ &
// get a backslash (CommonMark lets any ASCII punctuation be escaped so), which keeps a
// cell inside its table column and turns <script>, ![x](http://…) and [x](javascript:…)
// into literal text; a leading # + - = (after any spaces) is escaped so it starts no
// heading or list; line breaks become a space so the text stays on its row; other
// control characters are written as visible escapes as Terminal writes them.
func Markdown(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	atStart := true
	for _, r := range Terminal(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)) {
		switch {
		case strings.ContainsRune("\\`*_[]<>!|~&", r):
			b.WriteByte('\\')
		case atStart && strings.ContainsRune("#+-=", r):
			b.WriteByte('\\')
		}
		if r != ' ' {
			atStart = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
