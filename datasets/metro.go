package datasets

import (
	"bytes"
	_ "embed"
)

// metroGzip is the embedded sample population, written by GenerateMetro with MetroSeed
// (regenerate with `go run ./datasets/internal/genmetro`).
//
//go:embed data/metro.csv.gz
var metroGzip []byte

// MetroSource names the embedded sample in messages and records.
const MetroSource = "embedded:metro"

// MetroMetadata describes the embedded sample: its roles and the public facts a release
// needs (income clamp bounds from domain knowledge, cell size, age bands, map extent).
func MetroMetadata() Metadata {
	return Metadata{
		Name: "metro",
		Description: "synthetic population of about 100,000 people in a fictional region 60 km across: " +
			"a dense core, towns, suburbs, villages and isolated farms",
		Roles: Roles{
			Lat: "lat", Lon: "lon",
			QIs:       []string{"age", "sex"},
			Bands:     map[string]Banding{"age": {Cuts: []float64{0, 18, 35, 65}}},
			Domains:   map[string][]string{"sex": {"F", "M"}},
			Measure:   "income",
			Sensitive: []string{"condition"},
		},
		// Yearly income in euros: a public, generous cap chosen before looking at the
		// data (a statistics office would take it from published tax brackets). Incomes
		// above it are clamped, which is the bias clamping shows.
		MeasureBounds: [2]float64{0, 250000},
		CellKM:        1,
		Extent:        Extent{MinLat: 51.73, MaxLat: 52.27, MinLon: 4.56, MaxLon: 5.44},
	}
}

// LoadMetro reads the embedded sample with the given options; Options.Roles may differ
// from MetroMetadata's (any of its columns can be chosen).
func LoadMetro(opt Options) (*Population, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	return read(bytes.NewReader(metroGzip), MetroSource, MetroSource, int64(len(metroGzip)), opt)
}
