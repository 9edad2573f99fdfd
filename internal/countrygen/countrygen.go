// Package countrygen generates a synthetic national population, for tests and benchmarks
// at the scale of a country: a square of SideKM × SideKM (1,000 km by default) centred at
// 50° N, 10° E, which a 1 km grid covers with about 1,000 × 1,000 cells.
//
// Its people live in
//
//   - cities: 34 % of people in 8 cities, each a dense core (a round Gaussian of 1.5–3 km)
//     holding 40 % of the city and a wider ring (Gaussian of 5–10 km) holding the rest;
//   - towns: 24 % in 150 towns of Zipf-like sizes, Gaussians of 0.6–2 km;
//   - villages: 22 % in 4,000 villages of similar size, Gaussians of 0.3 km;
//   - a sparse rural background: 20 % as households of 1–4 people at a single point,
//     spread over the land, which is three quarters of the square: a smooth field of
//     waves leaves a quarter as empty hills, forests and lakes.
//
// Most of the 10⁶ cells therefore hold a household or two, a quarter hold nobody, and the
// city cores hold thousands: the spread of counts a national grid has.
//
// Per person: age from a population pyramid (5-year bands, uniform within a band; older
// in the countryside), sex (51 % F) and income (0 under 16 or for 4 %; otherwise
// log-normal around a median set by age and area, σ = 0.65, with a Pareto tail above
// 150,000 for 1 % of adults).
//
// Only rand.PCG's Uint64 is used, with our own transforms, so that a seed gives the same
// people on every Go release.
package countrygen

import (
	"bufio"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
)

// Centre of the country and the projection, as in sim.Grid: x = R·(λ − λ0)·cos φ0,
// y = R·(φ − φ0), R = 6371.0088 km.
const (
	CentreLat     = 50.0
	CentreLon     = 10.0
	earthRadiusKM = 6371.0088
)

// DefaultSideKM is the side of the default country: 1,000 km.
const DefaultSideKM = 1000

// edgeKM keeps every person this far inside the square, so that lat/lon rounded to 5
// decimals (about a metre) stay inside Extent.
const edgeKM = 0.005

// Config says which country to generate.
type Config struct {
	// People is the number of people to generate (exactly).
	People int
	// SideKM is the side of the square country; 0 means DefaultSideKM.
	SideKM float64
	// Seed selects the country: its settlements' places and sizes, and its people.
	Seed uint64
}

func (c Config) side() float64 {
	if c.SideKM > 0 {
		return c.SideKM
	}
	return DefaultSideKM
}

// Person is one generated person.
type Person struct {
	// X and Y are km east and north of the centre, within ±(SideKM/2 − 0.005).
	X, Y float64
	// Lat and Lon are X and Y in WGS84 degrees, by the projection of sim.Grid.
	Lat, Lon float64
	Age      int
	// Female is true for sex "F", false for "M".
	Female bool
	// Income is a yearly income in euros, ≥ 0.
	Income int64
}

// Age bands of the groups the benchmarks use: --band age=0,18,35,65 gives four bands,
// and with sex eight groups.
var AgeCuts = []float64{0, 18, 35, 65}

// Group returns the person's group among 8, as datasets.Aggregate numbers them with the
// quasi-identifiers age (banded at AgeCuts) and sex (F before M): 2·band + sex.
func (p Person) Group() int {
	band := 0
	for j, c := range AgeCuts {
		if float64(p.Age) >= c {
			band = j
		}
	}
	g := 2 * band
	if !p.Female {
		g++
	}
	return g
}

// Extent returns the public map extent of the country in degrees (MinLat, MinLon, MaxLat,
// MaxLon), a hair inside the square so that a grid of cellKM cells over it has exactly
// ⌈side/cellKM⌉ columns and rows.
func Extent(c Config) (minLat, minLon, maxLat, maxLon float64) {
	h := c.side()/2 - 1e-6
	minLat, minLon = toDegrees(-h, -h)
	maxLat, maxLon = toDegrees(h, h)
	return minLat, minLon, maxLat, maxLon
}

// toDegrees is sim.Grid.Unproject around the country's centre.
func toDegrees(x, y float64) (lat, lon float64) {
	rad := math.Pi / 180
	lat = CentreLat + y/earthRadiusKM/rad
	lon = CentreLon + x/(earthRadiusKM*math.Cos(CentreLat*rad))/rad
	return lat, lon
}

// rng draws the few distributions the generator needs from a PCG's Uint64 stream.
type rng struct{ src *rand.PCG }

// uniform returns a value in [0, 1).
func (r rng) uniform() float64 { return float64(r.src.Uint64()>>11) / (1 << 53) }

// open returns a value in (0, 1).
func (r rng) open() float64 { return (float64(r.src.Uint64()>>11) + 0.5) / (1 << 53) }

// intn returns an integer in [0, n).
func (r rng) intn(n int) int { return int(r.uniform() * float64(n)) }

// normal returns a standard normal draw by Box–Muller.
func (r rng) normal() float64 {
	return math.Sqrt(-2*math.Log(r.open())) * math.Cos(2*math.Pi*r.uniform())
}

// Area kinds, which shift age and income.
const (
	areaCity = iota
	areaTown
	areaVillage
	areaRural
)

// Shares of the people by kind of settlement, and how many settlements of each kind.
const (
	cityShare    = 0.34
	townShare    = 0.24
	villageShare = 0.22
	cities       = 8
	towns        = 150
	villages     = 4000
	villageSD    = 0.3
)

// settlement is a Gaussian cluster of people: centre, spread and number of people.
type settlement struct {
	x, y, sd float64
	people   int
	area     int
}

// generator holds the state of one generation.
type generator struct {
	cfg  Config
	r    rng
	half float64 // half the side, less edgeKM
	// waves is the land field: land where it is above landLevel.
	waves [6]struct{ kx, ky, phase float64 }
	emit  func(Person)
}

// landLevel leaves about a quarter of the square without rural households.
const landLevel = -0.45

// Generate calls emit for each of cfg.People people, in a fixed order for a seed:
// cities, towns, villages, then the rural households.
func Generate(cfg Config, emit func(Person)) {
	g := &generator{cfg: cfg, r: rng{rand.NewPCG(cfg.Seed, 0x636f756e747279)}, half: cfg.side()/2 - edgeKM, emit: emit}
	for i := range g.waves {
		// Wavelengths of a sixth to a half of the side, in any direction.
		k := 2 * math.Pi / (cfg.side() * (1.0/6 + g.r.uniform()/3))
		a := 2 * math.Pi * g.r.uniform()
		g.waves[i].kx, g.waves[i].ky, g.waves[i].phase = k*math.Cos(a), k*math.Sin(a), 2*math.Pi*g.r.uniform()
	}
	settled := 0
	for _, s := range g.settlements() {
		g.cluster(s)
		settled += s.people
	}
	for rural := cfg.People - settled; rural > 0; {
		n := min(rural, 1+g.r.intn(4))
		x, y := g.landPoint()
		for i := 0; i < n; i++ {
			g.person(x, y, areaRural)
		}
		rural -= n
	}
}

// settlements places the cities, towns and villages and sizes them so that each kind
// holds its share of cfg.People.
func (g *generator) settlements() []settlement {
	var out []settlement
	// zipf sizes n settlements by rank^(−exponent), scaled to total people.
	zipf := func(n int, exponent float64, total int, spread func(i int) float64, area int) {
		weights := make([]float64, n)
		sum := 0.0
		for i := range weights {
			weights[i] = math.Pow(float64(i+1), -exponent)
			sum += weights[i]
		}
		left := total
		for i, w := range weights {
			people := int(math.Round(w / sum * float64(total)))
			if i == n-1 {
				people = left
			}
			people = min(people, left)
			left -= people
			x, y := g.landPoint()
			out = append(out, settlement{x: x, y: y, sd: spread(i), people: people, area: area})
		}
	}
	share := func(s float64) int { return int(math.Round(s * float64(g.cfg.People))) }
	// Each city is two settlements at one place: a core and a ring around it.
	start := len(out)
	zipf(cities, 0.8, share(cityShare), func(int) float64 { return 1.5 + 1.5*g.r.uniform() }, areaCity)
	for i, end := start, len(out); i < end; i++ {
		c := out[i]
		core := int(math.Round(0.4 * float64(c.people)))
		out[i].people = core
		out = append(out, settlement{x: c.x, y: c.y, sd: 5 + 5*g.r.uniform(), people: c.people - core, area: areaCity})
	}
	zipf(towns, 0.7, share(townShare), func(int) float64 { return 0.6 + 1.4*g.r.uniform() }, areaTown)
	zipf(villages, 0.2, share(villageShare), func(int) float64 { return villageSD }, areaVillage)
	return out
}

// land reports whether (x, y) is in the land field (not hills, forest or lake).
func (g *generator) land(x, y float64) bool {
	v := 0.0
	for _, w := range g.waves {
		v += math.Sin(w.kx*x + w.ky*y + w.phase)
	}
	return v/math.Sqrt(float64(len(g.waves))/2) > landLevel
}

// landPoint returns a uniform point of the land.
func (g *generator) landPoint() (float64, float64) {
	for {
		x, y := g.half*(2*g.r.uniform()-1), g.half*(2*g.r.uniform()-1)
		if g.land(x, y) {
			return x, y
		}
	}
}

// cluster places s.people people around s's centre, redrawing points outside the square.
func (g *generator) cluster(s settlement) {
	for i := 0; i < s.people; i++ {
		x, y := s.x+s.sd*g.r.normal(), s.y+s.sd*g.r.normal()
		for math.Abs(x) > g.half || math.Abs(y) > g.half {
			x, y = s.x+s.sd*g.r.normal(), s.y+s.sd*g.r.normal()
		}
		g.person(x, y, s.area)
	}
}

// ageBandWeights are the relative sizes of the 5-year age bands 0–4 … 95–99.
var ageBandWeights = [20]float64{5.0, 5.2, 5.4, 5.6, 6.0, 6.6, 6.8, 6.7, 6.5, 6.6, 7.0, 7.1, 6.6, 5.9, 5.2, 4.2, 2.9, 1.8, 0.8, 0.2}

// person draws the attributes of a person living at (x, y) and emits them.
func (g *generator) person(x, y float64, area int) {
	r := g.r
	p := Person{X: x, Y: y}
	p.Lat, p.Lon = toDegrees(x, y)
	p.Age = g.age(area)
	p.Female = r.uniform() < 0.51
	p.Income = g.income(p.Age, area)
	g.emit(p)
}

// age draws an age: a 5-year band from ageBandWeights (in the countryside the bands from
// 50 up weigh 1.4 times more and those of 20–34 0.7 times), then uniform within it.
func (g *generator) age(area int) int {
	total := 0.0
	var w [20]float64
	for j, v := range ageBandWeights {
		if area >= areaVillage {
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
	u := g.r.uniform() * total
	band := len(w) - 1
	for j, v := range w {
		if u < v {
			band = j
			break
		}
		u -= v
	}
	return 5*band + g.r.intn(5)
}

// income draws a yearly income: 0 under 16 or with probability 4 %; with probability 1 %
// 150,000·U^(−1/1.6); otherwise exp(ln m + 0.65·Z) with the median m by age (18,000 under
// 25, 36,000 to 64, 26,000 from 65) times an area factor (city 1.15, town 1, village
// 0.9, rural 0.85).
func (g *generator) income(age, area int) int64 {
	r := g.r
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
	m *= [...]float64{areaCity: 1.15, areaTown: 1, areaVillage: 0.9, areaRural: 0.85}[area]
	return int64(math.Round(math.Exp(math.Log(m) + 0.65*r.normal())))
}

// CSVHeader is the header WriteCSV writes.
const CSVHeader = "id,lat,lon,age,sex,income\n"

// WriteCSV writes the country's people as CSV with the columns of CSVHeader, lat and lon
// to 5 decimals (about a metre).
func WriteCSV(w io.Writer, cfg Config) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString(CSVHeader)
	var buf []byte
	id := 0
	Generate(cfg, func(p Person) {
		id++
		buf = strconv.AppendInt(buf[:0], int64(id), 10)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, p.Lat, 'f', 5, 64)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, p.Lon, 'f', 5, 64)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(p.Age), 10)
		if p.Female {
			buf = append(buf, ",F,"...)
		} else {
			buf = append(buf, ",M,"...)
		}
		buf = strconv.AppendInt(buf, p.Income, 10)
		buf = append(buf, '\n')
		bw.Write(buf)
	})
	return bw.Flush()
}
