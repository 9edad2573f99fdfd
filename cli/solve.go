package cli

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"privtune/agree"
	"privtune/internal/numfmt"
	"privtune/internal/safetext"
	"privtune/sim"
)

// exitInfeasible is solve's exit status when no setting meets every requirement.
const exitInfeasible = 3

// maxRequirementsBytes bounds a requirements file: a team's requirements are a page.
const maxRequirementsBytes = 1 << 20

// requirementFlags are the requirements of solve, release and the explorer.
type requirementFlags struct {
	needs, limits []string
	file          string
}

func (f *requirementFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.needs, "need", nil, `a research need, e.g. "rural rel_rmse <= 10%" (repeatable; see privtune solve --help for the syntax)`)
	cmd.Flags().StringArrayVar(&f.limits, "limit", nil, `a privacy limit, e.g. "epsilon <= 1" or "risk.highest <= 0.1" (repeatable)`)
	cmd.Flags().StringVar(&f.file, "requirements", "", "a requirements file: one requirement a line, need: or limit: first, # comments")
}

// any reports whether a requirement was given.
func (f *requirementFlags) any() bool {
	return len(f.needs) > 0 || len(f.limits) > 0 || f.file != ""
}

// parse returns the requirements of the file, then --need, then --limit, each checked
// against the side its flag names.
func (f *requirementFlags) parse() ([]agree.Requirement, error) {
	var out []agree.Requirement
	if f.file != "" {
		file, err := os.Open(f.file)
		if err != nil {
			return nil, fmt.Errorf("--requirements: %w", err)
		}
		defer file.Close()
		info, err := file.Stat()
		if err == nil && !info.Mode().IsRegular() {
			return nil, fmt.Errorf("--requirements %s: not a regular file", f.file)
		}
		if err == nil && info.Size() > maxRequirementsBytes {
			return nil, fmt.Errorf("--requirements %s: %s bytes, more than the %s a requirements file may have", f.file,
				numfmt.Thousands(info.Size()), numfmt.Thousands(maxRequirementsBytes))
		}
		reqs, err := agree.ParseFile(file, f.file)
		if err != nil {
			return nil, fmt.Errorf("--requirements %w", err)
		}
		out = append(out, reqs...)
	}
	for _, group := range []struct {
		flag  string
		texts []string
		side  agree.Side
	}{{"--need", f.needs, agree.Research}, {"--limit", f.limits, agree.Privacy}} {
		for _, text := range group.texts {
			r, err := agree.Parse(text)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", group.flag, err)
			}
			if r.Side != group.side {
				other := map[agree.Side]string{agree.Research: "--need", agree.Privacy: "--limit"}[r.Side]
				return nil, fmt.Errorf("%s %q: this is a %s; give it with %s", group.flag, text, r.Side.Owner(), other)
			}
			out = append(out, r)
		}
	}
	return out, nil
}

func newSolveCommand(data *dataFlags) *cobra.Command {
	var knobs knobFlags
	var reqFlags requirementFlags
	var asJSON, asCSV, noConfirm bool
	var kMax int
	var rMaxCells float64
	cmd := &cobra.Command{
		Use:   "solve",
		Short: "Find the setting that meets every research need and privacy limit",
		Example: `  privtune solve --need "rural rel_rmse <= 10%" --need "total rel_rmse <= 1%" --limit "epsilon <= 2" --limit "risk.highest <= 0.1"
  privtune solve --need "district:* rel_rmse <= 20%" --limit "threshold = noisy" --json
  privtune solve --requirements requirements.txt --csv`,
		Long: `Find the setting (ε, k, r) that meets every requirement both sides state.

A requirement is a scope, a metric, a comparison and a bound. Research needs:

  SCOPE METRIC <= BOUND
    SCOPE   total, urban, suburban, rural, district:NAME, district:* (the worst district),
            group:NAME, group:*, mean:NAME, mean:* (the mean measure per district),
            cells (the map); quote a name with spaces: district:"north west"
    METRIC  bias (|bias|), rel_bias (|bias| / truth), sd, rmse, rel_rmse (RMSE / truth),
            ci95 (95 % half-width), rel_ci95, withheld (share of people withheld; not
            for groups or means); cells take bias (mean |bias|), sd, rmse and withheld

Privacy limits:

  epsilon <= X, delta <= X, risk.highest <= X (highest crowd risk published, 95th
  percentile over releases), risk.mean <= X, risk.above10 / risk.above5 / risk.above2
  <= X (share of people published above 1/10, 1/5, 1/2), risk.uniques <= X (unique
  people published, expected), dp.advantage <= X, dp.posterior@P <= X (an attacker's
  belief from prior P), threshold = noisy (the threshold keeps DP)

Bounds take <=, <, >= or > and a number; relative metrics, shares and risks take % too
(10% = 0.1); thousands may be grouped (2,000).

solve searches ε from 0.01 to 20 (two significant digits) and ∞, k from 0 to --k-max and
every distinct smoothing disk up to --r-max-cells cells, at the noise, δ, split,
threshold mode and post-processing the other flags give. For each (k, r) it bisects on ε
for the smallest ε meeting every research need (and probes below it, in case a need is
not monotone), and keeps it if the privacy limits hold there. The recommendation is the
feasible setting with the smallest ε; ties go to the lowest highest crowd risk, then the
largest worst research margin. It is then confirmed with the Monte Carlo (--mc-time per
candidate; a candidate the simulation rejects gives way to the next). A figure that only
the Monte Carlo can give counts as not met during the search.

The frontier lists, among the settings evaluated that meet every privacy limit, those
that no other beats on both ε and the worst research margin.

Exit status 0 when a setting meets every requirement, 3 when none does (a release
pipeline can gate on it), 2 for bad flags, requirements or data.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, name := range []string{"epsilon", "k", "radius"} {
				if cmd.Flags().Changed(name) {
					return fmt.Errorf("--%s: solve searches ε, k and r itself; state what you need with --need and --limit", name)
				}
			}
			if asJSON && asCSV {
				return errors.New("give --json or --csv, not both")
			}
			if kMax < 0 || kMax > 1000 {
				return fmt.Errorf("--k-max %d: want 0 to 1,000", kMax)
			}
			if !(rMaxCells >= 0 && rMaxCells <= 20) {
				return fmt.Errorf("--r-max-cells %v: want 0 to 20 cells", rMaxCells)
			}
			reqs, err := reqFlags.parse()
			if err != nil {
				return err
			}
			if len(reqs) == 0 {
				return errors.New(`no requirements: give --need "…", --limit "…" or --requirements FILE`)
			}
			knobs.epsilon, knobs.k, knobs.radius = "1", "0", "0"
			l, base, err := loadAt(data, &knobs)
			if err != nil {
				return err
			}
			engine := sim.NewEngine(l.table)
			probe, err := engine.Evaluate(base)
			if err != nil {
				return err
			}
			if err := agree.Bind(reqs, probe); err != nil {
				return err
			}
			space := solveSpace(base, l.table, kMax, rMaxCells)
			solver := agree.NewSolver(engine, reqs, space)
			bar := newProgressBar(os.Stderr, "solve")
			solver.Progress = func(p agree.Progress) {
				bar.status(fmt.Sprintf("searching: %s settings evaluated, %d of %d (k, r) done", numfmt.Thousands(int64(p.Evaluated)), p.PairsDone, p.Pairs))
			}
			res, err := solver.Solve(cmd.Context())
			bar.done()
			if err != nil {
				return err
			}
			if !noConfirm && knobs.mcTime > 0 {
				bar := newProgressBar(os.Stderr, "Monte Carlo")
				bar.status("confirming the recommendation with simulated releases")
				err := solver.Confirm(cmd.Context(), res, sim.MCOptions{Seed: knobs.seed}, knobs.mcTime, 4)
				bar.done()
				if err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			switch {
			case asJSON:
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false) // requirements hold <=, which JSON needs no escape for
				if err := enc.Encode(toSolveJSON(l, res, !noConfirm && knobs.mcTime > 0)); err != nil {
					return err
				}
			case asCSV:
				if err := writeSolveCSV(out, l, res); err != nil {
					return err
				}
			default:
				writeSolve(out, l, res, !noConfirm && knobs.mcTime > 0)
			}
			if !res.Feasible {
				return &exitError{code: exitInfeasible, err: errors.New("no setting searched meets every requirement")}
			}
			return nil
		},
	}
	knobs.register(cmd.Flags(), false)
	for _, name := range []string{"epsilon", "k", "radius"} {
		_ = cmd.Flags().MarkHidden(name)
	}
	reqFlags.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().BoolVar(&asCSV, "csv", false, "print the recommendation and the frontier as CSV, one setting a row")
	cmd.Flags().BoolVar(&noConfirm, "no-confirm", false, "do not confirm the recommendation with the Monte Carlo")
	cmd.Flags().IntVar(&kMax, "k-max", 50, "largest minimum count k searched (every k to 20, then 25, 30, 40, 50, …)")
	cmd.Flags().Float64Var(&rMaxCells, "r-max-cells", 3, "largest smoothing radius searched, in cells")
	return cmd
}

// solveSpace is the default search space cut to --k-max and --r-max-cells.
func solveSpace(base sim.Params, t *sim.Table, kMax int, rMaxCells float64) agree.Space {
	space := agree.DefaultSpace(base, t.Grid.CellKM, t.Grid.Located)
	var ks []int
	for _, k := range space.Ks {
		if k <= kMax {
			ks = append(ks, k)
		}
	}
	for k := 100; k <= kMax; k *= 2 {
		ks = append(ks, k)
	}
	if kMax > 50 && ks[len(ks)-1] != kMax {
		ks = append(ks, kMax)
	}
	space.Ks = ks
	if t.Grid.Located && t.Grid.CellKM > 0 {
		space.Radii = agree.DistinctRadii(t.Grid.CellKM, rMaxCells)
	}
	return space
}

// describeSpace says what was searched.
func describeSpace(s agree.Space, hasMeasure bool) string {
	eps := "ε 0.01–20"
	if n := len(s.Epsilons); n > 0 {
		eps = fmt.Sprintf("ε %s–%s", formatEpsilon(s.Epsilons[0]), formatEpsilon(s.Epsilons[n-1]))
	}
	if s.Infinite {
		eps += " and ∞"
	}
	rMax := s.Radii[len(s.Radii)-1]
	b := s.Base
	noise := b.Noise.String() + " noise"
	if b.Noise == sim.Gaussian {
		noise += fmt.Sprintf(", δ = %g", b.Delta)
	}
	if hasMeasure {
		noise += fmt.Sprintf(", %s of ε on counts", numfmt.Percent(b.CountShare(true)))
	}
	threshold := "threshold on noisy counts"
	if b.Threshold == sim.ThresholdTrue {
		threshold = "threshold on true counts (not DP)"
	}
	if post := postProcessingWords(b); post != "" {
		threshold += ", " + post
	}
	return fmt.Sprintf("%s · k %d–%d · r 0–%s km (%d disks) · %s, %s", eps, s.Ks[0], s.Ks[len(s.Ks)-1], strconv.FormatFloat(rMax, 'g', 4, 64), len(s.Radii),
		noise, threshold)
}

func writeSolve(w io.Writer, l *loaded, res *agree.Result, confirming bool) {
	fmt.Fprintf(w, "privtune solve: %s\n\n", safetext.Terminal(l.pop.Source))
	fmt.Fprintln(w, "requirements")
	for _, r := range res.Requirements {
		fmt.Fprintf(w, "  %-14s %s\n", r.Side.Owner(), safetext.Terminal(r.String()))
	}
	fmt.Fprintf(w, "\nsearched %s of %s settings (%s) in %s\n\n", numfmt.Thousands(int64(res.Evaluated)), numfmt.Thousands(int64(res.Space.Size())),
		describeSpace(res.Space, l.table.HasMeasure()), res.Elapsed.Round(10*time.Millisecond))
	if res.Feasible {
		rec := res.Recommended
		fmt.Fprintf(w, "recommended    %s\n", agree.FormatParams(rec.Params))
		fmt.Fprintln(w, "  why          the smallest ε that meets every requirement (ties: lowest highest crowd risk, then the widest worst research margin)")
		switch {
		case len(res.Binding) > 0:
			var names []string
			for _, b := range res.Binding {
				names = append(names, fmt.Sprintf("%q (%s)", b.Requirement.String(), agree.FormatValue(b.Requirement, b.Value)))
			}
			fmt.Fprintf(w, "  binding      at ε = %s: %s not met\n", formatEpsilon(res.BelowEpsilon), safetext.Terminal(strings.Join(names, ", ")))
		case res.BelowEpsilon == 0 && len(res.Space.Epsilons) > 0 && rec.Params.Epsilon == res.Space.Epsilons[0]:
			fmt.Fprintln(w, "  binding      none: ε is the smallest searched")
		}
		switch {
		case res.Confirmed && res.ConfirmDraws == 0:
			fmt.Fprintln(w, "  final        every figure the requirements read is exact: nothing to simulate")
		case res.Confirmed:
			fmt.Fprintf(w, "  confirmed    every requirement holds against %s simulated releases (Monte Carlo)\n", numfmt.Thousands(int64(res.ConfirmDraws)))
		case confirming:
			fmt.Fprintf(w, "  NOT CONFIRMED  the Monte Carlo (%s releases) did not confirm every requirement; treat the recommendation as provisional\n", numfmt.Thousands(int64(res.ConfirmDraws)))
		default:
			fmt.Fprintln(w, "  not confirmed (--no-confirm): figures are exact or approximated")
		}
		for _, rej := range res.Rejected {
			fmt.Fprintf(w, "  rejected     %s: a requirement failed against the Monte Carlo\n", agree.FormatParams(rej.Params))
		}
		fmt.Fprintln(w)
		readings := rec.Status.Readings
		if res.Confirmed && res.Confirmation != nil {
			readings = res.Confirmation.Readings
		}
		writeReadings(w, readings)
		if len(res.Runners) > 0 {
			fmt.Fprintln(w, "\nnext best")
			for _, p := range res.Runners {
				fmt.Fprintf(w, "  %s   highest risk %s\n", agree.FormatParams(p.Params), numfmt.Risk(p.Risk))
			}
		}
	} else {
		fmt.Fprintln(w, "no setting searched meets every requirement")
		for _, c := range res.Conflicts {
			fmt.Fprintf(w, "  %s\n", safetext.Terminal(c))
		}
		if len(res.Closest) > 0 {
			fmt.Fprintln(w, "\nclosest within the privacy limits (each research need at its best)")
			for _, c := range res.Closest {
				if c.At == nil {
					fmt.Fprintf(w, "  %s: no setting searched meets the privacy limits\n", safetext.Terminal(c.Need.Requirement.String()))
					continue
				}
				fmt.Fprintf(w, "  %s: %s at best (%s), at %s\n", safetext.Terminal(c.Need.Requirement.String()), agree.FormatValue(c.Need.Requirement, c.Need.Value),
					safetext.Terminal(c.Need.Where), agree.FormatParams(c.At.Params))
			}
		}
	}
	if len(res.Frontier) > 0 {
		fmt.Fprintln(w, "\nfrontier: ε against the worst research-need margin, within the privacy limits")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  ε\tk\tr km\tworst margin\ttightest need\thighest risk\tall met")
		for _, p := range res.Frontier {
			tight := tightest(p.Status)
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%s\t%s\n", formatEpsilon(p.Params.Epsilon), p.Params.K, strconv.FormatFloat(p.Params.RadiusKM, 'g', 4, 64),
				numfmt.SignedPercent(p.Margin), safetext.Terminal(tight), numfmt.Risk(p.Risk), yesNo(p.Feasible))
		}
		tw.Flush()
		fmt.Fprintln(w, "  (margin: the share of its bound the tightest research need has left; negative: not met)")
	}
}

// tightest names the research need with the smallest relative margin.
func tightest(st agree.Status) string {
	best, name := math.Inf(1), ""
	for _, r := range st.Readings {
		if r.Requirement.Side == agree.Research && r.Known && r.RelMargin < best {
			best, name = r.RelMargin, r.Requirement.String()
		}
	}
	return name
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// writeReadings prints requirements with their value, bound, margin and method.
func writeReadings(w io.Writer, readings []agree.Reading) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  requirement\tside\tvalue\tbound\tmargin\tmet\tmethod\twhere")
	for _, rd := range readings {
		r := rd.Requirement
		method := rd.Method
		if method == "" {
			method = "setting"
		}
		met := yesNo(rd.Met)
		if !rd.Known {
			met = "unknown"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s %s\t%s\t%s\t%s\t%s\n", safetext.Terminal(r.String()), r.Side, agree.FormatValue(r, rd.Value), r.Op, agree.FormatBound(r),
			agree.FormatMargin(rd), met, method, safetext.Terminal(rd.Where))
	}
	tw.Flush()
}

// requirementJSON is one requirement read at a setting.
type requirementJSON struct {
	Text   string   `json:"text"`
	Side   string   `json:"side"`
	Metric string   `json:"metric"`
	Scope  string   `json:"scope,omitempty"`
	Op     string   `json:"op"`
	Bound  *float64 `json:"bound"`
	// Value is null when the figure was not computed (or there is no recommendation).
	Value  *float64 `json:"value"`
	Met    bool     `json:"met"`
	Margin *float64 `json:"margin"`
	Where  string   `json:"where,omitempty"`
	Method string   `json:"method,omitempty"`
}

func toRequirementJSON(rd agree.Reading) requirementJSON {
	r := rd.Requirement
	out := requirementJSON{Text: r.String(), Side: r.Side.String(), Metric: string(r.Metric), Op: r.Op.String(),
		Value: num(rd.Value), Met: rd.Met, Margin: num(rd.Margin), Where: rd.Where, Method: rd.Method}
	if r.Side == agree.Research {
		out.Scope = r.Scope.String()
	}
	if r.Metric != agree.MetricThreshold {
		out.Bound = num(r.Bound)
	}
	return out
}

type solvePointJSON struct {
	Params       paramsJSON        `json:"params"`
	Feasible     bool              `json:"feasible"`
	WorstMargin  *float64          `json:"worst_margin"`
	HighestRisk  *float64          `json:"highest_risk"`
	Requirements []requirementJSON `json:"requirements"`
}

type closestJSON struct {
	Text   string      `json:"text"`
	Best   *float64    `json:"best_value"`
	Where  string      `json:"where,omitempty"`
	Params *paramsJSON `json:"params"`
}

type solveJSON struct {
	Feasible    bool        `json:"feasible"`
	Recommended *paramsJSON `json:"recommended"`
	Confirmed   bool        `json:"confirmed"`
	ConfirmedBy int         `json:"confirmed_by_releases"`
	// Requirements are read at the recommendation (value null and met false without one).
	Requirements []requirementJSON `json:"requirements"`
	Binding      []string          `json:"binding"`
	BelowEpsilon *float64          `json:"binding_at_epsilon"`
	Frontier     []solvePointJSON  `json:"frontier"`
	Conflicts    []string          `json:"conflicts"`
	Closest      []closestJSON     `json:"closest"`
	Evaluated    int               `json:"evaluated"`
	SpaceSize    int               `json:"space_size"`
	Seconds      float64           `json:"elapsed_seconds"`
}

func toSolveJSON(l *loaded, res *agree.Result, confirming bool) solveJSON {
	out := solveJSON{Feasible: res.Feasible, Confirmed: res.Confirmed, ConfirmedBy: res.ConfirmDraws, Evaluated: res.Evaluated,
		SpaceSize: res.Space.Size(), Seconds: res.Elapsed.Seconds(), Binding: []string{}, Frontier: []solvePointJSON{}, Conflicts: res.Conflicts,
		Closest: []closestJSON{}, Requirements: []requirementJSON{}}
	if out.Conflicts == nil {
		out.Conflicts = []string{}
	}
	if res.Feasible {
		p := paramsToJSON(l.table, res.Recommended.Params)
		out.Recommended = &p
		readings := res.Recommended.Status.Readings
		if res.Confirmed && res.Confirmation != nil {
			readings = res.Confirmation.Readings
		}
		for _, rd := range readings {
			out.Requirements = append(out.Requirements, toRequirementJSON(rd))
		}
		for _, b := range res.Binding {
			out.Binding = append(out.Binding, b.Requirement.String())
		}
		if res.BelowEpsilon > 0 {
			out.BelowEpsilon = num(res.BelowEpsilon)
		}
	} else {
		for _, r := range res.Requirements {
			out.Requirements = append(out.Requirements, toRequirementJSON(agree.Reading{Requirement: r, Value: math.NaN(), Margin: math.NaN()}))
		}
	}
	for _, p := range res.Frontier {
		pj := solvePointJSON{Params: paramsToJSON(l.table, p.Params), Feasible: p.Feasible, WorstMargin: num(p.Margin), HighestRisk: num(p.Risk)}
		for _, rd := range p.Status.Readings {
			pj.Requirements = append(pj.Requirements, toRequirementJSON(rd))
		}
		out.Frontier = append(out.Frontier, pj)
	}
	for _, c := range res.Closest {
		cj := closestJSON{Text: c.Need.Requirement.String(), Best: num(c.Need.Value), Where: c.Need.Where}
		if c.At != nil {
			p := paramsToJSON(l.table, c.At.Params)
			cj.Params = &p
		}
		out.Closest = append(out.Closest, cj)
	}
	return out
}

// writeSolveCSV writes the recommendation (role "recommended") and the frontier (role
// "frontier"), one setting a row, with every requirement's value.
func writeSolveCSV(w io.Writer, l *loaded, res *agree.Result) error {
	cw := csv.NewWriter(w)
	header := []string{"role", "epsilon", "k", "radius_km", "noise", "threshold", "feasible", "worst_margin", "highest_risk"}
	for _, r := range res.Requirements {
		header = append(header, safetext.CSVField(r.String()))
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	row := func(role string, p *agree.Point) error {
		rec := []string{role, formatCSVEpsilon(p.Params.Epsilon), strconv.Itoa(p.Params.K), strconv.FormatFloat(p.Params.RadiusKM, 'g', -1, 64),
			p.Params.Noise.String(), p.Params.Threshold.String(), strconv.FormatBool(p.Feasible), csvNum(p.Margin), csvNum(p.Risk)}
		for _, rd := range p.Status.Readings {
			rec = append(rec, csvNum(rd.Value))
		}
		return cw.Write(rec)
	}
	if res.Feasible {
		if err := row("recommended", res.Recommended); err != nil {
			return err
		}
	}
	for _, p := range res.Frontier {
		if err := row("frontier", p); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func formatCSVEpsilon(e float64) string {
	if math.IsInf(e, 1) {
		return "inf"
	}
	return strconv.FormatFloat(e, 'g', -1, 64)
}

// csvNum writes a figure at full precision; empty for not computed.
func csvNum(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	if math.IsInf(v, 1) {
		return "inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
