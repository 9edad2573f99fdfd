package datasets

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"privtune/internal/countrygen"
)

// writeBenchCSV writes n metro-like rows (id,lat,lon,age,sex,income,condition) to a file
// in dir and returns its path and size.
func writeBenchCSV(b *testing.B, dir string, n int) (string, int64) {
	path := filepath.Join(dir, fmt.Sprintf("people-%d.csv", n))
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	w.WriteString("id,lat,lon,age,sex,income,condition\n")
	var buf []byte
	for i := 0; i < n; i++ {
		buf = buf[:0]
		buf = strconv.AppendInt(buf, int64(i+1), 10)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, 51.75+0.5*rng.Float64(), 'f', 5, 64)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, 4.6+0.8*rng.Float64(), 'f', 5, 64)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(rng.IntN(100)), 10)
		buf = append(buf, ",F,"...)
		buf = strconv.AppendInt(buf, int64(rng.IntN(200000)), 10)
		buf = append(buf, ",no\n"...)
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(path)
	return path, st.Size()
}

// peakHeap samples the live heap while it runs and returns a function that stops the
// sampling and reports the largest value seen, in bytes.
func peakHeap() func() uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(stop); <-done; return peak.Load() }
}

// BenchmarkLoadAggregate measures the whole path from a CSV file on disk to the Table
// (metro roles, 1 km cells) and reports rows per second and the peak heap as a share of
// the file's size.
func BenchmarkLoadAggregate(b *testing.B) {
	dir := b.TempDir()
	roles := Roles{Lat: "lat", Lon: "lon", QIs: []string{"age", "sex"}, Measure: "income",
		Bands: map[string]Banding{"age": {Cuts: []float64{0, 18, 35, 65}}}}
	bounds := [2]float64{0, 250000}
	for _, n := range []int{100_000, 1_000_000, 10_000_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			path, size := writeBenchCSV(b, dir, n)
			defer os.Remove(path)
			b.SetBytes(size)
			b.ReportAllocs()
			var peak uint64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				runtime.GC()
				base := peakHeap()
				baseline := base()
				stop := peakHeap()
				p, err := Load(path, Options{Roles: roles})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Aggregate(p, GridOptions{CellKM: 1, Bounds: &bounds}); err != nil {
					b.Fatal(err)
				}
				v := stop()
				peak = max(peak, v-min(baseline, v))
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(peak)/float64(size), "peakheap/filesize")
		})
	}
}

// BenchmarkLoadAggregateNational loads and aggregates countrygen's country, 10 M people
// over 1,000 × 1,000 km, into a 1,000 × 1,000 grid of 1 km × 8 groups (age band × sex),
// from a CSV file on disk: the national scale (target ≥ 1.5 M rows/s). It reports rows/s
// and peak-bytes, the largest live heap seen above the heap before the load.
func BenchmarkLoadAggregateNational(b *testing.B) {
	const people = 10_000_000
	cfg := countrygen.Config{People: people, Seed: 1}
	path := filepath.Join(b.TempDir(), "country.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := countrygen.WriteCSV(f, cfg); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(path)
	roles := Roles{Lat: "lat", Lon: "lon", QIs: []string{"age", "sex"}, Measure: "income",
		Bands: map[string]Banding{"age": {Cuts: countrygen.AgeCuts}}}
	bounds := [2]float64{0, 250000}
	var ext Extent
	ext.MinLat, ext.MinLon, ext.MaxLat, ext.MaxLon = countrygen.Extent(cfg)
	b.SetBytes(st.Size())
	var peak uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		baseline := peakHeap()()
		stop := peakHeap()
		p, err := Load(path, Options{Roles: roles})
		if err != nil {
			b.Fatal(err)
		}
		t, err := Aggregate(p, GridOptions{CellKM: 1, Extent: &ext, Bounds: &bounds})
		if err != nil {
			b.Fatal(err)
		}
		v := stop()
		peak = max(peak, v-min(baseline, v))
		if g := t.Grid; g.Rows != 1000 || g.Cols != 1000 || len(t.Groups) != 8 || t.People() != people {
			b.Fatalf("%d × %d grid × %d groups with %d people", g.Rows, g.Cols, len(t.Groups), t.People())
		}
	}
	b.ReportMetric(float64(people)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak), "peak-bytes")
}
