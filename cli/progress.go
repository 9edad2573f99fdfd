package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
)

// progressBar draws "loading FILE  42% [#####·····]" on a terminal, at most ten times a
// second; it draws nothing when the output is not a terminal.
type progressBar struct {
	w     io.Writer
	label string
	on    bool
	last  time.Time
	drawn bool
}

func newProgressBar(w io.Writer, label string) *progressBar {
	on := false
	if f, ok := w.(*os.File); ok {
		on = isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
	}
	return &progressBar{w: w, label: label, on: on}
}

// update redraws the bar for done of total bytes (total 0: unknown).
func (p *progressBar) update(done, total int64) {
	if !p.on || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.drawn = true
	if total <= 0 {
		fmt.Fprintf(p.w, "\rloading %s  %.1f MB", p.label, float64(done)/1e6)
		return
	}
	frac := min(float64(done)/float64(total), 1)
	const width = 30
	full := int(frac * width)
	fmt.Fprintf(p.w, "\rloading %s %3.0f%% [%s%s] %.1f/%.1f MB", p.label, 100*frac,
		strings.Repeat("#", full), strings.Repeat("·", width-full), float64(done)/1e6, float64(total)/1e6)
}

// status shows a line of text in place of the bar.
func (p *progressBar) status(text string) {
	if !p.on || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.drawn = true
	fmt.Fprintf(p.w, "\r\033[K%s", text)
}

// done clears the bar.
func (p *progressBar) done() {
	if p.on && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
