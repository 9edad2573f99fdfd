package tui

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// DataRead is one public fact of the release that was read off the private data instead
// of being given (the map extent, a clamp range, a QI's values or bands): it is published
// without protection, so the DP claim must be qualified by it.
type DataRead struct {
	// Kind names the fact without any value read off the data ("the values of sex"): it
	// is what a researcher's screen may show.
	Kind string
	// Detail is the curator's full phrase; it may quote values read off the data.
	Detail string
}

// GroupsReadKind is the Kind of the DataRead saying that the groups are the QI
// combinations present in the data (so their list, and their number, are data).
const GroupsReadKind = "the list of groups"

// ClampReadKind is the Kind of the DataRead saying that measure's clamp range [L, U] was
// read off the data (L and U are then the data's exact minimum and maximum).
func ClampReadKind(measure string) string { return "the clamp range of " + measure }

// QIValuesReadKind is the Kind of the DataRead saying that the values of QI column name
// (its group labels) were read off the data.
func QIValuesReadKind(name string) string { return "the values of " + name }

// QIBandingReadKind is the Kind of the DataRead saying that the band edges of QI column
// name were read off the data.
func QIBandingReadKind(name string) string { return "the banding of " + name }

// groupsReadOff reports whether the number of groups is data: the groups are the
// combinations present in the data, or the cross product of QI domains one of which
// (values or band edges) was read off the data.
func (m Model) groupsReadOff() bool {
	if m.readOff(GroupsReadKind) {
		return true
	}
	for _, q := range m.table.QINames {
		if m.readOff(QIValuesReadKind(q)) || m.readOff(QIBandingReadKind(q)) {
			return true
		}
	}
	return false
}

// readOff reports whether the fact of this kind was read off the data of the table shown.
func (m Model) readOff(kind string) bool {
	for _, r := range m.reads {
		if r.Kind == kind {
			return true
		}
	}
	return false
}

// shownOnCuratorScreenOnly stands, on a researcher's screen, for a figure read off the data.
const shownOnCuratorScreenOnly = "read off the data (shown on the curator's screen only)"

// sameReads reports whether a and b name the same facts, in the same words.
func sameReads(a, b []DataRead) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// kindsOf joins the kinds of reads as "a, b and c".
func kindsOf(reads []DataRead) string {
	kinds := make([]string, len(reads))
	for i, r := range reads {
		kinds[i] = safeLabel(r.Kind)
	}
	return joinWords(kinds)
}

// joinWords joins phrases as "a, b and c".
func joinWords(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// acknowledged reports whether w may write a release of the current table: nothing was
// read off its data, or the user accepted it (--acknowledge-data-read, or the key).
func (m Model) acknowledged() bool {
	return len(m.reads) == 0 || m.cfg.Acknowledged || m.ackByKey
}

// moreInHelp ends a line cut short: the full list is in the help (?).
const moreInHelp = "… (? for all)"

// qualificationLine is the DP panel's line that qualifies the claim, cut to width
// columns: the kinds of public facts read off the data (published without DP protection)
// and, when it fits, whether the user accepted publishing them. It is "" when nothing was
// read off the data.
func (m Model) qualificationLine(width int) string {
	if len(m.reads) == 0 {
		return ""
	}
	kinds := make([]string, len(m.reads))
	for i, r := range m.reads {
		kinds[i] = safeLabel(r.Kind)
	}
	line := "  not DP: " + strings.Join(kinds, ", ")
	state := " (accepted)"
	if !m.acknowledged() {
		state = " · A: accept"
	}
	if ansi.StringWidth(line+state) <= width {
		line += state
	}
	return m.styles.Warn.Render(ansi.Truncate(line, max(ansi.StringWidth(moreInHelp), width), moreInHelp))
}

// readsHelp lists, below the full help, everything read off the data: the curator's
// details, or on a researcher's screen the kinds alone (a value list read off the data is
// itself data).
func (m Model) readsHelp() string {
	if len(m.reads) == 0 {
		return ""
	}
	lines := []string{"Read off the data, published without DP protection (the DP claim is qualified):"}
	for _, r := range m.reads {
		what := r.Kind
		if !m.researcher() {
			what = r.Detail
		}
		lines = append(lines, "  • "+safeLabel(what))
	}
	switch {
	case m.cfg.Acknowledged:
		lines = append(lines, "  accepted at start (--acknowledge-data-read)")
	case m.ackByKey:
		lines = append(lines, "  accepted with A")
	default:
		lines = append(lines, "  not accepted: w refuses until you press A (or give them: --extent, --bounds, --band)")
	}
	return strings.Join(lines, "\n")
}

// ackPrompt is the confirmation A asks for, shown in place of the help.
func (m Model) ackPrompt() string {
	return "Accept that " + kindsOf(m.reads) + " " + wasWere(len(m.reads)) + " read off the data? " +
		"They are published without DP protection, and the release's DP claim will say so.\n" +
		"y: accept · any other key: cancel"
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

// askAcknowledge starts A's confirmation, or says why there is nothing to accept.
func (m Model) askAcknowledge() (Model, tea.Cmd) {
	switch {
	case len(m.reads) == 0:
		m.status = "nothing was read off the data: the DP claim is not qualified"
	case m.acknowledged():
		m.status = "already accepted: w writes the release with the qualified DP claim"
	default:
		m.confirmingAck = true
		m.help.ShowAll = false
	}
	return m, nil
}

// onAckKey answers A's confirmation: y accepts, any other key cancels.
func (m Model) onAckKey(k tea.KeyMsg) (Model, tea.Cmd) {
	m.confirmingAck = false
	if k.String() == "y" || k.String() == "Y" {
		m.ackByKey = true
		m.status = "accepted: w writes the release with the qualified DP claim"
		if m.writer.errNamesNoData {
			m.writer.err, m.writer.errNamesNoData = "", false // the refusal no longer holds
		}
		return m, nil
	}
	m.status = "not accepted: w refuses while facts read off the data are not accepted"
	return m, nil
}

// setReads takes what was read off the data of a newly loaded table; the key's
// acceptance is withdrawn when that changed.
func (m *Model) setReads(reads []DataRead) {
	m.keys.Acknowledge.SetEnabled(len(reads) > 0)
	if sameReads(m.reads, reads) {
		return
	}
	m.reads = reads
	if m.ackByKey && len(reads) > 0 {
		m.status = "what is read off the data changed: press A to accept it again"
	}
	m.ackByKey = false
}

// refusal is why w refuses to write: facts read off the data and not accepted (the DP
// panel names them). It quotes nothing read off the data, so a researcher may see it.
func (m Model) refusal() string {
	if m.acknowledged() {
		return ""
	}
	return "w refused: facts read off the data are not accepted · A: accept them"
}
