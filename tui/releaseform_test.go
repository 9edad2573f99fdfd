package tui

import (
	"os"
	"strings"
	"testing"
	"time"

	"privtune/sim"
)

// writeKeys open the release form and write to the folder proposed, signed off by Ada.
var writeKeys = []string{"w", "enter", "Ada", "enter", "enter"}

// TestReleaseFormSignOff: the form collects the folder, who signs off and a note, and
// passes them to Config.WriteRelease; a release needs someone to sign it off.
func TestReleaseFormSignOff(t *testing.T) {
	cfg := testConfig(t)
	t.Chdir(t.TempDir()) // w writes relative to where privtune runs
	var gotDir string
	var got SignOff
	calls := 0
	cfg.WriteRelease = func(dir string, _ sim.Params, _ bool, signed SignOff, stage func(string)) error {
		stage("drawing the noise")
		calls++
		gotDir, got = dir, signed
		return nil
	}
	m := startConfig(t, cfg, 80, 24)
	m = keys(t, m, "w")
	v := m.View()
	checkFits(t, v, 80, 24)
	for _, want := range []string{"folder", "signed off by", "note (optional)", "write release to folder"} {
		if !strings.Contains(v, want) {
			t.Fatalf("the form lacks %q:\n%s", want, v)
		}
	}
	m.writer.input.SetValue("rel-a")
	m = keys(t, m, "tab", "tab", "enter") // to the note, then write: nobody signed off
	if calls != 0 || !strings.Contains(m.View(), "type who signs off the release") || m.writer.focus != writeSigner {
		t.Fatalf("written without a sign-off (calls %d):\n%s", calls, m.View())
	}
	m = keys(t, m, "Ada Curator", "enter", "checked with the owner", "enter")
	if calls != 1 || gotDir != "rel-a" || got.By != "Ada Curator" || got.Note != "checked with the owner" || got.Force {
		t.Fatalf("WriteRelease(%q, %+v), %d calls", gotDir, got, calls)
	}
	if !strings.Contains(m.View(), "wrote rel-a") {
		t.Fatalf("no outcome:\n%s", m.View())
	}
}

// TestReleaseFormExistingFolderAtOnce: a folder that exists is refused as soon as the
// folder field is left, in the screen's words, and nothing is computed.
func TestReleaseFormExistingFolderAtOnce(t *testing.T) {
	cfg := testConfig(t)
	t.Chdir(t.TempDir())
	if err := os.Mkdir("taken", 0o755); err != nil {
		t.Fatal(err)
	}
	calls := 0
	cfg.WriteRelease = func(string, sim.Params, bool, SignOff, func(string)) error { calls++; return nil }
	m := startConfig(t, cfg, 80, 24)
	m = keys(t, m, "w")
	m.writer.input.SetValue("taken")
	m = keys(t, m, "enter")
	v := m.View()
	if calls != 0 || m.writer.focus != writeFolder || !strings.Contains(v, "taken exists; choose another folder") || strings.Contains(v, "--force") {
		t.Fatalf("an existing folder not refused at once (calls %d):\n%s", calls, v)
	}
	// Nor by skipping to the end of the form.
	m.writer.focus = writeNote
	m = keys(t, m, "enter")
	if calls != 0 || !strings.Contains(m.View(), "taken exists; choose another folder") {
		t.Fatalf("written to an existing folder: calls %d", calls)
	}
}

// TestReleaseMessageClears: the outcome goes on the next key, or after MessageTime.
func TestReleaseMessageClears(t *testing.T) {
	cfg := testConfig(t)
	t.Chdir(t.TempDir()) // w writes relative to where privtune runs
	cfg.WriteRelease = func(string, sim.Params, bool, SignOff, func(string)) error { return nil }
	m := startConfig(t, cfg, 100, 30)
	m = keys(t, m, writeKeys...)
	if !strings.Contains(m.View(), "wrote privtune-release-") {
		t.Fatalf("no outcome:\n%s", m.View())
	}
	m = keys(t, m, "e")
	if strings.Contains(m.View(), "wrote privtune-release-") {
		t.Fatalf("the outcome stays after a key:\n%s", m.View())
	}
	cfg.MessageTime = time.Millisecond // drive waits for the timer and delivers it
	m = startConfig(t, cfg, 100, 30)
	m = keys(t, m, "w")
	m.writer.input.SetValue("second")
	m = keys(t, m, "enter", "Ada", "enter", "enter")
	if v := m.View(); strings.Contains(v, "wrote second") || m.writer.status != "" {
		t.Fatalf("the outcome stays after its time:\n%s", v)
	}
}
