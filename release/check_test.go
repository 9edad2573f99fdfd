package release

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestCheckDestination: the pre-check refuses what WriteFolder refuses (a folder privtune
// did not write, a release without force, a file, a symbolic link, no name), allows a new
// folder and, with force, a release, and creates nothing (not even the lock file).
func TestCheckDestination(t *testing.T) {
	parent := t.TempDir()
	rel := filepath.Join(parent, "rel")
	if err := WriteFolder(rel, []File{{"release.csv", text("a,b\n")}}, false); err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(parent, "release")
	if err := os.Mkdir(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pkg, "folder.go"), []byte("package release\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(parent, "notes.txt")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(parent, "link")
	if err := os.Symlink(rel, link); err != nil {
		t.Fatal(err)
	}
	// WriteFolder leaves its lock file beside rel; nothing else is to appear.
	before, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir     string
		force   bool
		wantErr error // nil: allowed; errAny: some error
	}{
		{filepath.Join(parent, "new"), false, nil},
		{filepath.Join(parent, "a", "b", "new"), false, nil},
		{rel, false, ErrExists},
		{rel, true, nil},
		{pkg, false, ErrNotRelease},
		{pkg, true, ErrNotRelease},
		{file, true, errAny},
		{link, true, errAny},
		{"", false, errAny},
		{parent + "/..", false, errAny},
	} {
		err := CheckDestination(tc.dir, tc.force)
		switch {
		case tc.wantErr == nil && err != nil:
			t.Errorf("CheckDestination(%q, %v) = %v, want nil", tc.dir, tc.force, err)
		case tc.wantErr == errAny && err == nil:
			t.Errorf("CheckDestination(%q, %v) = nil, want an error", tc.dir, tc.force)
		case tc.wantErr != nil && tc.wantErr != errAny && !errors.Is(err, tc.wantErr):
			t.Errorf("CheckDestination(%q, %v) = %v, want %v", tc.dir, tc.force, err, tc.wantErr)
		}
	}
	// The refusal is WriteFolder's own.
	want := WriteFolder(pkg, []File{{"release.csv", text("a,b\n")}}, true)
	if got := CheckDestination(pkg, true); got == nil || want == nil || got.Error() != want.Error() {
		t.Errorf("CheckDestination says %v, WriteFolder %v", got, want)
	}
	after, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("CheckDestination changed %s: %d entries before, %d after", parent, len(before), len(after))
	}
}

// errAny stands for "some error" in TestCheckDestination.
var errAny = errors.New("any error")
