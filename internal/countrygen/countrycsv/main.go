// Command countrycsv writes a synthetic national population (see package countrygen) as
// CSV, for trying the explorer and the commands on a national grid. Run it from the
// module root, writing outside the repository:
//
//	go run ./internal/countrygen/countrycsv -people 3000000 -out /tmp/country.csv
//
// It prints the --extent that lays an exact ⌈side/cell⌉ × ⌈side/cell⌉ grid over the data.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"

	"privtune/internal/countrygen"
)

func main() {
	people := flag.Int("people", 3_000_000, "number of people")
	side := flag.Float64("side", countrygen.DefaultSideKM, "side of the square country in km")
	seed := flag.Uint64("seed", 1, "seed")
	out := flag.String("out", "", "CSV file to write (required)")
	flag.Parse()
	if *out == "" || *people <= 0 || !(*side > 0) {
		flag.Usage()
		os.Exit(2)
	}
	cfg := countrygen.Config{People: *people, SideKM: *side, Seed: *seed}
	if err := write(*out, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "countrycsv:", err)
		os.Exit(1)
	}
	// Round the extent inwards to 6 decimals (0.1 m), so that the printed box does not
	// grow by a hair into one more row and column of cells; people are 5 m inside.
	minLat, minLon, maxLat, maxLon := countrygen.Extent(cfg)
	in := func(v float64, round func(float64) float64) float64 { return round(v*1e6) / 1e6 }
	fmt.Printf("wrote %d people to %s\n--extent %.6f,%.6f,%.6f,%.6f\n", *people, *out,
		in(minLat, math.Ceil), in(minLon, math.Ceil), in(maxLat, math.Floor), in(maxLon, math.Floor))
}

func write(path string, cfg countrygen.Config) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := countrygen.WriteCSV(f, cfg); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
