package datasets

// The embedded sample population "metro" and the code that generates it.
//
// metro is a fictional region 60 km × 60 km centred at 52° N, 5° E. Its people live in
//
//   - a dense core: 42 % of people, half in a round Gaussian around the centre with
//     standard deviation 0.8 km and half in one of 1.8 km, so the central square
//     kilometres hold several thousand people each;
//   - suburbs: 16 %, a ring 2.5–5.5 km from the centre;
//   - five towns: 25 % in all, Gaussians of 0.6–1.0 km 12–25 km out;
//   - a rural hinterland: 17 %, of which 40 villages of 5–60 people (Gaussians of 0.25 km)
//     and the rest farms of 1–4 people at a single point, spread uniformly over the
//     countryside at least 6 km from the centre.
//
// The same setting of ε, k and r is therefore harmless in the core, where a 1 km cell
// holds thousands, and revealing on the farms, where a cell holds one household.
//
// Per person: age from a population pyramid (5-year bands, uniform within a band; rural
// areas older), sex (51 % F, more women above 80), income (0 under 16; otherwise
// log-normal with a median set by age and area and σ = 0.65, 4 % with no income, and a
// Pareto tail with α = 1.6 above 150,000 for 1 % of adults, so some incomes run to
// millions and clamping matters) and condition, a sensitive yes/no attribute whose
// prevalence rises from 3 % under 20 to 25 % at 85.
//
// Only rng.Uint64 of a seeded PCG is used, with our own transforms, so the output does
// not depend on the standard library's sampling algorithms.

import (
	"bufio"
	"compress/gzip"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
)

// MetroSeed is the seed of the embedded sample.
const MetroSeed uint64 = 20261124

// MetroPeople is the number of people in the embedded sample.
const MetroPeople = 100_000

// metroHalfKM is half the side of the square region, in km.
const metroHalfKM = 29.9

// Centre of the region and km per degree (equirectangular, as in sim.Grid).
const (
	metroLat     = 52.0
	metroLon     = 5.0
	kmPerDegree  = 111.32
	metroInnerSD = 0.8
	metroOuterSD = 1.8
	metroVillage = 0.25
)

// area kinds, which shift age and income.
const (
	areaCore = iota
	areaSuburb
	areaTown
	areaRural
)

// metroTowns are the towns: centre (x, y) in km, spread in km and share of all people.
var metroTowns = [...]struct{ x, y, sd, share float64 }{
	{14, 8, 0.9, 0.06},
	{-16, 5, 0.8, 0.05},
	{6, -18, 1.0, 0.06},
	{-10, -15, 0.6, 0.04},
	{21, -7, 0.7, 0.04},
}

// ageBandWeights are the relative sizes of the 5-year age bands 0–4 … 95–99.
var ageBandWeights = [20]float64{5.0, 5.2, 5.4, 5.6, 6.0, 6.6, 6.8, 6.7, 6.5, 6.6, 7.0, 7.1, 6.6, 5.9, 5.2, 4.2, 2.9, 1.8, 0.8, 0.2}

// metroRNG draws the few distributions the generator needs from a PCG's Uint64 stream.
type metroRNG struct{ src *rand.PCG }

// uniform returns a value in [0, 1): the top 53 bits of a draw, × 2⁻⁵³.
func (r metroRNG) uniform() float64 { return float64(r.src.Uint64()>>11) / (1 << 53) }

// open returns a value in (0, 1).
func (r metroRNG) open() float64 { return (float64(r.src.Uint64()>>11) + 0.5) / (1 << 53) }

// intn returns an integer in [0, n).
func (r metroRNG) intn(n int) int { return int(r.uniform() * float64(n)) }

// normal returns a standard normal draw by Box–Muller: √(−2 ln U₁)·cos(2π U₂).
func (r metroRNG) normal() float64 {
	return math.Sqrt(-2*math.Log(r.open())) * math.Cos(2*math.Pi*r.uniform())
}

// GenerateMetro writes the embedded sample: MetroPeople people from seed, as CSV.
func GenerateMetro(w io.Writer, seed uint64) error { return GenerateMetroN(w, seed, MetroPeople) }

// WriteMetroGzip writes GenerateMetro's CSV gzip-compressed, with an empty gzip header
// (no name, no time) so that the bytes depend on the seed only.
func WriteMetroGzip(w io.Writer, seed uint64) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	if err := GenerateMetro(zw, seed); err != nil {
		return err
	}
	return zw.Close()
}

// GenerateMetroN writes a metro-like population of about people people (every group is
// scaled to the size) from seed, as CSV with the columns id, lat, lon, age, sex, income,
// condition.
func GenerateMetroN(w io.Writer, seed uint64, people int) error {
	rng := metroRNG{rand.NewPCG(seed, 0x6d6574726f)}
	g := &metroWriter{w: bufio.NewWriterSize(w, 1<<16), rng: rng}
	g.w.WriteString("id,lat,lon,age,sex,income,condition\n")
	scale := float64(people) / MetroPeople

	inside := func(x, y float64) bool { return math.Abs(x) <= metroHalfKM && math.Abs(y) <= metroHalfKM }
	// gaussian places n people around (cx, cy) with spread sd, redrawing points that
	// fall outside the region.
	gaussian := func(n int, cx, cy, sd float64, area int) {
		for i := 0; i < n; i++ {
			x, y := cx+sd*rng.normal(), cy+sd*rng.normal()
			for !inside(x, y) {
				x, y = cx+sd*rng.normal(), cy+sd*rng.normal()
			}
			g.person(x, y, area)
		}
	}
	share := func(s float64) int { return int(math.Round(s * float64(people))) }

	gaussian(share(0.21), 0, 0, metroInnerSD, areaCore)
	gaussian(share(0.21), 0, 0, metroOuterSD, areaCore)
	for i := 0; i < share(0.16); i++ {
		rad, ang := 2.5+3*rng.uniform(), 2*math.Pi*rng.uniform()
		g.person(rad*math.Cos(ang), rad*math.Sin(ang), areaSuburb)
	}
	for _, t := range metroTowns {
		gaussian(share(t.share), t.x, t.y, t.sd, areaTown)
	}
	// countryside returns a uniform point of the region at least 6 km from the centre
	// and 3 km from every town centre.
	countryside := func() (float64, float64) {
		for {
			x, y := metroHalfKM*(2*rng.uniform()-1), metroHalfKM*(2*rng.uniform()-1)
			if math.Hypot(x, y) < 6 {
				continue
			}
			near := false
			for _, t := range metroTowns {
				near = near || math.Hypot(x-t.x, y-t.y) < 3
			}
			if !near {
				return x, y
			}
		}
	}
	rural := share(0.17)
	for v := 0; v < 40 && rural > 0; v++ {
		n := min(rural, int(math.Round(float64(5+rng.intn(56))*scale)))
		x, y := countryside()
		gaussian(n, x, y, metroVillage, areaRural)
		rural -= n
	}
	for rural > 0 {
		n := min(rural, 1+rng.intn(4))
		x, y := countryside()
		for i := 0; i < n; i++ {
			g.person(x, y, areaRural)
		}
		rural -= n
	}
	return g.w.Flush()
}

// metroWriter draws each person's attributes and writes their row.
type metroWriter struct {
	w   *bufio.Writer
	rng metroRNG
	id  int
	buf []byte
}

// person writes one person living at (x, y) km from the centre in the given area.
func (g *metroWriter) person(x, y float64, area int) {
	r := g.rng
	age := g.age(area)
	sex := "M"
	pF := 0.51
	if age >= 80 {
		pF = 0.62
	}
	if r.uniform() < pF {
		sex = "F"
	}
	income := g.income(age, area)
	// Prevalence 3 % below 20, rising linearly to 25 % at 85 and above.
	prev := 0.03 + 0.22*math.Min(1, math.Max(0, float64(age-20)/65))
	condition := "no"
	if r.uniform() < prev {
		condition = "yes"
	}
	g.id++
	lat := metroLat + y/kmPerDegree
	lon := metroLon + x/(kmPerDegree*math.Cos(metroLat*math.Pi/180))
	b := g.buf[:0]
	b = strconv.AppendInt(b, int64(g.id), 10)
	b = append(b, ',')
	b = strconv.AppendFloat(b, lat, 'f', 5, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, lon, 'f', 5, 64)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(age), 10)
	b = append(b, ',')
	b = append(b, sex...)
	b = append(b, ',')
	b = strconv.AppendInt(b, income, 10)
	b = append(b, ',')
	b = append(b, condition...)
	b = append(b, '\n')
	g.w.Write(b)
	g.buf = b
}

// age draws an age in years: a 5-year band from ageBandWeights (in rural areas the
// bands from 50 up weigh 1.4 times more and those of 20–34 0.7 times), then uniform
// within the band.
func (g *metroWriter) age(area int) int {
	var w [20]float64
	total := 0.0
	for j, v := range ageBandWeights {
		if area == areaRural {
			switch {
			case j >= 10:
				v *= 1.4
			case j >= 4 && j < 7:
				v *= 0.7
			}
		}
		w[j] = v
		total += v
	}
	u := g.rng.uniform() * total
	band := len(w) - 1
	for j, v := range w {
		if u < v {
			band = j
			break
		}
		u -= v
	}
	return 5*band + g.rng.intn(5)
}

// income draws a yearly income in euros: 0 under 16 or with probability 4 %; with
// probability 1 % a Pareto tail 150,000·U^(−1/1.6); otherwise exp(ln m + 0.65·Z) with the
// median m by age (18,000 under 25, 36,000 to 64, 26,000 from 65) times an area factor
// (core 1.1, suburbs 1.25, towns 0.95, rural 0.85).
func (g *metroWriter) income(age, area int) int64 {
	r := g.rng
	if age < 16 || r.uniform() < 0.04 {
		return 0
	}
	if r.uniform() < 0.01 {
		return int64(math.Round(150000 * math.Pow(r.open(), -1/1.6)))
	}
	m := 36000.0
	switch {
	case age < 25:
		m = 18000
	case age >= 65:
		m = 26000
	}
	m *= [...]float64{areaCore: 1.1, areaSuburb: 1.25, areaTown: 0.95, areaRural: 0.85}[area]
	return int64(math.Round(math.Exp(math.Log(m) + 0.65*r.normal())))
}

// MetroSmallSeed and MetroSmallPeople make the fixture testdata/metro_small.csv.
const (
	MetroSmallSeed   uint64 = 7
	MetroSmallPeople        = 2000
)
