package cli

import (
	"io"
	"strings"
	"testing"
	"unicode"

	"privtune/tui"
)

// TestExplorerDataReads: what the explorer is told was read off the data matches what the
// release would be refused for (dataReads), its kinds quote no value read off the data
// (no number, no bracket), and it follows the settings view's reloads.
func TestExplorerDataReads(t *testing.T) {
	d := smallData(3, true)
	d.extent, d.bounds = "", "" // the extent and income's clamp range are read off the data
	l, err := d.load()
	if err != nil {
		t.Fatal(err)
	}
	current := &currentData{l: l}
	reads := current.dataReads()
	details := dataReads(l)
	if len(reads) != 3 || len(details) != len(reads) {
		t.Fatalf("reads %v, dataReads %v: want the extent, income's range and sex's values", reads, details)
	}
	for i, r := range reads {
		if r.Detail != details[i] {
			t.Errorf("read %d: detail %q, dataReads says %q", i, r.Detail, details[i])
		}
		if strings.ContainsAny(r.Kind, "[](),:") || strings.IndexFunc(r.Kind, unicode.IsDigit) >= 0 {
			t.Errorf("kind %q may quote a value read off the data", r.Kind)
		}
	}
	if reads[1].Kind != "the clamp range of income" || reads[2].Kind != "the values of sex" {
		t.Errorf("kinds %v", reads)
	}
	reload := reloadUnder(d, current.set)
	if _, err := reload(tui.Setup{CellKM: 3, QIs: []string{"age"}, Bands: []string{"age=0,18,35,65"}}); err != nil {
		t.Fatal(err)
	}
	if reads := current.dataReads(); len(reads) != 2 || reads[0].Kind != "the map extent" || reads[1].Kind != "the clamp range of income" {
		t.Fatalf("after a reload without sex as a QI: %v", reads)
	}
}

// TestReloadDrawsNoProgressBar: the settings view's re-aggregation loads the CSV with its
// progress bar sent nowhere: on the terminal it drew over the explorer's screen, and the
// stray line stayed there (bubbletea repaints only the lines it changes).
func TestReloadDrawsNoProgressBar(t *testing.T) {
	d := smallData(3, false)
	if d.progress != nil {
		t.Fatal("the CLI's load should draw its progress bar on stderr")
	}
	if re := d.withSetup(tui.Setup{CellKM: 3, QIs: []string{"sex"}}); re.progress != io.Discard {
		t.Fatalf("a reload draws its progress bar on %v", re.progress)
	}
}
