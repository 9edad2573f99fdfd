package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// curatorSuffix names the curator record's folder, written beside the shareable folder
// DIR as DIR.curator-only: it holds everything computed from the true data.
const curatorSuffix = ".curator-only"

// recordName is the curator record's file inside the curator folder.
const recordName = "decision.json"

// curatorDir returns the curator folder that belongs to the shareable folder dir.
func curatorDir(dir string) string { return filepath.Clean(dir) + curatorSuffix }

// decision is the curator record of a release, written as DIR.curator-only/decision.json.
// It holds the true figures and must not be shared with the release. Its first key says
// when the release has no DP guarantee.
type decision struct {
	Warning         string      `json:"warning,omitempty"`
	Audience        string      `json:"audience"`
	DPGuarantee     dpClaim     `json:"dp_guarantee"`
	PrivtuneVersion string      `json:"privtune_version"`
	DPLibrary       string      `json:"dp_library"`
	Created         string      `json:"created"`
	SignedOff       signOff     `json:"signed_off"`
	Data            dataRecord  `json:"data"`
	Setup           setupRecord `json:"setup"`
	Roles           rolesJSON   `json:"roles"`
	Grid            gridJSON    `json:"grid"`
	Extent          *extentJSON `json:"extent,omitempty"`
	Params          paramsJSON  `json:"params"`
	ReadOffData     []string    `json:"read_off_data"`
	// Shareable names the shareable folder (beside this one) and the SHA-256 of each file.
	Shareable shareableRecord `json:"shareable"`
	// Predicted holds the engine's figures for the setting, computed from the true data.
	Predicted reportJSON     `json:"predicted"`
	Release   releaseSummary `json:"release"`
	Notes     []string       `json:"notes,omitempty"`
	// Requirements are the research needs and privacy limits stated for the release,
	// each read at the released setting (absent when none were stated).
	Requirements *agreementRecord `json:"requirements,omitempty"`
	// Integrity is the SHA-256 of decision.json's bytes with this field's value empty
	// (encodeRecord): an edit to the setting, the roles or any figure no longer matches it.
	Integrity string `json:"integrity"`
	// contentIntegrity is storedIntegrity of the bytes the record was read from (empty
	// for a record built in memory).
	contentIntegrity string
}

type signOff struct {
	By   string `json:"by"`
	Note string `json:"note"`
}

type dataRecord struct {
	Source  string `json:"source"`
	SHA256  string `json:"sha256"`
	Rows    int    `json:"rows"`
	People  int    `json:"people"`
	Skipped int    `json:"skipped"`
}

type releaseSummary struct {
	Entries   int `json:"entries"`
	Published int `json:"published"`
}

// setupRecord holds the data flags that rebuild the release's table: a bound or extent
// read off the data is recorded empty, so that it is read off the data again.
type setupRecord struct {
	Data    string   `json:"data"` // "" for the embedded sample
	Lat     string   `json:"lat"`
	Lon     string   `json:"lon"`
	QI      []string `json:"qi"`
	Bands   []string `json:"bands"`
	Measure string   `json:"measure"`
	// Sensitive lists every sensitive column (the sample's own included).
	Sensitive []string `json:"sensitive"`
	Bounds    string   `json:"bounds"`
	Extent    string   `json:"extent"`
	CellKM    float64  `json:"cell_km"`
	// Regions is the researcher's regions file that replaced the districts (--regions):
	// public input, recorded so that --decision restores it and refuses another file.
	Regions *regionsRecord `json:"regions,omitempty"`
}

type regionsRecord struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	// NameProperty is the GeoJSON property naming the regions ("" for a CSV file).
	NameProperty string `json:"name_property,omitempty"`
}

type shareableRecord struct {
	Folder string            `json:"folder"`
	Files  map[string]string `json:"sha256"`
}

// integrityField matches the record's own integrity field as the encoder writes it.
var integrityField = regexp.MustCompile(`"integrity": "[0-9a-f]*"`)

// blankIntegrity returns raw with the value of its integrity field emptied.
func blankIntegrity(raw []byte) []byte {
	done := false
	return integrityField.ReplaceAllFunc(raw, func(m []byte) []byte {
		if done {
			return m
		}
		done = true
		return []byte(`"integrity": ""`)
	})
}

// encodeRecord returns the record's bytes as written to decision.json, with its
// integrity field set to the SHA-256 of those same bytes with the field empty. The hash
// covers the bytes on disk, so a record stays verifiable whatever fields later versions
// of privtune add to the format.
func encodeRecord(d decision) ([]byte, string, error) {
	d.Integrity = ""
	raw, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, "", err
	}
	raw = append(raw, '\n')
	sum := sha256.Sum256(raw)
	h := hex.EncodeToString(sum[:])
	return bytes.Replace(raw, []byte(`"integrity": ""`), []byte(`"integrity": "`+h+`"`), 1), h, nil
}

// storedIntegrity returns the hex SHA-256 of a record's bytes as read, with its integrity
// field empty: it equals the field's value unless the file was edited.
func storedIntegrity(raw []byte) string {
	sum := sha256.Sum256(blankIntegrity(raw))
	return hex.EncodeToString(sum[:])
}

// fileSHA256 returns the hex SHA-256 of b.
func fileSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// requiredFields are the record's fields without which a setting cannot be restored or
// checked (dotted JSON paths).
var requiredFields = []string{
	"dp_guarantee", "created", "data", "data.source", "data.sha256", "data.rows", "setup", "setup.qi",
	"setup.cell_km", "roles", "grid", "params", "params.epsilon", "params.delta", "params.noise",
	"params.split", "params.k", "params.radius_km", "params.threshold", "shareable", "shareable.folder",
	"shareable.sha256", "integrity",
}

// decodeDecision reads a curator record strictly: unknown fields, keys in another case
// than the record's own, and missing required fields are errors naming the field.
func decodeDecision(raw []byte, path string) (decision, error) {
	var d decision
	var generic any
	gen := json.NewDecoder(bytes.NewReader(raw))
	if err := gen.Decode(&generic); err != nil {
		return d, fmt.Errorf("%s: not a decision record (not JSON: %v)", path, err)
	}
	if _, err := gen.Token(); err != io.EOF {
		return d, fmt.Errorf("%s: not a decision record: data after the JSON object", path)
	}
	obj, ok := generic.(map[string]any)
	if !ok {
		return d, fmt.Errorf("%s: not a decision record (want a JSON object)", path)
	}
	if err := checkKeyCase(obj, reflect.TypeOf(d), ""); err != nil {
		return d, fmt.Errorf("%s: %w", path, err)
	}
	var missing []string
	for _, f := range requiredFields {
		if !hasPath(obj, f) {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return d, fmt.Errorf("%s: incomplete decision record: missing %s", path, strings.Join(missing, ", "))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return d, fmt.Errorf("%s: not a decision record: %w", path, err)
	}
	return d, nil
}

// hasPath reports whether the dotted path names a key present in obj.
func hasPath(obj map[string]any, path string) bool {
	head, rest, more := strings.Cut(path, ".")
	v, ok := obj[head]
	if !ok {
		return false
	}
	if !more {
		return true
	}
	sub, ok := v.(map[string]any)
	return ok && hasPath(sub, rest)
}

// checkKeyCase walks v (decoded JSON) alongside the Go type t and returns an error naming
// the first key that is not one of t's JSON names exactly (encoding/json would match it
// case-insensitively or, with DisallowUnknownFields, reject it less clearly).
func checkKeyCase(v any, t reflect.Type, at string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil // a type error, which the decoder names
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields[name] = f.Type
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				for name := range fields {
					if strings.EqualFold(name, k) {
						return fmt.Errorf("field %q: keys are case-sensitive, want %q", at+k, at+name)
					}
				}
				return fmt.Errorf("unknown field %q", at+k)
			}
			if err := checkKeyCase(obj[k], ft, at+k+"."); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		list, ok := v.([]any)
		if !ok {
			return nil
		}
		for i, x := range list {
			if err := checkKeyCase(x, t.Elem(), strings.TrimSuffix(at, ".")+"["+strconv.Itoa(i)+"]."); err != nil {
				return err
			}
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		for k, x := range obj {
			if err := checkKeyCase(x, t.Elem(), at+k+"."); err != nil {
				return err
			}
		}
	}
	return nil
}

// recordLocation is where a curator record and its shareable folder are.
type recordLocation struct {
	record    string // path of decision.json
	shareable string // the shareable folder ("" when the record is not in DIR.curator-only)
}

// locateRecord finds the curator record from what the user names: the record itself,
// the curator folder DIR.curator-only, or the shareable folder DIR.
func locateRecord(target string) (recordLocation, error) {
	target = filepath.Clean(target)
	info, err := os.Stat(target)
	if err != nil {
		return recordLocation{}, fmt.Errorf("%s: %w", target, noSuchFile(err))
	}
	if !info.IsDir() {
		dir := filepath.Dir(target)
		loc := recordLocation{record: target}
		if strings.HasSuffix(dir, curatorSuffix) {
			loc.shareable = strings.TrimSuffix(dir, curatorSuffix)
		}
		return loc, nil // a record kept elsewhere: its shareable folder is unknown
	}
	if strings.HasSuffix(target, curatorSuffix) {
		return recordLocation{record: filepath.Join(target, recordName), shareable: strings.TrimSuffix(target, curatorSuffix)}, nil
	}
	rec := filepath.Join(curatorDir(target), recordName)
	if _, err := os.Stat(rec); err != nil {
		if _, old := os.Stat(filepath.Join(target, recordName)); old == nil {
			return recordLocation{}, fmt.Errorf("%s holds %s, a record written before privtune kept the curator's record apart: it holds true values, do not share the folder", target, recordName)
		}
		return recordLocation{}, fmt.Errorf("%s: no curator record %s beside it", target, rec)
	}
	return recordLocation{record: rec, shareable: target}, nil
}

func noSuchFile(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return errors.New("no such file or folder")
	}
	return err
}

// readDecision reads the curator record that target names (see locateRecord).
func readDecision(target string) (decision, recordLocation, error) {
	loc, err := locateRecord(target)
	if err != nil {
		return decision{}, loc, err
	}
	raw, err := os.ReadFile(loc.record)
	if err != nil {
		return decision{}, loc, fmt.Errorf("%s: %w", loc.record, noSuchFile(err))
	}
	d, err := decodeDecision(raw, loc.record)
	d.contentIntegrity = storedIntegrity(raw)
	return d, loc, err
}
