package datasets

import (
	"bytes"
	_ "embed"
)

// adultGzip is the embedded UCI Adult microdata: the adult.data split with every row that
// held a missing value removed (30,162 rows), comma-separated with LF line endings. See
// data/NOTICE.md for its source and licence (CC BY 4.0; Becker & Kohavi 1996).
//
//go:embed data/adult.csv.gz
var adultGzip []byte

// AdultSource names the embedded Adult sample in messages and records.
const AdultSource = "embedded:adult"

// AdultPeople is the number of rows in the embedded Adult sample.
const AdultPeople = 30162

// AdultQIs are the eight quasi-identifiers of ARX's Adult example; salary-class is sensitive.
var AdultQIs = []string{"sex", "age", "race", "marital-status", "education", "native-country", "workclass", "occupation"}

// AdultMetadata describes the embedded Adult sample: census microdata without location
// columns or a numeric measure besides age, so a release of it is a table of counts per
// group. Its default quasi-identifiers are a small, common choice (sex, banded age, race);
// --qi picks others, e.g. ARX's eight (AdultQIs).
func AdultMetadata() Metadata {
	return Metadata{
		Name: "adult",
		Description: "UCI Adult census microdata (Becker & Kohavi 1996, CC BY 4.0): 30,162 adults " +
			"of the 1994 US Current Population Survey, no locations",
		Roles: Roles{
			QIs:   []string{"sex", "age", "race"},
			Bands: map[string]Banding{"age": {Cuts: []float64{0, 25, 35, 45, 55, 65}}},
			Domains: map[string][]string{
				"sex":  {"Female", "Male"},
				"race": {"Amer-Indian-Eskimo", "Asian-Pac-Islander", "Black", "Other", "White"},
			},
			Sensitive: []string{"salary-class"},
		},
		CellKM: 1,
	}
}

// LoadAdult reads the embedded Adult sample with the given options.
func LoadAdult(opt Options) (*Population, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	return read(bytes.NewReader(adultGzip), AdultSource, AdultSource, int64(len(adultGzip)), opt)
}

// Embedded returns the metadata and loader of the embedded sample called name ("metro"
// or "adult"), or ok false.
func Embedded(name string) (meta Metadata, load func(Options) (*Population, error), ok bool) {
	switch name {
	case "metro":
		return MetroMetadata(), LoadMetro, true
	case "adult":
		return AdultMetadata(), LoadAdult, true
	}
	return Metadata{}, nil, false
}
