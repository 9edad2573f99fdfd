package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"privtune/internal/safetext"

	"github.com/spf13/cobra"
)

// version is privtune's version, recorded in every decision record.
const version = "0.1.0"

// Main runs the command line on os.Args and returns the process exit status, printing a
// failure's message to stderr (0 on success).
func Main(stderr io.Writer) int {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(stderr, "privtune:", terminalLines(err.Error()))
		return exitCode(err)
	}
	return 0
}

// terminalLines escapes every control character of s for a terminal except the line
// breaks between its lines: a message may quote a file name or a value from the data.
func terminalLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		lines[i] = safetext.Terminal(line)
	}
	return strings.Join(lines, "\n")
}

// exitError carries a specific exit status (e.g. 1 for a failed check).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// exitCode maps an error to the process exit status: 2 for usage and input errors
// unless the error says otherwise.
func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 2
}

func newRootCommand() *cobra.Command {
	var data dataFlags
	var knobs knobFlags
	var decisionFile string
	var acknowledged bool
	var reqFlags requirementFlags
	root := &cobra.Command{
		Use:   "privtune",
		Short: "Explore what differential privacy, minimum counts and smoothing cost and buy",
		Long: `privtune loads a population (an embedded sample, or your CSV), aggregates it to a grid of
map cells × demographic groups, and shows the bias, variance and re-identification risk of a
protected release as you turn ε (noise), k (minimum count) and r (smoothing radius).

With no command it opens the explorer (a terminal UI) at the setting the flags give.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExplorer(cmd, &data, &knobs, decisionFile, acknowledged, &reqFlags)
		},
	}
	data.register(root.PersistentFlags())
	knobs.register(root.Flags(), false)
	reqFlags.register(root)
	root.Flags().StringVar(&decisionFile, "decision", "", "open the explorer at everything recorded in a release's curator record (DIR"+curatorSuffix+"/decision.json, or DIR)")
	root.Flags().BoolVar(&acknowledged, acknowledgeFlag, false, "let w write a release although the map extent, clamp bounds or QI domains are read off the data (the DP claim is qualified)")
	root.Flags().String("audience", "curator", "who sees the explorer: curator (true values shown) or researcher (a shareable screen: the setting, the mechanism and one release, nothing computed from the true data; a cannot switch back)")
	root.AddCommand(newInspectCommand(&data), newEvalCommand(&data), newSweepCommand(&data), newReleaseCommand(&data), newSolveCommand(&data))
	return root
}
