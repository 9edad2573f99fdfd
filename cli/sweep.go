package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"privtune/internal/safetext"
	"privtune/sim"
)

func newSweepCommand(data *dataFlags) *cobra.Command {
	var knobs knobFlags
	var asJSON, frequency bool
	var estimand string
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "One row of figures per combination of ε, k and r, for trade-off curves",
		Example: `  privtune sweep --epsilon 0.1,0.5,1,2,inf --k 0,5,10 --radius 0,2 > curves.csv
  privtune sweep --epsilon 0.25,1,4 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := data.load()
			if err != nil {
				return err
			}
			list, err := knobs.grid(l.table.HasMeasure())
			if err != nil {
				return err
			}
			engine := sim.NewEngine(l.table)
			bar := newProgressBar(os.Stderr, "sweep")
			var rows []sweepRow
			for i, p := range list {
				bar.update(int64(i), int64(len(list)))
				rep, err := evaluate(cmd.Context(), engine, p, &knobs, io.Discard)
				if err != nil {
					return err
				}
				row, err := newSweepRow(rep, estimand)
				if err != nil {
					return err
				}
				row.addDisplacement(l.table, rep)
				if frequency {
					f, err := frequenciesWithin(cmd.Context(), engine, rep, knobs.seed, knobs.mcTime)
					if err != nil {
						return err
					}
					if f != nil {
						row.addFrequency(f)
					} else {
						row.frequencyNotComputed()
					}
				}
				rows = append(rows, row)
			}
			bar.done()
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			return writeSweepCSV(cmd.OutOrStdout(), rows)
		},
	}
	knobs.register(cmd.Flags(), true)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON list of objects instead of CSV")
	cmd.Flags().BoolVar(&frequency, "frequency", false, fmt.Sprintf("add the error as frequency to each row (within95: the ± that 95 of 100 releases of the estimand stay within; cells_within_2; top_decile_kept), from %s simulated releases per row", thousands(frequencyReleases)))
	cmd.Flags().StringVar(&estimand, "estimand", "total", "the estimand whose bias, variance and RMSE each row reports")
	return cmd
}

// sweepRow is one setting's figures.
type sweepRow struct {
	Epsilon  *float64 `json:"epsilon"`
	K        int      `json:"k"`
	RadiusKM float64  `json:"radius_km"`
	Estimand string   `json:"estimand"`
	Bias     *float64 `json:"bias"`
	Variance *float64 `json:"variance"`
	RMSE     *float64 `json:"rmse"`
	Exact    bool     `json:"exact"`
	// Method is how the estimand's figures were obtained: "exact", "approx" or "mc".
	Method           string   `json:"method"`
	MapRMSE          *float64 `json:"map_rmse"`
	WithheldShare    *float64 `json:"withheld_share"`
	RiskHighest      *float64 `json:"risk_highest"`
	RiskMean         *float64 `json:"risk_mean"`
	AtRisk05         *float64 `json:"at_risk_0.5"`
	AtRisk02         *float64 `json:"at_risk_0.2"`
	AtRisk01         *float64 `json:"at_risk_0.1"`
	UniquesPublished *float64 `json:"uniques_published"`
	// UniquesP95 is the 95th percentile over releases of the unique people published.
	UniquesP95  *float64 `json:"uniques_published_p95"`
	DPAdvantage float64  `json:"dp_advantage_bound"`
	// NoiseThreshold is the estimand's bias from noise and k acting together.
	NoiseThreshold *float64 `json:"bias_noise_threshold"`
	// PostProcessing is the estimand's bias from --nonnegative and --round.
	PostProcessing *float64 `json:"bias_post_processing"`
	// PDefined is the probability that the estimand exists in a release.
	PDefined *float64 `json:"p_defined"`
	// DisplacementEW and DisplacementNS are the map's earth mover's distance between the
	// true and expected released maps along each axis, in km (null while pending).
	DisplacementEW *float64 `json:"map_displacement_ew_km"`
	DisplacementNS *float64 `json:"map_displacement_ns_km"`
	// With --frequency (null otherwise): in 95 of 100 releases the estimand is within
	// ±Within95 of its truth (Within95Relative of it); the share of populated cells
	// within ±2 people; the share of the true top decile a release keeps.
	Within95         *float64 `json:"within95"`
	Within95Relative *float64 `json:"within95_relative"`
	CellsWithin2     *float64 `json:"cells_within_2"`
	TopDecileKept    *float64 `json:"top_decile_kept"`
	// Status is "ok", or "not computed: …" naming the figures the Monte Carlo did not
	// reach within --mc-time (they are null), or "not defined in most releases".
	Status string `json:"status"`
}

// addDisplacement fills the map displacement columns.
func (row *sweepRow) addDisplacement(t *sim.Table, r *sim.Report) {
	if !t.Grid.Located {
		return
	}
	d := sim.MapDisplacement(t.Grid, r.Map.Truth, r.Map.Expected)
	row.DisplacementEW, row.DisplacementNS = num(d.EastWestKM), num(d.NorthSouthKM)
}

// frequencyNotComputed says in the status that --frequency's figures were not computed
// in time (their columns stay empty).
func (row *sweepRow) frequencyNotComputed() {
	switch {
	case row.Status == "ok":
		row.Status = notComputed + ": frequency"
	case strings.HasPrefix(row.Status, notComputed):
		row.Status += ", frequency"
	default:
		row.Status += "; frequency " + notComputed
	}
}

// addFrequency fills the frequency columns from f.
func (row *sweepRow) addFrequency(f *sim.Frequencies) {
	if w, ok := f.Within(row.Estimand); ok {
		row.Within95, row.Within95Relative = num(w.HalfWidth), num(w.Relative)
	}
	row.CellsWithin2, row.TopDecileKept = num(f.CellsWithin), num(f.TopDecileKept)
}

func newSweepRow(r *sim.Report, estimand string) (sweepRow, error) {
	e, ok := r.Estimand(estimand)
	if !ok {
		return sweepRow{}, fmt.Errorf("--estimand %q: no such estimand (try total, \"district centre\", rural, \"group 18–34 · F\")", estimand)
	}
	row := sweepRow{Epsilon: epsilonJSON(r.Params.Epsilon), K: r.Params.K, RadiusKM: r.Params.RadiusKM, Estimand: e.Name,
		Exact: e.Exact, Method: estimateMethod(e), DPAdvantage: r.DP.Advantage}
	var missing []string
	if e.Pending {
		missing = append(missing, "estimand")
	} else {
		row.Bias, row.Variance, row.RMSE = num(e.Bias), num(e.Variance), num(e.RMSE)
		row.NoiseThreshold, row.PDefined = num(e.BiasBySource.NoiseThreshold), num(e.PDefined)
		row.PostProcessing = num(e.BiasBySource.PostProcessing)
	}
	if r.Map.Pending {
		missing = append(missing, "map")
	} else {
		row.MapRMSE, row.WithheldShare = num(r.Map.RMSE), num(r.Map.WithheldShare)
	}
	if r.CrowdPending {
		missing = append(missing, "crowd risk")
	} else {
		c := r.Crowd
		row.RiskHighest, row.RiskMean = num(c.Highest), num(c.Mean)
		row.AtRisk05, row.AtRisk02, row.AtRisk01 = num(c.AtRisk[0]), num(c.AtRisk[1]), num(c.AtRisk[2])
		row.UniquesPublished, row.UniquesP95 = num(c.Uniques), num(c.UniquesPublished.P95)
	}
	switch {
	case len(missing) > 0:
		row.Status = notComputed + ": " + strings.Join(missing, ", ")
	case e.Undefined():
		row.Status = "not defined in most releases"
	default:
		row.Status = "ok"
	}
	return row, nil
}

func writeSweepCSV(w io.Writer, rows []sweepRow) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"epsilon", "k", "radius_km", "estimand", "bias", "variance", "rmse", "exact", "map_rmse", "withheld_share",
		"risk_highest", "risk_mean", "at_risk_0.5", "at_risk_0.2", "at_risk_0.1", "uniques_published", "dp_advantage_bound",
		"uniques_published_p95", "bias_noise_threshold", "p_defined", "status", "bias_post_processing", "method",
		"map_displacement_ew_km", "map_displacement_ns_km", "within95", "within95_relative", "cells_within_2", "top_decile_kept"})
	f := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'g', 8, 64)
	}
	for _, r := range rows {
		eps := "inf"
		if r.Epsilon != nil {
			eps = f(r.Epsilon)
		}
		// The estimand's name may hold a group's label or a researcher's region name.
		cw.Write([]string{eps, strconv.Itoa(r.K), strconv.FormatFloat(r.RadiusKM, 'g', -1, 64), safetext.CSVField(r.Estimand), f(r.Bias), f(r.Variance),
			f(r.RMSE), strconv.FormatBool(r.Exact), f(r.MapRMSE), f(r.WithheldShare), f(r.RiskHighest), f(r.RiskMean),
			f(r.AtRisk05), f(r.AtRisk02), f(r.AtRisk01), f(r.UniquesPublished), strconv.FormatFloat(r.DPAdvantage, 'g', 8, 64),
			f(r.UniquesP95), f(r.NoiseThreshold), f(r.PDefined), r.Status, f(r.PostProcessing), r.Method,
			f(r.DisplacementEW), f(r.DisplacementNS), f(r.Within95), f(r.Within95Relative), f(r.CellsWithin2), f(r.TopDecileKept)})
	}
	cw.Flush()
	return cw.Error()
}
