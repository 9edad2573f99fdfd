package tui

import (
	"errors"
	"strings"
	"testing"

	"privtune/sim"
)

// readsFixture is what a loader reports as read off the data: the details quote values
// read off it (F, M and a bounding box), the kinds do not.
var readsFixture = []DataRead{
	{Kind: "the map extent", Detail: "the map extent (bounding box 48.1 11.4 48.3 11.7)"},
	{Kind: "the values of sex", Detail: "the value list of sex: F, M"},
}

// ackConfig is testConfig whose data has readsFixture read off it, with a release writer
// that behaves like privtune's (refuses unless acknowledged) and records its calls.
func ackConfig(t *testing.T, writes *[]bool) Config {
	cfg := testConfig(t)
	cfg.DataReads = func() []DataRead { return readsFixture }
	cfg.WriteRelease = func(dir string, p sim.Params, acknowledged bool, _ SignOff, stage func(string)) error {
		*writes = append(*writes, acknowledged)
		if !acknowledged {
			return errors.New("refusing to release: not acknowledged")
		}
		return nil
	}
	return cfg
}

// TestAcknowledgeKey: w refuses (without calling the writer) while what was read off the
// data is not accepted; A asks for a confirmation, n keeps refusing, y accepts, and then w
// writes with acknowledged = true.
func TestAcknowledgeKey(t *testing.T) {
	var writes []bool
	m := startConfig(t, ackConfig(t, &writes), 80, 24)
	m = keys(t, m, "w")
	if m.writer.asking || len(writes) != 0 || !strings.Contains(m.View(), "w refused: facts read off the data are not accepted · A: accept") {
		t.Fatalf("w before A: asking %v, writes %v:\n%s", m.writer.asking, writes, m.View())
	}
	m = keys(t, m, "A")
	if v := m.View(); !m.confirmingAck || !strings.Contains(v, "Accept that the map extent and the values of sex were read off the data?") ||
		!strings.Contains(v, "published without DP protection") {
		t.Fatalf("A asks no confirmation:\n%s", v)
	}
	checkFits(t, m.View(), 80, 24)
	m = keys(t, m, "n", "w")
	if m.acknowledged() || m.writer.asking || len(writes) != 0 {
		t.Fatalf("n accepted: acknowledged %v, asking %v, writes %v", m.acknowledged(), m.writer.asking, writes)
	}
	m = keys(t, m, "A", "y")
	if !m.acknowledged() || strings.Contains(m.View(), "w refused") {
		t.Fatalf("y did not accept, or the refusal stays on screen:\n%s", m.View())
	}
	m = keys(t, m, writeKeys...)
	// At 80 columns the outcome has no room for the default folder's name.
	if len(writes) != 1 || !writes[0] || !strings.Contains(m.View(), "wrote the release; its .curator-only folder is NOT for sharing") {
		t.Fatalf("w after A: writes %v:\n%s", writes, m.View())
	}
}

// TestAcknowledgedAtStart: started with --acknowledge-data-read, w writes at once with
// acknowledged = true, and the DP panel says the facts were accepted.
func TestAcknowledgedAtStart(t *testing.T) {
	var writes []bool
	cfg := ackConfig(t, &writes)
	cfg.Acknowledged = true
	m := startConfig(t, cfg, 140, 45)
	if !strings.Contains(m.View(), "not DP: the map extent, the values of sex (accepted)") {
		t.Fatalf("DP panel:\n%s", m.View())
	}
	m = keys(t, m, writeKeys...)
	if len(writes) != 1 || !writes[0] {
		t.Fatalf("writes %v", writes)
	}
}

// TestDPLineQualified: the DP panel names the kinds read off the data in one line that
// fits its column (cut with a pointer to the help), never the values; the help lists the
// curator's details, and on the researcher's screen only the kinds.
func TestDPLineQualified(t *testing.T) {
	var writes []bool
	m := startConfig(t, ackConfig(t, &writes), 140, 45)
	if v := m.View(); !strings.Contains(v, "not DP: the map extent, the values of sex · A: accept") {
		t.Fatalf("no qualification on the DP panel at 140 columns:\n%s", v)
	}
	m = keys(t, m, "?")
	if v := m.View(); !strings.Contains(v, "the value list of sex: F, M") || !strings.Contains(v, "w refuses until you press A") {
		t.Fatalf("the curator's help lacks the details:\n%s", v)
	}
	checkFits(t, m.View(), 140, 45)

	cfg := ackConfig(t, &writes)
	cfg.DataReads = func() []DataRead {
		return append(readsFixture, DataRead{Kind: "the banding of age", Detail: "the banding of age (its band edges)"})
	}
	m = startConfig(t, cfg, 80, 24)
	if v := m.View(); !strings.Contains(v, "not DP: the map extent, the v"+moreInHelp) {
		t.Fatalf("no cut qualification at 80 columns:\n%s", v)
	}
	checkFits(t, m.View(), 80, 24)

	m = startConfig(t, ackConfig(t, &writes), 80, 24)
	m = keys(t, m, "a")
	if v := m.View(); !m.researcher() || !strings.Contains(v, "not DP: the map extent, the values of sex") {
		t.Fatalf("no qualification on the researcher's screen:\n%s", v)
	}
	m = keys(t, m, "w")
	if v := m.View(); !strings.Contains(v, "w: releasing is the curator's") {
		t.Fatalf("the researcher's screen does not say why w refused:\n%s", v)
	}
	m = keys(t, m, "?")
	v := m.View()
	if !strings.Contains(v, "• the values of sex") {
		t.Fatalf("the researcher's help lacks the kinds:\n%s", v)
	}
	for _, value := range []string{"F, M", "48.1", "bounding box"} {
		if strings.Contains(v, value) {
			t.Errorf("the researcher's screen shows %q, read off the data:\n%s", value, v)
		}
	}
}

// TestReloadWithdrawsAcknowledgement: a settings reload that changes what is read off the
// data withdraws A's acceptance (w refuses again); one that does not keeps it.
func TestReloadWithdrawsAcknowledgement(t *testing.T) {
	var writes []bool
	cfg := ackConfig(t, &writes)
	current, next := readsFixture, readsFixture
	cfg.DataReads = func() []DataRead { return current }
	cfg.Reload = func(Setup) (*sim.Table, error) {
		current = next
		return smallTable(t), nil
	}
	m := startConfig(t, cfg, 100, 30)
	m = keys(t, m, "A", "y", "s", "down", "down", "down", "down", "esc") // the settings' cursor on the cell size
	reloadCell := func(m Model, cell string) Model {
		m = keys(t, m, "s", "enter", "backspace", cell, "enter", "esc")
		if m.cfg.Setup.CellKM != float64(cell[0]-'0') {
			t.Fatalf("no reload to a %s km cell: setup %+v", cell, m.cfg.Setup)
		}
		return m
	}
	m = reloadCell(m, "2")
	if !m.acknowledged() {
		t.Fatal("a reload reading the same facts withdrew the acceptance")
	}
	next = readsFixture[:1]
	m = reloadCell(m, "3")
	if m.acknowledged() || len(m.reads) != 1 {
		t.Fatalf("a reload reading other facts kept the acceptance (reads %v)", m.reads)
	}
	m = keys(t, m, "w")
	if m.writer.asking || len(writes) != 0 {
		t.Fatalf("w after the reload: asking %v, writes %v", m.writer.asking, writes)
	}
	next = nil
	m = reloadCell(m, "2")
	m = keys(t, m, "w")
	if v := m.View(); !m.writer.asking || strings.Contains(v, "not DP:") {
		t.Fatalf("nothing read off the data: asking %v:\n%s", m.writer.asking, v)
	}
}
