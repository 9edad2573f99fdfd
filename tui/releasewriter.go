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
	"github.com/charmbracelet/lipgloss"

	"privtune/agree"

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

// SignOff is who signs off a release written from the explorer, and their note: both go
// into the curator record.
type SignOff struct {
	By, Note string
	// Requirements are the requirements listed in the explorer when w was pressed; they
	// are recorded with the release, each with its value at the released setting.
	Requirements []agree.Requirement
	// Force is true when the user chose to release although a requirement is not met.
	Force bool
}

// clearStatusMsg clears the writer's outcome seq once it has been shown for a while.
type clearStatusMsg struct{ seq int }

// defaultMessageTime is how long a release's outcome stays in the header.
const defaultMessageTime = 6 * time.Second

// The fields of the release form, in order.
const (
	writeFolder = iota
	writeSigner
	writeNote
	numWriteFields
)

// releaseWriter asks, in a small form, for a folder, who signs off and a note, and writes
// the release of the current setting there.
type releaseWriter struct {
	styles  theme.Styles
	asking  bool
	running bool
	// input is the folder; signer and note the sign-off; focus the field typed in.
	input, signer, note textinput.Model
	focus               int
	status              string
	// shorter are shorter wordings of the status shorterOf, for a narrow header (View
	// uses them only while that is still the status).
	shorter   []string
	shorterOf string
	err       string
	// errNamesNoData says err quotes nothing read off the data (a researcher may see it).
	errNamesNoData bool
	// seq numbers the outcomes: a clear timer of an older one does nothing.
	seq int
	// reqs are the requirements listed when w was pressed (they go into the record);
	// unmet says which are not met at the setting (lines for the form). With some,
	// writing asks for confirmForce: f releases anyway, esc goes back to the form.
	reqs         []agree.Requirement
	unmet        []string
	confirmForce bool
}

func newReleaseWriter(styles theme.Styles) releaseWriter {
	return releaseWriter{styles: styles,
		input:  safeinput.New("folder          › ", 500),
		signer: safeinput.New("signed off by   › ", 100),
		note:   safeinput.New("note (optional) › ", 300),
	}
}

// field returns the form's field i.
func (w *releaseWriter) field(i int) *textinput.Model {
	switch i {
	case writeSigner:
		return &w.signer
	case writeNote:
		return &w.note
	}
	return &w.input
}

func (w *releaseWriter) ask() tea.Cmd {
	if w.running {
		return nil
	}
	w.asking, w.err, w.status, w.errNamesNoData, w.confirmForce = true, "", "", false, false
	if w.input.Value() == "" {
		w.input.SetValue(defaultReleaseFolder(time.Now(), folderTaken))
	}
	return w.focusOn(writeFolder)
}

// focusOn moves the typing to field i.
func (w *releaseWriter) focusOn(i int) tea.Cmd {
	for f := 0; f < numWriteFields; f++ {
		w.field(f).Blur()
	}
	w.focus = i
	w.field(i).CursorEnd()
	return w.field(i).Focus()
}

// clear forgets the outcome shown (the next key, or its timer).
func (w *releaseWriter) clear() {
	if !w.asking && !w.running {
		w.status, w.err, w.errNamesNoData = "", "", false
	}
}

// Update handles a key while the form is open: tab and shift+tab (↑/↓) move between the
// fields, enter moves on and, on the last field, writes. Leaving the folder checks it at
// once: a folder that exists is refused before anything is computed.
func (w releaseWriter) Update(k tea.KeyMsg, p sim.Params, write func(string, sim.Params, SignOff, func(string)) error) (releaseWriter, tea.Cmd) {
	move := func(to int) (releaseWriter, tea.Cmd) {
		if w.focus == writeFolder && to != writeFolder {
			if why := w.checkFolder(); why != "" {
				w.err = why
				return w, nil
			}
		}
		w.err = ""
		return w, w.focusOn((to + numWriteFields) % numWriteFields)
	}
	if w.confirmForce {
		// Only f (release although a requirement is not met) or esc (back) act here.
		switch k.String() {
		case "f":
			w.confirmForce = false
			return w.submit(p, write, true)
		case "esc":
			w.confirmForce = false
			return w, w.focusOn(w.focus)
		}
		return w, nil
	}
	switch k.String() {
	case "esc":
		w.asking, w.err = false, ""
		w.field(w.focus).Blur()
		return w, nil
	case "tab", "down":
		return move(w.focus + 1)
	case "shift+tab", "up":
		return move(w.focus - 1)
	case "enter":
		if w.focus < numWriteFields-1 {
			return move(w.focus + 1)
		}
		return w.submit(p, write, false)
	}
	var cmd tea.Cmd
	*w.field(w.focus), cmd = safeinput.Update(*w.field(w.focus), k)
	return w, cmd
}

// checkFolder returns why the folder typed is refused, or "".
func (w releaseWriter) checkFolder() string {
	dir := strings.TrimSpace(w.input.Value())
	if dir == "" {
		return "type a folder name"
	}
	if err := checkReleaseDestination(dir); err != nil {
		return safeLabel(err.Error())
	}
	return ""
}

// submit checks the form and starts writing.
// A requirement not met at the setting needs force (f on the confirmation).
func (w releaseWriter) submit(p sim.Params, write func(string, sim.Params, SignOff, func(string)) error, force bool) (releaseWriter, tea.Cmd) {
	if why := w.checkFolder(); why != "" {
		w.err = why
		return w, w.focusOn(writeFolder)
	}
	signed := SignOff{By: strings.TrimSpace(w.signer.Value()), Note: strings.TrimSpace(w.note.Value()),
		Requirements: append([]agree.Requirement(nil), w.reqs...)}
	switch {
	case signed.By == "":
		w.err = "type who signs off the release"
		return w, w.focusOn(writeSigner)
	case p.NoNoise():
		w.err = "ε = ∞ publishes exact counts: use privtune release --no-noise to do that deliberately"
		return w, nil
	case len(w.unmet) > 0 && !force:
		w.err, w.confirmForce = "", true
		w.field(w.focus).Blur()
		return w, nil
	}
	signed.Force = len(w.unmet) > 0
	dir := strings.TrimSpace(w.input.Value())
	w.asking, w.running, w.err = false, true, ""
	w.field(w.focus).Blur()
	w.status = "writing the release to " + safeLabel(dir) + "…"
	return w, startRelease(write, dir, p, signed)
}

// curatorOnlySuffix names the curator record written beside a release DIR: DIR.curator-only.
const curatorOnlySuffix = ".curator-only"

// curatorFolder is the curator record's folder beside the release folder dir.
func curatorFolder(dir string) string { return strings.TrimRight(dir, "/") + curatorOnlySuffix }

// checkReleaseDestination returns why the explorer's release (which never replaces a
// folder) would be refused at dir or at its curator record beside it, or nil, in the
// screen's words: whatever is there already, the answer is to choose another folder.
func checkReleaseDestination(dir string) error {
	record := curatorFolder(dir)
	switch {
	case folderTaken(dir):
		return fmt.Errorf("%s exists; choose another folder", filepath.Clean(dir))
	case folderTaken(record):
		return fmt.Errorf("its curator record %s exists; choose another folder", filepath.Base(record))
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
func startRelease(write func(string, sim.Params, SignOff, func(string)) error, dir string, p sim.Params, signed SignOff) tea.Cmd {
	ch := make(chan releaseMsg, 16)
	go func() {
		defer close(ch)
		err := write(dir, p, signed, func(stage string) {
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

func (w releaseWriter) onProgress(msg releaseMsg, messageTime time.Duration) (releaseWriter, tea.Cmd) {
	if !msg.done {
		w.status = "writing " + safeLabel(msg.dir) + " · " + safeLabel(msg.stage) + "…"
		w.shorter, w.shorterOf = []string{"writing " + safeLabel(filepath.Base(msg.dir)) + " · " + safeLabel(msg.stage) + "…"}, w.status
		return w, waitRelease(msg.stream)
	}
	w.running = false
	w.seq++
	switch {
	case errors.Is(msg.err, release.ErrExists), errors.Is(msg.err, release.ErrNotRelease):
		// Made between the check and the write.
		w.status, w.err, w.errNamesNoData = "", "release not written: "+safeLabel(msg.dir)+" exists; choose another folder", true
	case msg.err != nil:
		w.status, w.err, w.errNamesNoData = "", "release not written: "+safeLabel(msg.err.Error()), false
	default:
		w.status = fmt.Sprintf("wrote %s (shareable) and %s (NOT for sharing)",
			safeLabel(msg.dir), safeLabel(curatorFolder(msg.dir)))
		// Narrower: the folders' names, the release's alone, then none; never without
		// the warning.
		w.shorter = []string{fmt.Sprintf("wrote %s (shareable) and %s (NOT for sharing)",
			safeLabel(filepath.Base(msg.dir)), safeLabel(filepath.Base(curatorFolder(msg.dir)))),
			"wrote " + safeLabel(filepath.Base(msg.dir)) + "; its " + curatorOnlySuffix + " folder is NOT for sharing",
			"wrote the release; its " + curatorOnlySuffix + " folder is NOT for sharing"}
		w.shorterOf = w.status
	}
	if messageTime <= 0 {
		return w, nil
	}
	seq := w.seq
	return w, tea.Tick(messageTime, func(time.Time) tea.Msg { return clearStatusMsg{seq: seq} })
}

// onClear clears the outcome seq, unless another has replaced it.
func (w releaseWriter) onClear(msg clearStatusMsg) releaseWriter {
	if msg.seq == w.seq {
		w.clear()
	}
	return w
}

// formView is the release form, in a panel of width columns.
func (w releaseWriter) formView(width int) string {
	s := w.styles
	lines := []string{s.Title.Render("Write the release"), ""}
	for f := 0; f < numWriteFields; f++ {
		marker := "  "
		if f == w.focus {
			marker = s.Focused.Render("▸ ")
		}
		lines = append(lines, marker+w.field(f).View())
	}
	about := "the folder gets the shareable release; FOLDER" + curatorOnlySuffix + " beside it the curator record " +
		"(NOT for sharing: true values), which names who signed off and the note"
	lines = append(lines, "", s.Muted.Render(lipgloss.NewStyle().Width(max(20, width-4)).Render(about)), "")
	if len(w.reqs) > 0 && len(w.unmet) == 0 {
		lines = append(lines, s.Badge.Render(fmt.Sprintf("every requirement met at this setting (%d, recorded with the release)", len(w.reqs))), "")
	}
	if len(w.unmet) > 0 {
		lines = append(lines, s.Warn.Render(fmt.Sprintf("not met at this setting (%d of %d requirements):", len(w.unmet), len(w.reqs))))
		for i, u := range w.unmet {
			if i == 4 && len(w.unmet) > 5 {
				lines = append(lines, s.Warn.Render(fmt.Sprintf("  … and %d more", len(w.unmet)-4)))
				break
			}
			lines = append(lines, s.Warn.Render(cutLabel("  "+u, max(20, width-6))))
		}
		lines = append(lines, "")
	}
	if w.err != "" {
		lines = append(lines, s.Error.Render(w.err))
	}
	if w.confirmForce {
		lines = append(lines, s.Error.Render("press f to release anyway (recorded as released despite an unmet requirement) · esc back to the form"))
	} else {
		lines = append(lines, s.Help.Render("tab/↓ next field · enter next, on the note: write · esc cancel"))
	}
	return s.Panel.Width(max(20, width-2)).Render(strings.Join(lines, "\n"))
}

// View is one line: the form's title, the progress, or the outcome, in the first of its
// wordings at most room cells wide (room ≤ 0: the first).
func (w releaseWriter) View(room int) string {
	switch {
	case w.asking:
		return w.styles.Accent.Render("write release to folder: fill in the form") + w.styles.Muted.Render("  (esc: cancel)")
	case w.err != "":
		return w.styles.Error.Render(w.err)
	case w.status != "":
		status := w.status
		for _, s := range w.shorter {
			if room <= 0 || lipgloss.Width(status) <= room || w.shorterOf != w.status {
				break
			}
			status = s
		}
		return w.styles.Accent.Render(status)
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
