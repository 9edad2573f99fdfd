package safeinput

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// wordKeys are the word-deletion keys of the default key map; alt+d with the cursor on
// the last character panics in bubbles v1.0.0's own textinput.
var wordKeys = []tea.KeyMsg{
	{Type: tea.KeyRunes, Runes: []rune{'d'}, Alt: true},
	{Type: tea.KeyDelete, Alt: true},
	{Type: tea.KeyBackspace, Alt: true},
	{Type: tea.KeyCtrlW},
}

// every returns every string over alphabet of length at most n.
func every(alphabet string, n int) []string {
	out := []string{""}
	prev := []string{""}
	for l := 1; l <= n; l++ {
		var next []string
		for _, p := range prev {
			for _, r := range alphabet {
				next = append(next, p+string(r))
			}
		}
		out, prev = append(out, next...), next
	}
	return out
}

// TestWordKeysNeverPanic tries every word-deletion key at every cursor position of every
// short value (the case of the issue: "1", cursor at 0, alt+d) and checks the result
// against the shell's meaning of the key.
func TestWordKeysNeverPanic(t *testing.T) {
	for _, v := range every("a1 ", 5) {
		for pos := 0; pos <= len(v); pos++ {
			for _, k := range wordKeys {
				in := New("› ", 24)
				in.Focus()
				in.SetValue(v)
				in.SetCursor(pos)
				out, _ := Update(in, k)
				var want []rune
				var wantPos int
				if k.Type == tea.KeyBackspace || k.Type == tea.KeyCtrlW {
					want, wantPos = DeleteWordBackward([]rune(v), pos)
				} else {
					want, wantPos = DeleteWordForward([]rune(v), pos)
				}
				if out.Value() != string(want) || out.Position() != wantPos {
					t.Fatalf("%q at %d, %s: got %q at %d, want %q at %d", v, pos, k, out.Value(), out.Position(), string(want), wantPos)
				}
			}
		}
	}
}

func TestDeleteWord(t *testing.T) {
	for _, c := range []struct {
		v        string
		pos      int
		fwd, bwd string
		fpos     int
		bpos     int
	}{
		{"1", 0, "", "1", 0, 0},
		{"1", 1, "1", "", 1, 0},
		{"12 34", 0, " 34", "12 34", 0, 0},
		{"12 34", 2, "12", " 34", 2, 0},
		{"12  34 ", 3, "12  ", " 34 ", 3, 0},
		{"", 0, "", "", 0, 0},
	} {
		f, fp := DeleteWordForward([]rune(c.v), c.pos)
		b, bp := DeleteWordBackward([]rune(c.v), c.pos)
		if string(f) != c.fwd || fp != c.fpos || string(b) != c.bwd || bp != c.bpos {
			t.Errorf("%q at %d: forward %q@%d backward %q@%d, want %q@%d %q@%d", c.v, c.pos, string(f), fp, string(b), bp, c.fwd, c.fpos, c.bwd, c.bpos)
		}
	}
}

// TestPanicKeepsValue: whatever panics inside textinput (here a validator) leaves the
// value and cursor as they were.
func TestPanicKeepsValue(t *testing.T) {
	in := New("› ", 24)
	in.Focus()
	in.SetValue("0.5")
	in.SetCursor(1)
	in.Validate = func(s string) error {
		if s != "0.5" {
			panic("validator")
		}
		return nil
	}
	out, cmd := Update(in, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("9")})
	if out.Value() != "0.5" || out.Position() != 1 || cmd != nil {
		t.Fatalf("after a panic: %q at %d", out.Value(), out.Position())
	}
}

// TestClipboardPasteOff: ctrl+v does not start a clipboard read (an external program).
func TestClipboardPasteOff(t *testing.T) {
	in := New("› ", 24)
	in.Focus()
	if _, cmd := Update(in, tea.KeyMsg{Type: tea.KeyCtrlV}); cmd != nil {
		if msg := cmd(); msg != nil {
			t.Fatalf("ctrl+v ran a command returning %T", msg)
		}
	}
}
