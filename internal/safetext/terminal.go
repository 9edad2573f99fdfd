package safetext

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Terminal makes s safe to print to a terminal: every control character is replaced by a
// visible escape, so no escape sequence from the data (CSI "\x1b[2J", OSC "\x1b]8;;…",
// a bare C1 CSI U+009B, a bell, a carriage return that overwrites the line) reaches the
// terminal raw. C0 controls and DEL become \t, \n, \r or \xHH; C1 controls (U+0080 to
// U+009F) and the bidirectional overrides and isolates that reorder what is displayed
// (U+202A to U+202E, U+2066 to U+2069) and the line and paragraph separators U+2028,
// U+2029 become \uHHHH; a byte that is not valid UTF-8 becomes \xHH. All other text,
// including the backslash, is kept as it is.
func Terminal(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// unsafeRune reports whether a non-ASCII rune is a C1 control or reorders or breaks the
// displayed line.
func unsafeRune(r rune) bool {
	return (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x2028 || r == 0x2029
}

// isPlain reports whether s is printable ASCII, the common case, which needs no copy.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
