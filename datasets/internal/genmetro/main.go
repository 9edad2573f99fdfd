// Command genmetro rewrites the embedded sample population datasets/data/metro.csv.gz
// and the small fixture testdata/metro_small.csv. Run it from the module root:
//
//	go run ./datasets/internal/genmetro
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"privtune/datasets"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "genmetro:", err)
		os.Exit(1)
	}
}

func run() error {
	var gz, small bytes.Buffer
	if err := datasets.WriteMetroGzip(&gz, datasets.MetroSeed); err != nil {
		return err
	}
	if err := datasets.GenerateMetroN(&small, datasets.MetroSmallSeed, datasets.MetroSmallPeople); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join("datasets", "data", "metro.csv.gz"), gz.Bytes()); err != nil {
		return err
	}
	return writeAtomic(filepath.Join("testdata", "metro_small.csv"), small.Bytes())
}

// writeAtomic writes data to a temporary file beside path and renames it into place, so
// path is either the old file or the whole new one.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".genmetro-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s (%d bytes)\n", path, len(data))
	return os.Rename(f.Name(), path)
}
