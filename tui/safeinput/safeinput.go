// Package safeinput wraps the bubbles text input so that no key can crash the explorer:
// the word-deletion keys, which panic in bubbles v1.0.0 (alt+d with the cursor on the
// last character indexes past the end of the value in deleteWordForward), are handled
// here, and any other panic inside the text input keeps the previous value instead of
// ending the program.
package safeinput

import (
	"unicode"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// New returns a text input with prompt, at most limit characters and a steady cursor (no
// blink timer running behind the screen). Pasting from the system clipboard (ctrl+v,
// which runs xclip or xsel) is off: a terminal's own paste arrives as typed text anyway.
func New(prompt string, limit int) textinput.Model {
	in := textinput.New()
	in.Prompt = prompt
	in.CharLimit = limit
	in.Cursor.SetMode(cursor.CursorStatic)
	in.KeyMap.Paste = key.NewBinding(key.WithDisabled())
	return in
}

// Update passes msg to in. The word-deletion keys of in.KeyMap are applied here; a panic
// inside textinput.Update is recovered and leaves the value and cursor as they were.
func Update(in textinput.Model, msg tea.Msg) (out textinput.Model, cmd tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok && in.Focused() && in.EchoMode == textinput.EchoNormal {
		switch {
		case key.Matches(k, in.KeyMap.DeleteWordForward):
			value, pos := DeleteWordForward([]rune(in.Value()), in.Position())
			in.SetValue(string(value))
			in.SetCursor(pos)
			return in, nil
		case key.Matches(k, in.KeyMap.DeleteWordBackward):
			value, pos := DeleteWordBackward([]rune(in.Value()), in.Position())
			in.SetValue(string(value))
			in.SetCursor(pos)
			return in, nil
		}
	}
	value, pos := in.Value(), in.Position()
	defer func() {
		if r := recover(); r != nil {
			// textinput mutates the value's backing array in place: rebuild it from the copy.
			out, cmd = in, nil
			out.SetValue(value)
			out.SetCursor(pos)
		}
	}()
	return in.Update(msg)
}

// DeleteWordForward deletes from pos the blanks and then the word that follow it, as
// alt+d does in a shell; it returns the new value and cursor position. pos is clamped to
// [0, len(v)]; v is not modified.
func DeleteWordForward(v []rune, pos int) ([]rune, int) {
	pos = min(max(pos, 0), len(v))
	end := pos
	for end < len(v) && unicode.IsSpace(v[end]) {
		end++
	}
	for end < len(v) && !unicode.IsSpace(v[end]) {
		end++
	}
	out := append(append([]rune{}, v[:pos]...), v[end:]...)
	return out, pos
}

// DeleteWordBackward deletes before pos the blanks and then the word that precede it, as
// ctrl+w does in a shell; it returns the new value and cursor position.
func DeleteWordBackward(v []rune, pos int) ([]rune, int) {
	pos = min(max(pos, 0), len(v))
	start := pos
	for start > 0 && unicode.IsSpace(v[start-1]) {
		start--
	}
	for start > 0 && !unicode.IsSpace(v[start-1]) {
		start--
	}
	out := append(append([]rune{}, v[:start]...), v[pos:]...)
	return out, start
}
