package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"privtune/sim"
)

// knobFlags are the privacy knobs shared by eval, sweep, release and the explorer.
type knobFlags struct {
	epsilon   string
	delta     float64
	noise     string
	split     float64
	k         string
	radius    string
	threshold string
	// nonNegative and round ask for post-processed released values (sim.Params.NonNegative, Round).
	nonNegative, round bool
	seed               uint64
	mcTime             time.Duration
	// flags is the set the knobs were registered on, to tell a given --split from none.
	flags *pflag.FlagSet
}

// maxSweepSettings caps the combinations a sweep evaluates: each takes from milliseconds
// to --mc-time, and 10,000 rows already draw any trade-off curve.
const maxSweepSettings = 10_000

func (f *knobFlags) register(fs *pflag.FlagSet, lists bool) {
	f.flags = fs
	what := "total privacy budget ε per person: a number > 0, or inf for no noise"
	if lists {
		what = "comma list of ε values (numbers or inf)"
	}
	fs.StringVar(&f.epsilon, "epsilon", "1", what)
	fs.Float64Var(&f.delta, "delta", 0, "total δ (gaussian noise needs δ > 0)")
	fs.StringVar(&f.noise, "noise", "laplace", "noise distribution: laplace or gaussian")
	fs.Float64Var(&f.split, "split", 0, "share of ε spent on counts, strictly between 0 and 1, the rest on measure sums (default 0.5 with a measure, 1 without)")
	kWhat, rWhat := "minimum count k (0: withhold nothing)", "smoothing radius r in km (0: none)"
	if lists {
		kWhat, rWhat = "comma list of k values", "comma list of radii in km"
	}
	fs.StringVar(&f.k, "k", "10", kWhat)
	fs.StringVar(&f.radius, "radius", "0", rWhat)
	fs.StringVar(&f.threshold, "threshold", "noisy", "compare k with noisy counts (DP) or true counts (not DP)")
	fs.BoolVar(&f.nonNegative, "nonnegative", false, "publish negative counts (and sums of a measure whose lower bound is ≥ 0) as 0: post-processing, keeps the DP guarantee; adds a positive bias the report predicts")
	fs.BoolVar(&f.round, "round", false, "publish counts rounded to whole people and sums to whole units (half away from zero): post-processing, keeps the DP guarantee; the report predicts its bias")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the Monte Carlo simulation (never of a release)")
	fs.DurationVar(&f.mcTime, "mc-time", 10*time.Second, "longest time the Monte Carlo may simulate figures that have neither a closed form nor an approximation, and check the approximations (eval --confirm, the explorer's background check)")
}

// settingFlagNames are the knob flags that define a setting (not --seed or --mc-time,
// which only steer the simulation).
var settingFlagNames = []string{"epsilon", "delta", "noise", "split", "k", "radius", "threshold", "nonnegative", "round"}

// changedKnobs returns the setting flags given on the command line.
func (f *knobFlags) changedKnobs() []string {
	var out []string
	for _, name := range settingFlagNames {
		if f.flags != nil && f.flags.Changed(name) {
			out = append(out, "--"+name)
		}
	}
	return out
}

// params returns the single setting the flags name.
func (f *knobFlags) params(hasMeasure bool) (sim.Params, error) {
	list, err := f.grid(hasMeasure)
	if err != nil {
		return sim.Params{}, err
	}
	if len(list) != 1 {
		return sim.Params{}, fmt.Errorf("give one value each for --epsilon, --k and --radius (use sweep for lists)")
	}
	return list[0], nil
}

// grid returns every combination of the listed ε, k and r, ε varying slowest.
func (f *knobFlags) grid(hasMeasure bool) ([]sim.Params, error) {
	base := sim.Params{Delta: f.delta, Split: f.split, NonNegative: f.nonNegative, Round: f.round}
	if f.mcTime < 0 {
		return nil, fmt.Errorf("--mc-time %v: want a duration ≥ 0 (0 computes only the exact figures)", f.mcTime)
	}
	// sim.Params reads Split = 0 as "the default"; a --split the user typed is never that.
	if f.flags != nil && f.flags.Changed("split") && !(f.split > 0) {
		return nil, fmt.Errorf("--split %v: want the share of ε spent on counts, strictly between 0 and 1", f.split)
	}
	var err error
	if base.Noise, err = sim.ParseNoise(strings.ToLower(f.noise)); err != nil {
		return nil, fmt.Errorf("--noise: %w", err)
	}
	if base.Threshold, err = sim.ParseThreshold(strings.ToLower(f.threshold)); err != nil {
		return nil, fmt.Errorf("--threshold: %w", err)
	}
	eps, err := parseList("--epsilon", f.epsilon, parseEpsilon)
	if err != nil {
		return nil, err
	}
	ks, err := parseList("--k", f.k, func(s string) (float64, error) {
		v, err := strconv.Atoi(s)
		return float64(v), err
	})
	if err != nil {
		return nil, err
	}
	radii, err := parseList("--radius", f.radius, parseFinite)
	if err != nil {
		return nil, err
	}
	if n := len(eps) * len(ks) * len(radii); n > maxSweepSettings {
		return nil, fmt.Errorf("--epsilon, --k and --radius give %d × %d × %d = %d settings: at most %d can be evaluated in one run (each takes up to --mc-time)",
			len(eps), len(ks), len(radii), n, maxSweepSettings)
	}
	var out []sim.Params
	for _, e := range eps {
		for _, k := range ks {
			for _, r := range radii {
				p := base
				p.Epsilon, p.K, p.RadiusKM = e, int(k), r
				if err := p.Validate(hasMeasure); err != nil {
					return nil, err
				}
				out = append(out, p)
			}
		}
	}
	return out, nil
}

func parseList(flag, s string, parse func(string) (float64, error)) ([]float64, error) {
	var out []float64
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		v, err := parse(part)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %q is not a valid value", flag, s, part)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseEpsilon parses a number or "inf" / "∞".
func parseEpsilon(s string) (float64, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "inf", "infinity", "∞", "+inf":
		return math.Inf(1), nil
	}
	return parseFinite(s)
}

// formatEpsilon writes ε, with ∞ for no noise.
func formatEpsilon(e float64) string {
	if math.IsInf(e, 1) {
		return "∞"
	}
	return strconv.FormatFloat(e, 'g', 4, 64)
}

// loadAt loads the data the data flags name and returns it with the one setting the knob
// flags give for it.
func loadAt(data *dataFlags, knobs *knobFlags) (*loaded, sim.Params, error) {
	l, err := data.load()
	if err != nil {
		return nil, sim.Params{}, err
	}
	p, err := knobs.params(l.table.HasMeasure())
	if err != nil {
		return nil, sim.Params{}, err
	}
	return l, p, nil
}
