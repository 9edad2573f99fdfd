package cli

import (
	"fmt"
	"strings"

	"privtune/agree"
	"privtune/internal/safetext"
	"privtune/sim"
)

// agreement is what a release records of the requirements both sides stated: the list
// (from --need, --limit, --requirements or the explorer's panel) and whether the curator
// chose to release although one is not met.
type agreement struct {
	reqs  []agree.Requirement
	force bool
}

// agreementRecord is the requirements in decision.json, each read at the released
// setting off the predicted report (curator only: the values come from the true data).
type agreementRecord struct {
	Requirements []requirementJSON `json:"list"`
	// Unmet are the texts of the requirements not met (or not computed) at the setting.
	Unmet []string `json:"unmet"`
	// Forced is true when the release was made although Unmet is not empty (--force, or
	// the explorer's confirmation).
	Forced bool `json:"released_despite_unmet"`
}

// checkAgreement reads every requirement off the release's predicted report and refuses
// a release that misses one unless the curator forced it.
func checkAgreement(a agreement, rep *sim.Report, t *sim.Table) (*agreementRecord, agree.Status, error) {
	if len(a.reqs) == 0 {
		return nil, agree.Status{}, nil
	}
	if err := agree.Bind(a.reqs, rep); err != nil {
		return nil, agree.Status{}, err
	}
	st := agree.CheckAll(a.reqs, rep, t)
	rec := &agreementRecord{Unmet: []string{}}
	for _, rd := range st.Readings {
		rec.Requirements = append(rec.Requirements, toRequirementJSON(rd))
		if !rd.Met {
			rec.Unmet = append(rec.Unmet, rd.Requirement.String())
		}
	}
	if len(rec.Unmet) > 0 {
		if !a.force {
			var parts []string
			for _, rd := range st.Failing() {
				parts = append(parts, fmt.Sprintf("%q (%s)", rd.Requirement.String(), agree.FormatValue(rd.Requirement, rd.Value)))
			}
			return nil, st, fmt.Errorf("the setting does not meet %s: choose a setting that does (privtune solve finds one), or release anyway with --force; the record and the curator's report then say which",
				strings.Join(parts, ", "))
		}
		rec.Forced = true
	}
	return rec, st, nil
}

// publicRequirement reports whether a requirement's value follows from the mechanism's
// public parameters alone (ε, δ, the DP bounds, the threshold mode): only those may be
// read in the shareable report. Every other figure is computed from the true data.
func publicRequirement(r agree.Requirement) bool {
	switch r.Metric {
	case agree.MetricEpsilon, agree.MetricDelta, agree.MetricAdvantage, agree.MetricPosterior, agree.MetricThreshold:
		return true
	}
	return false
}

// curatorAgreementMarkdown is the requirements section of curator-report.md: every
// requirement with its value at the released setting, and which were not met.
func curatorAgreementMarkdown(st agree.Status, rec *agreementRecord) string {
	if rec == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("## Requirements\n\n")
	if rec.Forced {
		fmt.Fprintf(&b, "**Released although %d requirement(s) are not met:** %s.\n\n", len(rec.Unmet), safetext.Markdown(quoteAll(rec.Unmet)))
	} else {
		b.WriteString("Every requirement is met at the released setting.\n\n")
	}
	b.WriteString("| requirement | side | value | bound | margin | met | how | where |\n|---|---|---:|---:|---:|---|---|---|\n")
	for _, rd := range st.Readings {
		r := rd.Requirement
		met := yesNo(rd.Met)
		if !rd.Known {
			met = "not computed"
		}
		method := rd.Method
		if method == "" {
			method = "setting"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s %s | %s | %s | %s | %s |\n", safetext.Markdown(r.String()), r.Side.Owner(),
			agree.FormatValue(r, rd.Value), safetext.Markdown(r.Op.String()), agree.FormatBound(r), agree.FormatMargin(rd), met, method, safetext.Markdown(rd.Where))
	}
	b.WriteString("\n")
	return b.String()
}

// researcherAgreementMarkdown is the requirements section of the shareable report.md:
// the requirements as agreed; values only for those that follow from the public
// parameters. Whether a research need or a risk limit is met is computed from the true
// data and stays in the curator's record.
func researcherAgreementMarkdown(reqs []agree.Requirement, p sim.Params) string {
	if len(reqs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("## Requirements agreed\n\n")
	b.WriteString("The research needs and privacy limits this release was chosen against. Whether a research need or a risk ")
	b.WriteString("limit is met is computed from the true data, so it is in the curator's record, not here; limits on the ")
	b.WriteString("mechanism itself are checked against its public parameters.\n\n")
	b.WriteString("| requirement | side | at this release |\n|---|---|---|\n")
	rep := &sim.Report{Params: p, DP: sim.ComputeDPGuarantee(p)}
	for _, r := range reqs {
		status := "in the curator's record (computed from the true data)"
		if publicRequirement(r) {
			rd := agree.Check(r, rep, nil)
			status = agree.FormatValue(r, rd.Value) + ": " + map[bool]string{true: "met", false: "NOT met"}[rd.Met]
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", safetext.Markdown(r.String()), r.Side.Owner(), status)
	}
	b.WriteString("\n")
	return b.String()
}

func quoteAll(texts []string) string {
	q := make([]string, len(texts))
	for i, t := range texts {
		q[i] = fmt.Sprintf("%q", t)
	}
	return strings.Join(q, ", ")
}

// recordedRequirements parses the requirements of a decision record back.
func recordedRequirements(rec *agreementRecord) ([]agree.Requirement, error) {
	var out []agree.Requirement
	for _, r := range rec.Requirements {
		req, err := agree.Parse(r.Text)
		if err != nil {
			return nil, fmt.Errorf("recorded requirement: %w", err)
		}
		out = append(out, req)
	}
	return out, nil
}
