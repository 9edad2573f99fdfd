package release

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func text(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// failing writes half its content and then fails, as a full disk would.
func failing(w io.Writer) error {
	io.WriteString(w, strings.Repeat("x", 100_000))
	return errors.New("injected failure")
}

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

func TestWriteFolderAtomic(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "rel")

	// A failure mid-write leaves nothing: no folder, no temporary folder.
	err := WriteFolder(dir, []File{{"a.csv", text("a")}, {"b.json", failing}, {"c.md", text("c")}}, false)
	if err == nil || !strings.Contains(err.Error(), "injected failure") || !strings.Contains(err.Error(), "b.json") {
		t.Fatalf("failure not reported: %v", err)
	}
	if names := entries(t, parent); len(names) != 0 {
		t.Fatalf("a failed write left %v behind", names)
	}

	// A success writes every file.
	if err := WriteFolder(dir, []File{{"a.csv", text("one")}, {"b.json", text("{}")}}, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a.csv")); string(got) != "one" {
		t.Fatalf("a.csv = %q", got)
	}

	// An existing folder is not replaced without force, and is left untouched.
	err = WriteFolder(dir, []File{{"a.csv", text("two")}}, false)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("existing folder: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a.csv")); string(got) != "one" {
		t.Fatal("the existing release changed")
	}

	// A failure while replacing with force keeps the old folder whole.
	err = WriteFolder(dir, []File{{"a.csv", text("three")}, {"b.json", failing}}, true)
	if err == nil {
		t.Fatal("injected failure not reported")
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a.csv")); string(got) != "one" {
		t.Fatal("a failed forced write damaged the old release")
	}
	if names := entries(t, parent); len(names) != 1 || names[0] != "rel" {
		t.Fatalf("left behind: %v", names)
	}

	// With force the folder is replaced as a whole: old files do not survive.
	if err := WriteFolder(dir, []File{{"z.md", text("new")}}, true); err != nil {
		t.Fatal(err)
	}
	if names := entries(t, dir); len(names) != 1 || names[0] != "z.md" {
		t.Fatalf("replaced folder holds %v", names)
	}
	if names := entries(t, parent); len(names) != 1 {
		t.Fatalf("left behind: %v", names)
	}

	// A file where the folder should be is an error, not overwritten.
	file := filepath.Join(parent, "plain")
	os.WriteFile(file, []byte("keep"), 0o600)
	if err := WriteFolder(file, []File{{"a", text("x")}}, true); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Fatalf("file in the way: %v", err)
	}
}
