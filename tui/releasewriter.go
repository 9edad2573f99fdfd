package tui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"privtune/release"
	"privtune/sim"
	"privtune/tui/safeinput"
	"privtune/tui/theme"
)

// releaseMsg reports a stage of writing a release, or its end (done, with err).
type releaseMsg struct {
	stage  string
	done   bool
	err    error
	dir    string
	stream <-chan releaseMsg
}

// releaseWriter asks for a folder and writes the release of the current setting there.
type releaseWriter struct {
	styles  theme.Styles
	asking  bool
	running bool
	input   textinput.Model
	status  string
	err     string
	// errNamesNoData says err quotes nothing read off the data (a researcher may see it).
	errNamesNoData bool
}

func newReleaseWriter(styles theme.Styles) releaseWriter {
	in := safeinput.New("write release to folder › ", 500)
	return releaseWriter{styles: styles, input: in}
}

func (w *releaseWriter) ask() tea.Cmd {
	if w.running {
		return nil
	}
	w.asking, w.err, w.errNamesNoData = true, "", false
	if w.input.Value() == "" {
		w.input.SetValue(defaultReleaseFolder(time.Now(), folderTaken))
	}
	w.input.CursorEnd()
	return w.input.Focus()
}

// Update handles a key while the folder is asked for.
func (w releaseWriter) Update(k tea.KeyMsg, p sim.Params, write func(string, sim.Params, func(string)) error) (releaseWriter, tea.Cmd) {
	switch k.Type {
	case tea.KeyEsc:
		w.asking, w.err = false, ""
		w.input.Blur()
		return w, nil
	case tea.KeyEnter:
		dir := strings.TrimSpace(w.input.Value())
		switch {
		case dir == "":
			w.err = "type a folder name"
			return w, nil
		case p.NoNoise():
			w.err = "ε = ∞ publishes exact counts: use privtune release --no-noise to do that deliberately"
			return w, nil
		}
		// Refuse a folder the release would not replace now, before the release computes
		// anything (predicting the figures takes a while).
		if err := checkReleaseDestination(dir); err != nil {
			w.err = safeLabel(err.Error())
			return w, nil
		}
		w.asking, w.running, w.err = false, true, ""
		w.input.Blur()
		w.status = "writing the release to " + dir + "…"
		return w, startRelease(write, dir, p)
	}
	var cmd tea.Cmd
	w.input, cmd = safeinput.Update(w.input, k)
	return w, cmd
}

// curatorOnlySuffix names the curator record written beside a release DIR: DIR.curator-only.
const curatorOnlySuffix = ".curator-only"

// curatorFolder is the curator record's folder beside the release folder dir.
func curatorFolder(dir string) string { return strings.TrimRight(dir, "/") + curatorOnlySuffix }

// checkReleaseDestination returns why the explorer's release (which never replaces a
// folder) would be refused at dir or at its curator record beside it, or nil. The
// prompt shows dir already, so the message names it "this folder".
func checkReleaseDestination(dir string) error {
	record := curatorFolder(dir)
	if err := release.CheckDestination(record, false); err != nil {
		return errors.New(strings.Replace(err.Error(), filepath.Clean(record), "its record "+filepath.Base(record), 1))
	}
	if err := release.CheckDestination(dir, false); err != nil {
		return errors.New(strings.Replace(err.Error(), filepath.Clean(dir), "this folder", 1))
	}
	return nil
}

// folderTaken says something is at path (a release writes nothing over it).
func folderTaken(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// defaultReleaseFolder is the folder w proposes: privtune-release-YYYY-MM-DD of today,
// or with -2, -3 … added when that name or its curator record is taken. (A plain
// "release" would be the source folder of the release package in privtune's repository.)
func defaultReleaseFolder(today time.Time, taken func(string) bool) string {
	base := "privtune-release-" + today.Format(time.DateOnly)
	name := base
	// Bounded: where nothing can be looked at, every name looks taken; then Enter says why.
	for n := 2; n <= 1000 && (taken(name) || taken(curatorFolder(name))); n++ {
		name = fmt.Sprintf("%s-%d", base, n)
	}
	return name
}

// startRelease runs write in the background and streams its stages.
func startRelease(write func(string, sim.Params, func(string)) error, dir string, p sim.Params) tea.Cmd {
	ch := make(chan releaseMsg, 16)
	go func() {
		defer close(ch)
		err := write(dir, p, func(stage string) {
			select {
			case ch <- releaseMsg{stage: stage, dir: dir}:
			default: // the screen is behind: skip a stage rather than block the release
			}
		})
		ch <- releaseMsg{done: true, err: err, dir: dir}
	}()
	return waitRelease(ch)
}

func waitRelease(ch <-chan releaseMsg) tea.Cmd {
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return nil
		}
		msg.stream = ch
		return msg
	}
}

func (w releaseWriter) onProgress(msg releaseMsg) (releaseWriter, tea.Cmd) {
	if msg.done {
		w.running = false
		if msg.err != nil {
			w.status, w.err, w.errNamesNoData = "", "release not written: "+safeLabel(msg.err.Error()), false
			return w, nil
		}
		w.status = fmt.Sprintf("wrote %s (shareable) and %s (NOT for sharing: true values)",
			safeLabel(msg.dir), safeLabel(curatorFolder(msg.dir)))
		return w, nil
	}
	w.status = safeLabel(msg.stage) + "…"
	return w, waitRelease(msg.stream)
}

// View is one line: the folder prompt, the progress, or the outcome.
func (w releaseWriter) View() string {
	switch {
	case w.asking && w.err != "":
		return w.input.View() + "  " + w.styles.Error.Render(w.err)
	case w.asking:
		return w.input.View() + w.styles.Muted.Render("  (enter: write, esc: cancel)")
	case w.err != "":
		return w.styles.Error.Render(w.err)
	case w.status != "":
		return w.styles.Accent.Render(w.status)
	}
	return ""
}

// releaseRefusedHere is why w writes nothing on the researcher screen: releasing (which
// writes the curator record of true values beside the release) is the curator's act.
// Both fit an 80-column header after the audience badge.
func releaseRefusedHere(audienceLocked bool) string {
	if audienceLocked {
		return "releasing is the curator's: start without --audience researcher"
	}
	return "w: releasing is the curator's; switch with a"
}
