package main

import (
	"bytes"
	"strings"
	"testing"
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
