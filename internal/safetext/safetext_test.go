package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCSVField(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"0–17 · F", "0–17 · F"},
		{"Amsterdam", "Amsterdam"},
		{"a=b", "a=b"},
		{"=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")"},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
		{"@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"\tplain", "'\tplain"},
		{"  =1+1", "'  =1+1"},
		{"\u00a0@x", "'\u00a0@x"},
		{"＝1+1", "'＝1+1"},
		{"-5", "'-5"}, // text fields only: the caller keeps numeric columns out
	} {
		if got := CSVField(tc.in); got != tc.want {
			t.Errorf("CSVField(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMarkdown(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"0–17 · F", "0–17 · F"},
		{"a|b", `a\|b`},
		{"<script>alert(1)</script>", `\<script\>alert(1)\</script\>`},
		{"![x](http://evil/p.png)", `\!\[x\](http://evil/p.png)`},
		{"[click](javascript:alert(1))", `\[click\](javascript:alert(1))`},
		{"# heading", `\# heading`},
		{"a # b", "a # b"},
		{"- item", `\- item`},
		{"a-b", "a-b"},
		{"*bold* _it_ `code` ~~s~~", "\\*bold\\* \\_it\\_ \\`code\\` \\~\\~s\\~\\~"},
		{`back\slash`, `back\\slash`},
		{"&lt;b&gt;", `\&lt;b\&gt;`},
		{"line1\nline2\r\nline3", "line1 line2 line3"},
		{"\x1b[31mred", `\\x1b\[31mred`},
	} {
		if got := Markdown(tc.in); got != tc.want {
			t.Errorf("Markdown(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTerminal(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"0–17 · F", "0–17 · F"},
		{`C:\data`, `C:\data`},
		{"\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},
		{"\x1b]8;;http://evil\x07link\x1b]8;;\x07", `\x1b]8;;http://evil\x07link\x1b]8;;\x07`},
		{"\x1b]52;c;ZXZpbA==\x1b\\", `\x1b]52;c;ZXZpbA==\x1b\`},
		{"a\u009b31mb", `a\u009b31mb`},
		{"a\x9b31mb", `a\x9b31mb`}, // invalid UTF-8: the raw 8-bit CSI byte
		{"tab\tnl\ncr\rdel\x7fnul\x00", `tab\tnl\ncr\rdel\x7fnul\x00`},
		{"abc\u202egpj.exe", `abc\u202egpj.exe`},
	} {
		if got := Terminal(tc.in); got != tc.want {
			t.Errorf("Terminal(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// terminalSafe reports the first rune of s a terminal would interpret, if any.
func terminalSafe(s string) (rune, bool) {
	if !utf8.ValidString(s) {
		return utf8.RuneError, false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || unsafeRune(r) {
			return r, false
		}
	}
	return 0, true
}

func FuzzTerminal(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[31m", "\x1b]8;;x\x07", "\u009b", "\x9b", "\xc2\x9b", "\xff\xfe", "é€", "\u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Terminal(s)
		if r, ok := terminalSafe(out); !ok {
			t.Fatalf("Terminal(%q) = %q holds %U", s, out, r)
		}
		if isPlain(s) && out != s {
			t.Fatalf("Terminal changed printable ASCII %q to %q", s, out)
		}
	})
}

func FuzzMarkdown(f *testing.F) {
	for _, s := range []string{"", "a|b", "<script>", "![x](http://e/p.png)", "\\|", "# h", "a\nb", "\x1b[1m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Markdown(s)
		if strings.ContainsAny(out, "\n\r") {
			t.Fatalf("Markdown(%q) = %q breaks the line", s, out)
		}
		if r, ok := terminalSafe(out); !ok {
			t.Fatalf("Markdown(%q) = %q holds %U", s, out, r)
		}
		// Every special character must be preceded by an odd run of backslashes, which
		// makes it literal in CommonMark.
		backslashes := 0
		for i := 0; i < len(out); i++ {
			c := out[i]
			if strings.IndexByte("`*_[]<>!|~&", c) >= 0 && backslashes%2 == 0 {
				t.Fatalf("Markdown(%q) = %q leaves %q at byte %d unescaped", s, out, c, i)
			}
			if c == '\\' {
				backslashes++
			} else {
				backslashes = 0
			}
		}
		if strings.HasPrefix(strings.TrimLeft(out, " "), "#") {
			t.Fatalf("Markdown(%q) = %q starts a heading", s, out)
		}
	})
}

func FuzzCSVField(f *testing.F) {
	for _, s := range []string{"", "=1", " +1", "\t@", "plain", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := CSVField(s)
		if out != s && out != "'"+s {
			t.Fatalf("CSVField(%q) = %q: only a leading quote may be added", s, out)
		}
		if out == s && s != "" {
			first, _ := utf8.DecodeRuneInString(strings.TrimLeft(s, " \t\r\n\v\f\u0085\u00a0"))
			if strings.ContainsRune("=+-@\t\r", rune(s[0])) || strings.ContainsRune("=+-@＝＋－＠", first) {
				t.Fatalf("CSVField(%q) left a formula", s)
			}
		}
	})
}
