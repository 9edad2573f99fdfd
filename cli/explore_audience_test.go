package cli

import (
	"bytes"
	"strings"
	"testing"

	"privtune/tui"
)

// TestAudienceFlag: --audience takes curator or researcher; a researcher screen is never
// replaced by the curator's summary when there is no terminal (tests run without one).
func TestAudienceFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--audience", "nobody"}, `--audience "nobody": want curator or researcher`},
		{[]string{"--audience", "researcher"}, "--audience researcher needs a terminal"},
		{[]string{"--audience", "Researcher"}, "--audience researcher needs a terminal"},
	} {
		root := newRootCommand()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(c.args)
		err := root.Execute()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
		if strings.Contains(out.String(), "people") {
			t.Errorf("%v printed the summary:\n%s", c.args, out.String())
		}
	}
}

// TestSettingsReloadRefusesSensitiveQI: the settings view's re-aggregation goes through
// the same checks as the flags, so a sensitive column (or the measure) chosen as a QI is
// refused with the CLI's message, which the view then shows.
func TestSettingsReloadRefusesSensitiveQI(t *testing.T) {
	d := smallData(3, true)
	d.sensitive = []string{"condition"}
	reload := reloadUnder(d, func(*loaded) { t.Error("a refused setup reached the explorer's data") })
	for _, qis := range [][]string{{"age", "condition"}, {"age", "income"}} {
		_, err := reload(tui.Setup{CellKM: 3, QIs: qis, Bands: []string{"age=0,18,35,65"}})
		if err == nil || !strings.Contains(err.Error(), qis[1]) {
			t.Errorf("QIs %v: error %v, want a refusal naming %s", qis, err, qis[1])
		}
	}
	loads := 0
	reload = reloadUnder(d, func(*loaded) { loads++ })
	if table, err := reload(tui.Setup{CellKM: 3, QIs: []string{"sex"}}); err != nil || table == nil || loads != 1 {
		t.Fatalf("QIs sex: %v (loads %d)", err, loads)
	}
}
