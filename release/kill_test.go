//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package release

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestKilledWriterChild is the writer that TestKilledWriter starts and kills: it replaces
// the release at $KILL_DIR and stops at stage $KILL_STAGE, where it says "ready" and waits.
func TestKilledWriterChild(t *testing.T) {
	dir, stage := os.Getenv("KILL_DIR"), os.Getenv("KILL_STAGE")
	if dir == "" {
		t.Skip("run by TestKilledWriter")
	}
	if os.Getenv("KILL_TWO_RENAMES") != "" {
		exchangeFolders = func(a, b string) error { return errNoExchange }
	}
	stageHook = func(s string) error {
		if s == stage {
			os.Stdout.WriteString("ready\n")
			time.Sleep(time.Minute)
		}
		return nil
	}
	if os.Getenv("KILL_PAIR") != "" {
		pair{filepath.Dir(dir), dir + ".curator-only", dir}.write("2", true)
	} else {
		WriteFolder(dir, version("2"), true)
	}
	t.Fatal("not killed")
}

// TestKilledWriter kills (SIGKILL) a real writing process between the two renames of a
// replacement and at the atomic exchange: the lock dies with it, and the next run finds the
// new release whole at DIR with nothing left beside it. (Before, such a kill left no folder
// at DIR and temporary folders that no later run removed.) A writer of a record and its
// shareable folder killed between the two folders' exchanges leaves, after the next run,
// both new folders. (Before, the record was new and the shareable folder old.)
func TestKilledWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; TestCrashDuringReplace covers the same states")
	}
	for _, tc := range []struct{ stage, twoRenames, pair string }{
		{"aside", "1", ""}, {"renamed", "1", ""}, {"journaled", "", ""}, {"file", "", ""},
		{"exchanged", "", "1"}, {"renamed", "1", "1"},
	} {
		parent := t.TempDir()
		dir := filepath.Join(parent, "rel")
		p := pair{parent, dir + ".curator-only", dir}
		if tc.pair != "" {
			if err := p.write("1", false); err != nil {
				t.Fatal(err)
			}
		} else if err := WriteFolder(dir, version("1"), false); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriterChild$")
		cmd.Env = append(os.Environ(), "KILL_DIR="+dir, "KILL_STAGE="+tc.stage, "KILL_TWO_RENAMES="+tc.twoRenames, "KILL_PAIR="+tc.pair)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		if strings.TrimSpace(line) != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("%s: child said %q", tc.stage, line)
		}
		// While it runs, the folder is locked.
		if err := WriteFolder(dir, version("3"), true); !errors.Is(err, ErrBusy) {
			t.Errorf("%s: while the writer runs: %v", tc.stage, err)
		}
		cmd.Process.Kill()
		cmd.Wait()

		if tc.pair != "" {
			// The first folder is in place, the second not; the next run moves it in.
			if err := p.write("3", false); !errors.Is(err, ErrExists) {
				t.Fatalf("%s: next run: %v", tc.stage, err)
			}
			if got := p.versions(t); got != "r2+s2" {
				t.Errorf("%s: after the next run the pair holds %s", tc.stage, got)
			}
			p.clean(t)
			continue
		}
		if err := WriteFolder(dir, version("3"), false); !errors.Is(err, ErrExists) {
			t.Fatalf("%s: next run: %v", tc.stage, err)
		}
		want := "a 2"
		if tc.stage == "file" {
			want = "a 1"
		}
		if got := read(t, filepath.Join(dir, "a.csv")); got != want {
			t.Errorf("%s: recovered release holds %q, want %q", tc.stage, got, want)
		}
		if names := entries(t, parent); !slices.Equal(names, []string{"rel"}) {
			t.Errorf("%s: left behind: %v", tc.stage, names)
		}
	}
}
