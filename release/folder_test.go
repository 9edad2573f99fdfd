package release

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func text(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// failing writes half its content and then fails, as a full disk would.
func failing(w io.Writer) error {
	io.WriteString(w, strings.Repeat("x", 100_000))
	return errors.New("injected failure")
}

// entries lists dir's entries, sorted.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range des {
		names = append(names, d.Name())
	}
	return names
}

// releaseFiles lists a release folder's files without its marker.
func releaseFiles(t *testing.T, dir string) []string {
	t.Helper()
	names := entries(t, dir)
	i := slices.Index(names, MarkerName)
	if i < 0 {
		t.Fatalf("%s has no marker: %v", dir, names)
	}
	return slices.Delete(names, i, i+1)
}

func read(t *testing.T, path string) string {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(got)
}

func version(v string) []File {
	return []File{{"a.csv", text("a " + v)}, {"b.json", text("b " + v)}}
}

func TestWriteFolderAtomic(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "rel")

	// A failure mid-write leaves nothing: no folder, no temporary folder, no lock file.
	err := WriteFolder(dir, []File{{"a.csv", text("a")}, {"b.json", failing}, {"c.md", text("c")}}, false)
	if err == nil || !strings.Contains(err.Error(), "injected failure") || !strings.Contains(err.Error(), "b.json") {
		t.Fatalf("failure not reported: %v", err)
	}
	if names := entries(t, parent); len(names) != 0 {
		t.Fatalf("a failed write left %v behind", names)
	}

	// A success writes every file, and the marker.
	if err := WriteFolder(dir, []File{{"a.csv", text("one")}, {"b.json", text("{}")}}, false); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "a.csv")); got != "one" {
		t.Fatalf("a.csv = %q", got)
	}
	if got := releaseFiles(t, dir); !slices.Equal(got, []string{"a.csv", "b.json"}) {
		t.Fatalf("folder holds %v", got)
	}

	// An existing folder is not replaced without force, and is left untouched.
	err = WriteFolder(dir, []File{{"a.csv", text("two")}}, false)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("existing folder: %v", err)
	}
	if got := read(t, filepath.Join(dir, "a.csv")); got != "one" {
		t.Fatal("the existing release changed")
	}

	// A failure while replacing with force keeps the old folder whole.
	err = WriteFolder(dir, []File{{"a.csv", text("three")}, {"b.json", failing}}, true)
	if err == nil {
		t.Fatal("injected failure not reported")
	}
	if got := read(t, filepath.Join(dir, "a.csv")); got != "one" {
		t.Fatal("a failed forced write damaged the old release")
	}
	if names := entries(t, parent); !slices.Equal(names, []string{"rel"}) {
		t.Fatalf("left behind: %v", names)
	}

	// With force the folder is replaced as a whole: old files do not survive.
	if err := WriteFolder(dir, []File{{"z.md", text("new")}}, true); err != nil {
		t.Fatal(err)
	}
	if names := releaseFiles(t, dir); !slices.Equal(names, []string{"z.md"}) {
		t.Fatalf("replaced folder holds %v", names)
	}
	if names := entries(t, parent); !slices.Equal(names, []string{"rel"}) {
		t.Fatalf("left behind: %v", names)
	}

	// A file where the folder should be is an error, not overwritten.
	file := filepath.Join(parent, "plain")
	os.WriteFile(file, []byte("keep"), 0o600)
	if err := WriteFolder(file, []File{{"a", text("x")}}, true); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Fatalf("file in the way: %v", err)
	}
}

// TestForceNeverDeletesOthersFiles: --force replaces only a folder privtune wrote; a folder
// holding anything else is left whole and the refusal names what it holds. (Before, --force
// deleted whatever folder it was pointed at.)
func TestForceNeverDeletesOthersFiles(t *testing.T) {
	cases := map[string]func(dir string){
		"a user's folder": func(dir string) {
			os.Mkdir(dir, 0o755)
			os.WriteFile(filepath.Join(dir, "thesis.txt"), []byte("years of work"), 0o644)
		},
		"a release with a user's file added": func(dir string) {
			if err := WriteFolder(dir, version("1"), false); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, "thesis.txt"), []byte("years of work"), 0o644)
		},
		"a release with a user's folder added": func(dir string) {
			if err := WriteFolder(dir, version("1"), false); err != nil {
				t.Fatal(err)
			}
			os.Mkdir(filepath.Join(dir, "thesis.txt"), 0o755)
			os.WriteFile(filepath.Join(dir, "thesis.txt", "ch1"), []byte("years of work"), 0o644)
		},
		"a forged marker": func(dir string) {
			os.Mkdir(dir, 0o755)
			os.WriteFile(filepath.Join(dir, MarkerName), []byte(`{"privtune_release":99,"id":"x","files":["thesis.txt"]}`), 0o644)
			os.WriteFile(filepath.Join(dir, "thesis.txt"), []byte("years of work"), 0o644)
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			setup(dir)
			before := entries(t, dir)
			for _, force := range []bool{true, false} {
				err := WriteFolder(dir, version("2"), force)
				if !errors.Is(err, ErrNotRelease) || !strings.Contains(err.Error(), "thesis.txt") ||
					!strings.Contains(err.Error(), "--force replaces only a folder privtune wrote") {
					t.Fatalf("force=%v: %v", force, err)
				}
				if strings.Contains(err.Error(), "add --force") {
					t.Fatalf("the refusal suggests --force for a folder it would not replace: %v", err)
				}
				if got := entries(t, dir); !slices.Equal(got, before) {
					t.Fatalf("force=%v: the folder now holds %v, before %v", force, got, before)
				}
				if got := entries(t, filepath.Dir(dir)); !slices.Equal(got, []string{"out"}) {
					t.Fatalf("left beside it: %v", got)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "thesis.txt")); err != nil {
				t.Fatal("the user's file is gone")
			}
		})
	}

	// The refusal for a release privtune wrote, without force, does suggest --force.
	dir := filepath.Join(t.TempDir(), "rel")
	if err := WriteFolder(dir, version("1"), false); err != nil {
		t.Fatal(err)
	}
	if err := WriteFolder(dir, version("2"), false); !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "add --force") {
		t.Fatalf("own release: %v", err)
	}
	// An empty folder holds nothing to lose: force fills it.
	empty := filepath.Join(t.TempDir(), "empty")
	os.Mkdir(empty, 0o755)
	if err := WriteFolder(empty, version("1"), true); err != nil {
		t.Fatal(err)
	}
}

// withTwoRenames makes the writes of the test use the two-rename replacement, as where
// the filesystem cannot exchange folders atomically.
func withTwoRenames(t *testing.T) {
	saved := exchangeFolders
	exchangeFolders = func(a, b string) error { return errNoExchange }
	t.Cleanup(func() { exchangeFolders = saved })
}

// TestCrashDuringReplace simulates a kill at each stage of a forced replacement: the old
// or the new release stays reachable, and the next run finishes or rolls back the
// replacement and removes what the killed run left.
func TestCrashDuringReplace(t *testing.T) {
	for _, mode := range []string{"exchange", "two renames"} {
		for _, stage := range []string{"file", "written", "journaled", "exchanged", "aside", "renamed"} {
			if (mode == "exchange") == (stage == "aside" || stage == "renamed") {
				continue // the stage belongs to the other mode
			}
			t.Run(mode+"/"+stage, func(t *testing.T) {
				if mode == "two renames" {
					withTwoRenames(t)
				}
				parent := t.TempDir()
				dir := filepath.Join(parent, "rel")
				if err := WriteFolder(dir, version("1"), false); err != nil {
					t.Fatal(err)
				}
				stageHook = crashAt(stage, 1)
				err := WriteFolder(dir, version("2"), true)
				stageHook = nil
				if !errors.Is(err, errSimulatedCrash) {
					t.Fatalf("no crash at %s: %v", stage, err)
				}
				// Reachable after the crash: the old or new release at dir, or, between
				// the two renames, the old one at the stable name beside it.
				reachable := dir
				if stage == "aside" {
					reachable = filepath.Join(parent, filepath.Base(siblingOf(dir, "old")))
				}
				got := read(t, filepath.Join(reachable, "a.csv")) + "+" + read(t, filepath.Join(reachable, "b.json"))
				if got != "a 1+b 1" && got != "a 2+b 2" {
					t.Fatalf("after the crash %s holds %q", reachable, got)
				}

				// The next run recovers: finishes the replacement once the journal is
				// written (the new release was whole), otherwise keeps the old one.
				if err := WriteFolder(dir, version("3"), false); !errors.Is(err, ErrExists) {
					t.Fatalf("next run: %v", err)
				}
				want := "a 2"
				if stage == "file" || stage == "written" {
					want = "a 1"
				}
				if got := read(t, filepath.Join(dir, "a.csv")); got != want {
					t.Fatalf("recovered release holds %q, want %q", got, want)
				}
				if got := releaseFiles(t, dir); !slices.Equal(got, []string{"a.csv", "b.json"}) {
					t.Fatalf("recovered release holds %v", got)
				}
				if names := entries(t, parent); !slices.Equal(names, []string{"rel"}) {
					t.Fatalf("left behind after recovery: %v", names)
				}
			})
		}
	}
}

// TestLeftoversRemoved: temporary folders of killed runs are removed by the next run,
// those of earlier privtune versions too when they hold only release files, and a folder
// privtune cannot vouch for is left alone.
func TestLeftoversRemoved(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "rel")
	stageHook = crashAt("file", 1)
	err := WriteFolder(dir, version("1"), false)
	stageHook = nil
	if !errors.Is(err, errSimulatedCrash) {
		t.Fatal(err)
	}
	// An older privtune's leftovers: partial release files, no marker.
	legacy := filepath.Join(parent, ".rel.tmp-12345")
	os.Mkdir(legacy, 0o755)
	os.WriteFile(filepath.Join(legacy, "a.csv"), []byte("a 0"), 0o644)
	legacyOld := filepath.Join(parent, ".rel.old-777")
	os.Mkdir(legacyOld, 0o755)
	// A recent one may still be being written by an older privtune, which takes no lock.
	recent := filepath.Join(parent, ".rel.tmp-recent")
	os.Mkdir(recent, 0o755)
	os.WriteFile(filepath.Join(recent, "a.csv"), []byte("a 0"), 0o644)
	long := time.Now().Add(-time.Hour)
	for _, p := range []string{filepath.Join(legacy, "a.csv"), legacy, legacyOld} {
		os.Chtimes(p, long, long)
	}
	// A folder with a matching name holding something else.
	stranger := filepath.Join(parent, ".rel.tmp-999")
	os.Mkdir(stranger, 0o755)
	os.WriteFile(filepath.Join(stranger, "notes.txt"), []byte("mine"), 0o644)
	os.Chtimes(filepath.Join(stranger, "notes.txt"), long, long)
	os.Chtimes(stranger, long, long)
	if n := len(entries(t, parent)); n != 6 { // lock file, .new-*, four legacy names
		t.Fatalf("setup: %v", entries(t, parent))
	}

	if err := WriteFolder(dir, version("2"), false); err != nil {
		t.Fatal(err)
	}
	if names := entries(t, parent); !slices.Equal(names, []string{".rel.tmp-999", ".rel.tmp-recent", "rel"}) {
		t.Fatalf("after the next run: %v", names)
	}
	if got := read(t, filepath.Join(stranger, "notes.txt")); got != "mine" {
		t.Fatal("a stranger's file changed")
	}
}

// TestConcurrentWriterRefused: while one write runs, a second writer of the same folder is
// refused at once with a clear message, and the first completes.
func TestConcurrentWriterRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rel")
	started, proceed := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- WriteFolder(dir, []File{{"a.csv", func(w io.Writer) error {
			close(started)
			<-proceed
			_, err := io.WriteString(w, "first")
			return err
		}}}, false)
	}()
	<-started
	err := WriteFolder(dir, []File{{"a.csv", text("second")}}, true)
	close(proceed)
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "another privtune release is writing "+dir) {
		t.Fatalf("second writer: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("first writer: %v", err)
	}
	if got := read(t, filepath.Join(dir, "a.csv")); got != "first" {
		t.Fatalf("a.csv = %q", got)
	}
}

// TestLongFolderName: any valid folder name works; the temporary names do not grow with
// it (a 250-character name used to fail on ".NAME.tmp-123").
func TestLongFolderName(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, strings.Repeat("r", 250))
	if err := WriteFolder(dir, version("1"), false); err != nil {
		t.Fatal(err)
	}
	withTwoRenames(t)
	if err := WriteFolder(dir, version("2"), true); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "a.csv")); got != "a 2" {
		t.Fatalf("a.csv = %q", got)
	}
	if names := entries(t, parent); len(names) != 1 {
		t.Fatalf("left behind: %v", names)
	}
}

// TestWriteFoldersInOrder: no destination is touched until every new folder is written;
// then the curator record goes in before the shareable folder, so the shareable folder
// never exists without it; a refused destination writes nothing.
func TestWriteFoldersInOrder(t *testing.T) {
	parent := t.TempDir()
	record, shareable := filepath.Join(parent, "rel.curator-only"), filepath.Join(parent, "rel")
	exists := func(dir string) bool { _, err := os.Stat(dir); return err == nil }
	checkNothingYet := func(w io.Writer) error {
		if exists(record) || exists(shareable) {
			t.Error("a destination was filled before every folder was written")
		}
		_, err := io.WriteString(w, "shared")
		return err
	}
	var placed []string
	stageHook = func(s string) error {
		if s == "renamed" {
			placed = append(placed, fmt.Sprint(exists(record), exists(shareable)))
		}
		return nil
	}
	err := WriteFolders(false,
		Folder{Dir: record, Files: []File{{"decision.json", text("record")}}},
		Folder{Dir: shareable, Files: []File{{"release.csv", checkNothingYet}}})
	stageHook = nil
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"true false", "true true"}; !slices.Equal(placed, want) {
		t.Fatalf("record, shareable present after each move: %v, want %v", placed, want)
	}

	// A shareable destination that cannot be replaced is found before the record is written.
	other := filepath.Join(t.TempDir(), "out")
	os.Mkdir(other, 0o755)
	os.WriteFile(filepath.Join(other, "thesis.txt"), nil, 0o644)
	err = WriteFolders(true,
		Folder{Dir: other + ".curator-only", Files: []File{{"decision.json", text("record")}}},
		Folder{Dir: other, Files: []File{{"release.csv", text("shared")}}})
	if !errors.Is(err, ErrNotRelease) {
		t.Fatalf("refused destination: %v", err)
	}
	if _, err := os.Stat(other + ".curator-only"); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the record was written although the shareable folder was refused")
	}
}

// TestDigest: a folder's Digest is the SHA-256 of sha256sum's listing of its files, so a
// reader can check it with standard tools; it changes when a file does.
func TestDigest(t *testing.T) {
	sum, err := exec.LookPath("sha256sum")
	if err != nil {
		t.Skip("no sha256sum to compare with")
	}
	dir := filepath.Join(t.TempDir(), "rel")
	if err := WriteFolder(dir, version("1"), false); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sum, "a.csv", "b.json")
	cmd.Dir = dir
	listing, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(listing)
	got, err := Digest(dir)
	if err != nil || got != hex.EncodeToString(want[:]) {
		t.Fatalf("Digest = %s, %v; sha256 of sha256sum's listing = %x", got, err, want)
	}
	os.WriteFile(filepath.Join(dir, "a.csv"), []byte("edited"), 0o644)
	if again, _ := Digest(dir); again == got {
		t.Fatal("the digest did not change with a file")
	}
	if _, err := Digest(t.TempDir()); !errors.Is(err, ErrNotRelease) {
		t.Fatalf("an empty folder: %v", err)
	}
}

// crashAt returns a stageHook that simulates a crash at the n-th time stage is reached.
func crashAt(stage string, n int) func(string) error {
	return errorAt(stage, n, errSimulatedCrash)
}

// errorAt returns a stageHook that returns err at the n-th time stage is reached.
func errorAt(stage string, n int, err error) func(string) error {
	seen := 0
	return func(s string) error {
		if s == stage {
			seen++
			if seen == n {
				return err
			}
		}
		return nil
	}
}

// pair is a curator record and its shareable folder, as release --out writes them.
type pair struct{ parent, record, shareable string }

func newPair(t *testing.T) pair {
	parent := t.TempDir()
	return pair{parent, filepath.Join(parent, "rel.curator-only"), filepath.Join(parent, "rel")}
}

// write writes version v of both folders, the record first.
func (p pair) write(v string, force bool) error {
	return WriteFolders(force, Folder{p.record, version("r" + v)}, Folder{p.shareable, version("s" + v)})
}

// versions says which version each folder holds: "r1+s1" when both hold version 1, "-" for
// a folder that is absent.
func (p pair) versions(t *testing.T) string {
	t.Helper()
	got := []string{}
	for _, dir := range []string{p.record, p.shareable} {
		a, err := os.ReadFile(filepath.Join(dir, "a.csv"))
		if errors.Is(err, os.ErrNotExist) {
			got = append(got, "-")
			continue
		}
		b := read(t, filepath.Join(dir, "b.json"))
		if strings.TrimPrefix(string(a), "a ") != strings.TrimPrefix(b, "b ") {
			t.Fatalf("%s holds a mix: %q, %q", dir, a, b)
		}
		if files := releaseFiles(t, dir); !slices.Equal(files, []string{"a.csv", "b.json"}) {
			t.Fatalf("%s holds %v", dir, files)
		}
		got = append(got, strings.TrimPrefix(b, "b "))
	}
	return strings.Join(got, "+")
}

// clean fails the test if anything but the two folders is left beside them.
func (p pair) clean(t *testing.T) {
	t.Helper()
	var want []string // the folders present (entries sorts "rel" first)
	for _, dir := range []string{p.shareable, p.record} {
		if _, err := os.Stat(dir); err == nil {
			want = append(want, filepath.Base(dir))
		}
	}
	if names := entries(t, p.parent); !slices.Equal(names, want) {
		t.Fatalf("left beside the folders: %v", names)
	}
}

// TestSecondFolderFailsNothingChanges: a failure (a full disk) while the shareable folder's
// files are written leaves both destinations as they were, with or without force. (Before,
// the record was already in place: with force the old record was lost and the new one
// described a release that did not exist; without, an orphan record blocked the next run.)
func TestSecondFolderFailsNothingChanges(t *testing.T) {
	failingShareable := func(p pair, force bool) error {
		return WriteFolders(force, Folder{p.record, version("r2")},
			Folder{p.shareable, []File{{"a.csv", text("a s2")}, {"b.json", failing}}})
	}
	p := newPair(t)
	if err := failingShareable(p, false); err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("failure not reported: %v", err)
	}
	if got := p.versions(t); got != "-+-" {
		t.Fatalf("after a failed first write: %s", got)
	}
	p.clean(t)
	if err := p.write("1", false); err != nil {
		t.Fatalf("the next run: %v", err)
	}
	for _, mode := range []string{"exchange", "two renames"} {
		if mode == "two renames" {
			withTwoRenames(t)
		}
		if err := failingShareable(p, true); err == nil || !strings.Contains(err.Error(), "injected failure") {
			t.Fatalf("%s: failure not reported: %v", mode, err)
		}
		if got := p.versions(t); got != "r1+s1" {
			t.Fatalf("%s: after a failed forced write: %s", mode, got)
		}
		p.clean(t)
	}
}

// TestCrashAnywhereKeepsPairConsistent kills a write of two folders at every stage it
// passes, replacing both or writing both anew: the next run leaves both folders of the
// same release: the old ones when the kill came before every journal was written, the new
// ones after (in particular between the first folder's swap and the second's).
func TestCrashAnywhereKeepsPairConsistent(t *testing.T) {
	for _, mode := range []string{"exchange", "two renames", "new"} {
		// The stages a write passes, in order.
		var stages []string
		{
			if mode == "two renames" {
				withTwoRenames(t)
			}
			p := newPair(t)
			if mode != "new" {
				if err := p.write("1", false); err != nil {
					t.Fatal(err)
				}
			}
			stageHook = func(s string) error { stages = append(stages, s); return nil }
			err := p.write("2", true)
			stageHook = nil
			if err != nil {
				t.Fatal(err)
			}
		}
		committed := slices.Index(stages, "journaled")
		if committed < 0 || !slices.Contains(stages[committed:], "exchanged") && !slices.Contains(stages[committed:], "renamed") {
			t.Fatalf("%s: stages %v", mode, stages)
		}
		for i, stage := range stages {
			n := 0
			for _, s := range stages[:i+1] {
				if s == stage {
					n++
				}
			}
			t.Run(fmt.Sprintf("%s/%s#%d", mode, stage, n), func(t *testing.T) {
				p := newPair(t)
				want := "-+-"
				if mode != "new" {
					if err := p.write("1", false); err != nil {
						t.Fatal(err)
					}
					want = "r1+s1"
				}
				if i >= committed-1 { // from the last journal written on (stages[committed-1])
					want = "r2+s2"
				}
				stageHook = crashAt(stage, n)
				err := p.write("2", true)
				stageHook = nil
				if !errors.Is(err, errSimulatedCrash) {
					t.Fatalf("no crash: %v", err)
				}
				// The next run recovers both folders, though it is refused.
				err = p.write("3", false)
				if want == "-+-" && err != nil || want != "-+-" && !errors.Is(err, ErrExists) {
					t.Fatalf("next run: %v", err)
				}
				if want == "-+-" {
					want = "r3+s3"
				}
				if got := p.versions(t); got != want {
					t.Fatalf("after recovery: %s, want %s (stages %v)", got, want, stages)
				}
				p.clean(t)
			})
		}
	}
}

// TestSwapFailureRollsBack: when putting the second folder in place fails (an error, not
// a crash), the first is put back: both destinations keep their old releases.
func TestSwapFailureRollsBack(t *testing.T) {
	injected := errors.New("injected swap failure")
	t.Run("exchange", func(t *testing.T) {
		p := newPair(t)
		if err := p.write("1", false); err != nil {
			t.Fatal(err)
		}
		saved := exchangeFolders
		exchangeFolders = func(a, b string) error {
			if b == p.shareable {
				return injected
			}
			return saved(a, b)
		}
		t.Cleanup(func() { exchangeFolders = saved })
		if err := p.write("2", true); !errors.Is(err, injected) {
			t.Fatalf("failure not reported: %v", err)
		}
		if got := p.versions(t); got != "r1+s1" {
			t.Fatalf("after a failed swap: %s", got)
		}
		p.clean(t)
	})
	for _, tc := range []struct{ mode, stage string }{
		{"two renames", "aside"}, {"two renames", "renamed"}, {"new", "renamed"},
	} {
		t.Run(tc.mode+"/"+tc.stage, func(t *testing.T) {
			withTwoRenames(t)
			p := newPair(t)
			want := "-+-"
			if tc.mode != "new" {
				if err := p.write("1", false); err != nil {
					t.Fatal(err)
				}
				want = "r1+s1"
			}
			stageHook = errorAt(tc.stage, 2, injected)
			err := p.write("2", true)
			stageHook = nil
			if !errors.Is(err, injected) {
				t.Fatalf("failure not reported: %v", err)
			}
			if got := p.versions(t); got != want {
				t.Fatalf("after a failed swap: %s, want %s", got, want)
			}
			p.clean(t)
		})
	}
}
