// Package agree lets the two sides of a release state what they require of it — the
// researchers' needs (utility) and the privacy engineers' limits — checks every
// requirement against a sim.Report, and searches the knobs (ε, k, r) for the settings
// that meet them all.
//
// A requirement is one line of text: a scope, a metric, a comparison and a bound.
//
//	rural rel_rmse <= 10%          research need: the rural total's RMSE is at most 10 % of it
//	district:* ci95 <= 2,000       every district total's 95 % half-width is at most 2,000
//	mean:centre rel_bias <= 1%     the mean measure of the district "centre"
//	cells rmse <= 3                the map: √(mean over cells of bias² + variance)
//	epsilon <= 2                   privacy limit
//	risk.highest <= 0.1            the highest crowd risk published (95th percentile)
//	threshold = noisy              the threshold is post-processing: DP holds
//
// The side follows from the metric: utility metrics are research needs, privacy metrics
// are limits. agree imports sim and nothing of the interface.
package agree

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Side is who owns a requirement.
type Side int

// Sides.
const (
	// Research needs bound the error of what researchers compute.
	Research Side = iota
	// Privacy limits bound ε, δ and the re-identification risk.
	Privacy
)

func (s Side) String() string {
	if s == Privacy {
		return "privacy"
	}
	return "research"
}

// Owner is the side's name as a person reads it: "research need" or "privacy limit".
func (s Side) Owner() string {
	if s == Privacy {
		return "privacy limit"
	}
	return "research need"
}

// Op is a comparison.
type Op int

// Comparisons.
const (
	AtMost  Op = iota // <=
	Below             // <
	AtLeast           // >=
	Above             // >
	Equal             // = (threshold only)
)

func (o Op) String() string {
	return [...]string{"<=", "<", ">=", ">", "="}[o]
}

// ScopeKind is what a research need is measured over.
type ScopeKind string

// Scope kinds: each is named as sim's estimand kind it covers (sim.KindTotal …), but
// cells, which reads the map.
const (
	ScopeTotal    ScopeKind = "total"
	ScopeDistrict ScopeKind = "district"
	ScopeDensity  ScopeKind = "density"
	ScopeGroup    ScopeKind = "group"
	ScopeMean     ScopeKind = "mean"
	ScopeCells    ScopeKind = "cells"
	// ScopeNone: a privacy limit, which has no scope.
	ScopeNone ScopeKind = ""
)

// Scope names the estimands a research need covers: one (Name), or all of a kind (All),
// where the worst of them must meet the bound.
type Scope struct {
	Kind ScopeKind
	// Name is the district, density class or group as the report names it (without its
	// "district " / "group " / "mean <measure> " prefix); empty with All or for total/cells.
	Name string
	All  bool
}

func (s Scope) String() string {
	switch {
	case s.Kind == ScopeDensity:
		return s.Name
	case s.All:
		return string(s.Kind) + ":*"
	case s.Name != "":
		if needsQuotes(s.Name) {
			return string(s.Kind) + ":" + strconv.Quote(s.Name)
		}
		return string(s.Kind) + ":" + s.Name
	}
	return string(s.Kind)
}

// needsQuotes reports whether a scope name must be quoted to survive tokenising.
func needsQuotes(name string) bool {
	for _, r := range name {
		if unicode.IsSpace(r) || r == '"' || strings.ContainsRune("<>=≤≥#", r) {
			return true
		}
	}
	return false
}

// Metric is what is measured.
type Metric string

// Research metrics (over a scope).
const (
	MetricBias     Metric = "bias"     // |E[T] − θ|
	MetricRelBias  Metric = "rel_bias" // |E[T] − θ| / |θ|
	MetricSD       Metric = "sd"       // √Var T
	MetricRMSE     Metric = "rmse"     // √(bias² + Var T)
	MetricRelRMSE  Metric = "rel_rmse" // RMSE / |θ|
	MetricCI95     Metric = "ci95"     // 95 % half-width 1.96·√Var T
	MetricRelCI95  Metric = "rel_ci95" // half-width / |θ|
	MetricWithheld Metric = "withheld" // expected share of the scope's people withheld
)

// Privacy metrics (no scope).
const (
	MetricEpsilon     Metric = "epsilon"
	MetricDelta       Metric = "delta"
	MetricRiskHighest Metric = "risk.highest" // 95th percentile over releases of the highest crowd risk
	MetricRiskMean    Metric = "risk.mean"    // expected share of people re-identified
	MetricRiskAbove10 Metric = "risk.above10" // expected share of people published above 1/10
	MetricRiskAbove5  Metric = "risk.above5"  // … above 1/5
	MetricRiskAbove2  Metric = "risk.above2"  // … above 1/2
	MetricUniques     Metric = "risk.uniques" // expected number of unique people published
	MetricAdvantage   Metric = "dp.advantage" // (e^ε − 1 + 2δ)/(e^ε + 1)
	MetricPosterior   Metric = "dp.posterior" // p·e^ε/(1 − p + p·e^ε) + δ for a prior p (dp.posterior@p)
	MetricThreshold   Metric = "threshold"    // = noisy: the threshold keeps DP
)

var researchMetrics = []Metric{MetricBias, MetricRelBias, MetricSD, MetricRMSE, MetricRelRMSE, MetricCI95, MetricRelCI95, MetricWithheld}

var privacyMetrics = []Metric{MetricEpsilon, MetricDelta, MetricRiskHighest, MetricRiskMean, MetricRiskAbove10, MetricRiskAbove5,
	MetricRiskAbove2, MetricUniques, MetricAdvantage, MetricPosterior, MetricThreshold}

// Relative reports whether the metric is a ratio to the truth (a bound may be written in %).
func (m Metric) Relative() bool {
	return m == MetricRelBias || m == MetricRelRMSE || m == MetricRelCI95
}

// Share reports whether the metric is a share of people (a bound may be written in %).
func (m Metric) Share() bool {
	switch m {
	case MetricWithheld, MetricRiskMean, MetricRiskAbove10, MetricRiskAbove5, MetricRiskAbove2:
		return true
	}
	return false
}

// Probability reports whether the metric is a probability or risk in [0, 1].
func (m Metric) Probability() bool {
	switch m {
	case MetricRiskHighest, MetricAdvantage, MetricPosterior, MetricDelta:
		return true
	}
	return m.Share()
}

// Requirement is one stated requirement.
type Requirement struct {
	Side   Side
	Scope  Scope
	Metric Metric
	Op     Op
	// Bound is the bound as a number (a percentage is divided by 100).
	Bound float64
	// Percent is true when the bound was written with %: String writes it back that way.
	Percent bool
	// Prior is p of dp.posterior@p.
	Prior float64
}

// String is the requirement in canonical syntax; Parse(String()) gives it back.
func (r Requirement) String() string {
	var b strings.Builder
	if r.Side == Research {
		b.WriteString(r.Scope.String())
		b.WriteByte(' ')
	}
	b.WriteString(string(r.Metric))
	if r.Metric == MetricPosterior {
		b.WriteString("@" + strconv.FormatFloat(r.Prior, 'g', -1, 64))
	}
	b.WriteString(" " + r.Op.String() + " ")
	switch {
	case r.Metric == MetricThreshold:
		b.WriteString("noisy")
	case r.Percent:
		b.WriteString(percentText(r.Bound) + "%")
	default:
		b.WriteString(strconv.FormatFloat(r.Bound, 'g', -1, 64))
	}
	return b.String()
}

// percentText returns the shortest number x with x/100 == bound, as Parse divides it: the
// float nearest bound·100 or one of its four neighbours (bound came from some such x),
// written in as few digits as read back exactly. Writing bound·100 to 15 digits instead
// turned 1000000000000001 % into 1e+15 %, another bound.
func percentText(bound float64) string {
	x := bound * 100
	best := strconv.FormatFloat(x, 'g', -1, 64)
	found := false
	for _, c := range []float64{x, math.Nextafter(x, math.Inf(-1)), math.Nextafter(x, math.Inf(1)),
		math.Nextafter(math.Nextafter(x, math.Inf(-1)), math.Inf(-1)), math.Nextafter(math.Nextafter(x, math.Inf(1)), math.Inf(1))} {
		if c/100 != bound {
			continue
		}
		if text := strconv.FormatFloat(c, 'g', -1, 64); !found || len(text) < len(best) {
			best, found = text, true
		}
	}
	return best
}

// ParseError is a requirement that could not be read: the text, where (1-based column,
// in characters) and what was expected there.
type ParseError struct {
	Text   string
	Column int
	Token  string
	Want   string
}

func (e *ParseError) Error() string {
	if e.Token == "" {
		return fmt.Sprintf("requirement %q, column %d: %s", e.Text, e.Column, e.Want)
	}
	return fmt.Sprintf("requirement %q, column %d: %q: %s", e.Text, e.Column, e.Token, e.Want)
}

// token is one word of a requirement with its 1-based column.
type token struct {
	text   string
	column int
}

// tokenize splits text into words, operators (<=, ≤, <, >=, ≥, >, =, ==) and quoted
// names ("…" right after a ':'), each with its column.
func tokenize(text string) ([]token, error) {
	var out []token
	runes := []rune(text)
	for i := 0; i < len(runes); {
		r := runes[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case strings.ContainsRune("<>=≤≥", r):
			start := i
			i++
			if i < len(runes) && runes[i] == '=' && strings.ContainsRune("<>=", r) {
				i++
			}
			out = append(out, token{string(runes[start:i]), start + 1})
		default:
			start := i
			for i < len(runes) && !unicode.IsSpace(runes[i]) && !strings.ContainsRune("<>=≤≥", runes[i]) {
				if runes[i] == '"' {
					// A quoted name runs to the closing quote, spaces included.
					j := i + 1
					for j < len(runes) && runes[j] != '"' {
						if runes[j] == '\\' && j+1 < len(runes) {
							j++
						}
						j++
					}
					if j >= len(runes) {
						return nil, &ParseError{Text: text, Column: i + 1, Token: string(runes[i:]), Want: "a quoted name needs its closing \""}
					}
					i = j + 1
					continue
				}
				i++
			}
			out = append(out, token{string(runes[start:i]), start + 1})
		}
	}
	return out, nil
}

// maxScopeNameBytes bounds a scope's name, so that its canonical form, which quotes it
// and may escape every byte of it (a 200-byte name of quotes takes 402), stays within
// the 500 bytes Parse reads: the fuzzer found a 495-byte text whose canonical form did
// not parse back.
const maxScopeNameBytes = 200

// Parse reads one requirement. Its side follows from the metric.
func Parse(text string) (Requirement, error) {
	text = strings.TrimSpace(text)
	if !utf8.ValidString(text) {
		return Requirement{}, &ParseError{Text: strings.ToValidUTF8(text, "\uFFFD"), Column: 1, Want: "the text is not valid UTF-8"}
	}
	for i, r := range []rune(text) {
		if unprintable(r) {
			return Requirement{}, &ParseError{Text: strconv.QuoteToASCII(text), Column: i + 1, Want: "control characters are not allowed"}
		}
	}
	if text == "" {
		return Requirement{}, &ParseError{Text: text, Column: 1, Want: "empty: want e.g. \"rural rel_rmse <= 10%\" or \"epsilon <= 1\""}
	}
	if len(text) > 500 {
		return Requirement{}, &ParseError{Text: text[:40] + "…", Column: 501, Want: "a requirement is at most 500 bytes"}
	}
	toks, err := tokenize(text)
	if err != nil {
		return Requirement{}, err
	}
	p := parser{text: text, toks: toks}
	return p.requirement()
}

// unprintable reports a control or bidi character, which no requirement may hold.
func unprintable(r rune) bool {
	return unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

type parser struct {
	text string
	toks []token
	pos  int
}

func (p *parser) fail(want string) error {
	if p.pos >= len(p.toks) {
		return &ParseError{Text: p.text, Column: utf8.RuneCountInString(p.text) + 1, Want: "the text ends here: want " + want}
	}
	t := p.toks[p.pos]
	return &ParseError{Text: p.text, Column: t.column, Token: t.text, Want: "want " + want}
}

func (p *parser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos].text
	}
	return ""
}

func metricList(ms []Metric) string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = string(m)
	}
	return strings.Join(names, ", ")
}

func (p *parser) requirement() (Requirement, error) {
	var r Requirement
	first := strings.ToLower(p.peek())
	if m, prior, ok, err := p.privacyMetric(first); err != nil {
		return r, err
	} else if ok {
		r.Side, r.Metric, r.Prior, r.Scope.Kind = Privacy, m, prior, ScopeNone
		p.pos++
	} else {
		scope, err := p.scope()
		if err != nil {
			return r, err
		}
		r.Side, r.Scope = Research, scope
		p.pos++
		name := strings.ToLower(p.peek())
		found := false
		for _, m := range researchMetrics {
			if name == string(m) {
				r.Metric, found = m, true
			}
		}
		if !found {
			if _, _, ok, _ := p.privacyMetric(name); ok {
				return r, p.fail("a research metric after a scope (" + metricList(researchMetrics) + "); " + name + " is a privacy limit and takes no scope")
			}
			return r, p.fail("a metric: " + metricList(researchMetrics))
		}
		if err := p.checkScope(r); err != nil {
			return r, err
		}
		p.pos++
	}
	op, err := p.op(r.Metric)
	if err != nil {
		return r, err
	}
	r.Op = op
	p.pos++
	if err := p.bound(&r); err != nil {
		return r, err
	}
	p.pos++
	if p.pos < len(p.toks) {
		return r, p.fail("the end of the requirement")
	}
	return r, nil
}

// privacyMetric recognises a privacy metric (dp.posterior@p with its prior).
func (p *parser) privacyMetric(name string) (Metric, float64, bool, error) {
	if rest, ok := strings.CutPrefix(name, string(MetricPosterior)); ok {
		prior, found := strings.CutPrefix(rest, "@")
		v, err := strconv.ParseFloat(prior, 64)
		if !found || err != nil || !(v > 0 && v < 1) {
			return "", 0, false, p.fail("dp.posterior@p with a prior p between 0 and 1, e.g. dp.posterior@0.1")
		}
		return MetricPosterior, v, true, nil
	}
	aliases := map[string]Metric{"eps": MetricEpsilon, "ε": MetricEpsilon, "δ": MetricDelta, "risk.max": MetricRiskHighest}
	if m, ok := aliases[name]; ok {
		return m, 0, true, nil
	}
	for _, m := range privacyMetrics {
		if name == string(m) && m != MetricPosterior {
			return m, 0, true, nil
		}
	}
	return "", 0, false, nil
}

// scope reads total, cells, urban / suburban / rural, or kind:NAME / kind:* for district,
// group and mean.
func (p *parser) scope() (Scope, error) {
	word := p.peek()
	want := "a scope (total, cells, urban, suburban, rural, district:NAME, district:*, group:NAME, group:*, mean:NAME, mean:*) or a privacy metric (" + metricList(privacyMetrics) + ")"
	lower := strings.ToLower(word)
	switch lower {
	case "total":
		return Scope{Kind: ScopeTotal}, nil
	case "cells", "map":
		return Scope{Kind: ScopeCells}, nil
	case "urban", "suburban", "rural":
		return Scope{Kind: ScopeDensity, Name: lower}, nil
	}
	kind, name, ok := strings.Cut(word, ":")
	if !ok {
		return Scope{}, p.fail(want)
	}
	var s Scope
	switch strings.ToLower(kind) {
	case "district":
		s.Kind = ScopeDistrict
	case "group":
		s.Kind = ScopeGroup
	case "mean":
		s.Kind = ScopeMean
	case "density":
		s.Kind = ScopeDensity
	default:
		return Scope{}, p.fail(want)
	}
	if strings.HasPrefix(name, "\"") {
		unq, err := strconv.Unquote(name)
		if err != nil {
			return Scope{}, p.fail("a quoted name such as district:\"north west\"")
		}
		// An escape may spell what the text itself may not hold: the name must be as
		// printable as the text (no control or bidi characters, valid UTF-8).
		if !utf8.ValidString(unq) || strings.IndexFunc(unq, unprintable) >= 0 {
			return Scope{}, p.fail("a name without control characters")
		}
		name = unq
	}
	switch {
	case name == "*":
		if s.Kind == ScopeDensity {
			return Scope{}, p.fail("urban, suburban or rural (density:* is not a scope; write each class)")
		}
		s.All = true
	case name == "":
		return Scope{}, p.fail(fmt.Sprintf("a name after %s: (or * for all of them)", kind))
	case len(name) > maxScopeNameBytes:
		return Scope{}, p.fail(fmt.Sprintf("a name of at most %d bytes", maxScopeNameBytes))
	default:
		s.Name = name
		if s.Kind == ScopeDensity {
			lower := strings.ToLower(name)
			if lower != "urban" && lower != "suburban" && lower != "rural" {
				return Scope{}, p.fail("urban, suburban or rural")
			}
			s.Name = lower
		}
	}
	return s, nil
}

// checkScope refuses metrics a scope does not have: withheld shares exist for people
// located on the map (not per group, and not for a mean), and the map's cells are
// summarised by bias, sd, rmse and withheld only.
func (p *parser) checkScope(r Requirement) error {
	switch {
	case r.Metric == MetricWithheld && (r.Scope.Kind == ScopeGroup || r.Scope.Kind == ScopeMean):
		return p.fail("a metric the scope has: withheld is a share of the people of a place (total, district, density class or cells), not of a " + string(r.Scope.Kind))
	case r.Scope.Kind == ScopeCells && r.Metric != MetricBias && r.Metric != MetricSD && r.Metric != MetricRMSE && r.Metric != MetricWithheld:
		return p.fail("a metric the map has: bias (mean |bias| over cells), sd (√ mean variance), rmse or withheld")
	}
	return nil
}

func (p *parser) op(m Metric) (Op, error) {
	switch p.peek() {
	case "<=", "≤":
		if m == MetricThreshold {
			break
		}
		return AtMost, nil
	case "<":
		if m == MetricThreshold {
			break
		}
		return Below, nil
	case ">=", "≥":
		if m == MetricThreshold {
			break
		}
		return AtLeast, nil
	case ">":
		if m == MetricThreshold {
			break
		}
		return Above, nil
	case "=", "==":
		if m == MetricThreshold {
			return Equal, nil
		}
		return 0, p.fail("a bound comparison: <=, <, >= or > (= is only for threshold = noisy)")
	}
	if m == MetricThreshold {
		return 0, p.fail("= (threshold = noisy)")
	}
	return 0, p.fail("a comparison: <=, <, >= or >")
}

// bound reads the number (with an optional % and thousands separators).
func (p *parser) bound(r *Requirement) error {
	word := p.peek()
	if r.Metric == MetricThreshold {
		if strings.ToLower(word) != "noisy" {
			return p.fail("noisy (the only threshold a limit can ask for: the one that keeps DP)")
		}
		return nil
	}
	if word == "" {
		return p.fail("a number")
	}
	num, percent := strings.CutSuffix(word, "%")
	num = strings.TrimSpace(num)
	if strings.Contains(num, ",") {
		// Thousands separators: 2,000 or 1,000,000 — groups of three digits only.
		parts := strings.Split(num, ",")
		for i, part := range parts[1:] {
			digits := part
			if i == len(parts)-2 {
				digits, _, _ = strings.Cut(part, ".")
			}
			if len(digits) != 3 {
				return p.fail("a number (thousands separated by commas in groups of three, e.g. 2,000)")
			}
		}
		num = strings.ReplaceAll(num, ",", "")
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil && (strings.EqualFold(num, "inf") || num == "∞") && r.Metric == MetricEpsilon {
		v, err = math.Inf(1), nil
	}
	if err != nil || math.IsNaN(v) || (math.IsInf(v, 0) && r.Metric != MetricEpsilon) {
		return p.fail("a number, e.g. 0.1, 5% or 2,000")
	}
	if percent {
		if !r.Metric.Relative() && !r.Metric.Probability() {
			return p.fail(fmt.Sprintf("a number without %%: %s is not a share (use rel_%s for a share of the truth)", r.Metric, strings.TrimPrefix(string(r.Metric), "rel_")))
		}
		v /= 100
	}
	if v < 0 {
		return p.fail("a bound of 0 or more")
	}
	if r.Metric.Probability() && v > 1 {
		return p.fail(fmt.Sprintf("a bound between 0 and 1 (or 0%% to 100%%): %s is a probability or share", r.Metric))
	}
	if r.Metric == MetricEpsilon && v == 0 {
		return p.fail("an ε above 0")
	}
	r.Bound, r.Percent = v, percent
	return nil
}

// FileError locates a bad line of a requirements file.
type FileError struct {
	File string
	Line int
	Err  error
}

func (e *FileError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *FileError) Unwrap() error { return e.Err }

// maxFileLines bounds a requirements file: a team's requirements are a page, not a table.
const maxFileLines = 10_000

// ParseFile reads a requirements file: one requirement a line, optionally prefixed by
// "need:" or "limit:" (which must agree with the metric), "#" starting a comment, blank
// lines ignored. name is used in messages.
func ParseFile(r io.Reader, name string) ([]Requirement, error) {
	var out []Requirement
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	line := 0
	for sc.Scan() {
		line++
		if line > maxFileLines {
			return nil, &FileError{File: name, Line: line, Err: fmt.Errorf("more than %d lines: not a requirements file", maxFileLines)}
		}
		text := sc.Text()
		if line == 1 {
			text = strings.TrimPrefix(text, "\uFEFF")
		}
		if i := strings.Index(text, "#"); i >= 0 && !strings.Contains(text[:i], "\"") {
			text = text[:i]
		}
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		side := -1
		if rest, ok := cutWord(text, "need:"); ok {
			side, text = int(Research), rest
		} else if rest, ok := cutWord(text, "limit:"); ok {
			side, text = int(Privacy), rest
		}
		req, err := Parse(text)
		if err != nil {
			return nil, &FileError{File: name, Line: line, Err: err}
		}
		if side >= 0 && Side(side) != req.Side {
			return nil, &FileError{File: name, Line: line, Err: fmt.Errorf("%q is a %s, not a %s", text, req.Side.Owner(), Side(side).Owner())}
		}
		out = append(out, req)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &FileError{File: name, Line: line + 1, Err: errors.New("a line longer than 64 KiB: not a requirements file")}
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// cutWord removes a case-insensitive prefix word from text.
func cutWord(text, word string) (string, bool) {
	if len(text) >= len(word) && strings.EqualFold(text[:len(word)], word) {
		return strings.TrimSpace(text[len(word):]), true
	}
	return text, false
}

// FormatFile writes requirements in the file syntax ParseFile reads: needs, then limits.
func FormatFile(w io.Writer, reqs []Requirement) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# privtune requirements: one a line; need: research needs, limit: privacy limits")
	for _, side := range []Side{Research, Privacy} {
		for _, r := range reqs {
			if r.Side == side {
				prefix := "need: "
				if side == Privacy {
					prefix = "limit: "
				}
				fmt.Fprintln(bw, prefix+r.String())
			}
		}
	}
	return bw.Flush()
}
