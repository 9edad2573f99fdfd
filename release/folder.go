package release

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// File is one file of a release folder: its name and what writes its content.
type File struct {
	Name  string
	Write func(io.Writer) error
}

// Folder is a folder to write: its path and its files.
type Folder struct {
	Dir   string
	Files []File
}

// MarkerName is the file privtune writes into every folder it writes, first: a JSON object
// {"privtune_release": format, "files": [names]} naming every other file of the folder.
// It is how --force recognises a folder privtune wrote. It depends only on the file names,
// so it says nothing about the data.
const MarkerName = ".privtune-release"

// markerFormat is the version of the marker's format.
const markerFormat = 1

var (
	// ErrExists says the folder exists and replacing it was not asked for.
	ErrExists = errors.New("exists")
	// ErrNotRelease says a folder is not one privtune wrote, so it is never replaced.
	ErrNotRelease = errors.New("is not a privtune release folder")
	// ErrBusy says another privtune is writing the same folder.
	ErrBusy = errors.New("another privtune release is writing")
)

// WriteFolder writes files into the folder dir, all or nothing; see WriteFolders.
func WriteFolder(dir string, files []File, force bool) error {
	return WriteFolders(force, Folder{Dir: dir, Files: files})
}

// WriteFolders writes each folder, in the order given, all or nothing per folder.
//
// # What is replaced
//
// An existing folder is an error (ErrExists) unless force is set, and even with force it is
// replaced only when privtune wrote it: it holds the marker file MarkerName and nothing but
// the files that marker lists (an empty folder is also replaced). A folder holding anything
// else is never touched (ErrNotRelease, naming what it holds). A symbolic link or a file in
// the folder's place is an error. Every destination is checked, and locked, before any
// folder is written, so a refusal writes nothing.
//
// # Order of several folders
//
// Each folder is atomic on its own, and the folders appear one after the other in the
// order given; a failure stops before the next one. So pass the curator record
// (DIR.curator-only) first and the shareable folder DIR last: a shareable folder then
// never exists without its record.
//
// # Names beside a folder DIR
//
// All in DIR's parent, with h the first 12 hex digits of the SHA-256 of DIR's base name (so
// the names stay short whatever DIR is called, and are stable from run to run):
//
//	.privtune-h.lock     lock file: flock'd while a writer runs (its PID inside, for people)
//	.privtune-h.new-*    the new folder being written (marker first, then each file synced)
//	.privtune-h.old      the old folder during a two-rename replacement
//	.privtune-h.swap     journal of a replacement under way: the new folder's name and Digest
//
// # Replacing, crash-safe
//
// A new folder is written under .new-*, synced, and renamed to DIR if DIR is absent. To
// replace DIR, the journal is written (atomically) first; then on Linux the two folders are
// exchanged in one renameat2(RENAME_EXCHANGE), so DIR is always either the old or the new
// release; where that is not available, DIR is renamed to .old and .new-* to DIR, so in
// between the old release is reachable under .old. Then the old folder is removed and the
// journal last. A later run (holding the lock) finishes an interrupted replacement from the
// journal: if DIR already has the journal's Digest there is nothing left to do; if the new
// folder is whole it is moved in (rolled forward, which keeps it consistent with a record
// written before it); otherwise the old folder is put back (rolled back).
//
// # Leftovers and concurrent writers
//
// Holding the lock, a run removes the .new-* and .old folders of earlier, killed runs for
// the same DIR (the lock proves their writer is gone) when they are empty or carry the
// marker and nothing else, and likewise the .DIR.tmp-* and .DIR.old-* folders of earlier
// privtune versions (which took no lock) when they hold only files of the release being
// written and have not changed for 10 minutes. A second writer of the same DIR while one
// runs gets ErrBusy at once.
func WriteFolders(force bool, folders ...Folder) (err error) {
	targets := make([]*target, 0, len(folders))
	defer func() {
		for _, t := range targets {
			t.unlock(errors.Is(err, errSimulatedCrash))
		}
	}()
	seen := map[string]bool{}
	for _, f := range folders {
		dir := filepath.Clean(f.Dir)
		if seen[dir] {
			return fmt.Errorf("release: folder %s given twice", dir)
		}
		seen[dir] = true
		t, err := prepare(f, force)
		if t != nil {
			targets = append(targets, t)
		}
		if err != nil {
			return err
		}
	}
	for _, t := range targets {
		if err := t.write(); err != nil {
			return err
		}
	}
	return nil
}

// target is one folder to write, locked, with the names beside it.
type target struct {
	dir, parent, base string
	files             []File
	lock              *lockedFile
	// replace is set when dir exists and is to be replaced.
	replace bool
}

func (t *target) sibling(suffix string) string {
	sum := sha256.Sum256([]byte(t.base))
	return filepath.Join(t.parent, ".privtune-"+hex.EncodeToString(sum[:6])+"."+suffix)
}

func (t *target) unlock(crashed bool) {
	if t.lock != nil {
		t.lock.unlock(crashed)
	}
}

// prepare checks f, takes its lock, finishes any interrupted replacement, removes
// leftovers and decides whether its folder is new or replaces one.
func prepare(f Folder, force bool) (*target, error) {
	if err := checkFolderName(f.Dir); err != nil {
		return nil, err
	}
	dir := filepath.Clean(f.Dir)
	t := &target{dir: dir, parent: filepath.Dir(dir), base: filepath.Base(dir), files: f.Files}
	if err := checkFileNames(f.Files); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(t.parent, 0o755); err != nil {
		return nil, err
	}
	lock, err := lockPath(t.sibling("lock"))
	if errors.Is(err, errLocked) {
		return nil, fmt.Errorf("%w %s: wait for it to finish, or choose another folder", ErrBusy, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	t.lock = lock
	if err := t.recover(); err != nil {
		return t, err
	}
	t.removeLeftovers()
	replace, err := checkExisting(dir, force)
	t.replace = replace
	return t, err
}

func checkFileNames(files []File) error {
	seen := map[string]bool{}
	for _, f := range files {
		switch {
		case f.Name == "" || f.Name == "." || f.Name == ".." || strings.ContainsAny(f.Name, `/\`):
			return fmt.Errorf("release: file name %q is not a plain name", f.Name)
		case f.Name == MarkerName:
			return fmt.Errorf("release: file name %q is the marker's", f.Name)
		case seen[f.Name]:
			return fmt.Errorf("release: file %q given twice", f.Name)
		}
		seen[f.Name] = true
	}
	return nil
}

// write writes the new folder and puts it in place.
func (t *target) write() (err error) {
	tmp, err := os.MkdirTemp(t.parent, filepath.Base(t.sibling("new-*")))
	if err != nil {
		return err
	}
	journaled, swapped := false, false
	defer func() {
		switch {
		case err == nil, errors.Is(err, errSimulatedCrash), swapped:
			// Done, or crashed (the next run recovers), or the new release is in place
			// and only cleaning up failed (the next run finishes it from the journal).
		case journaled:
			if rerr := t.rollBack(tmp); rerr != nil {
				err = fmt.Errorf("%w; and %v", err, rerr)
			}
		default:
			os.RemoveAll(tmp)
		}
	}()
	digest, err := t.fill(tmp)
	if err != nil {
		return err
	}
	if err := crash("written"); err != nil {
		return err
	}
	if !t.replace {
		if err := os.Rename(tmp, t.dir); err != nil {
			return err
		}
		return syncDir(t.parent)
	}
	if err := writeJournal(t.sibling("swap"), journal{Format: markerFormat, New: filepath.Base(tmp), Digest: digest}); err != nil {
		return err
	}
	journaled = true
	if err := crash("journaled"); err != nil {
		return err
	}
	old := t.sibling("old")
	if err := exchangeFolders(tmp, t.dir); err == nil {
		old = tmp // the exchange left the old release under the new one's temporary name
		swapped = true
		if err := crash("exchanged"); err != nil {
			return err
		}
	} else {
		if !errors.Is(err, errNoExchange) {
			return err
		}
		if err := os.Rename(t.dir, old); err != nil {
			return err
		}
		if err := crash("aside"); err != nil {
			return err
		}
		if err := os.Rename(tmp, t.dir); err != nil {
			return err
		}
		swapped = true
		if err := crash("renamed"); err != nil {
			return err
		}
	}
	if err := syncDir(t.parent); err != nil {
		return err
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("the new release is in %s, but the old one could not be removed from %s: %w", t.dir, old, err)
	}
	if err := os.Remove(t.sibling("swap")); err != nil {
		return err
	}
	return syncDir(t.parent)
}

// rollBack undoes a replacement that failed (with an error, not a crash) before the new
// folder tmp was in place: the old folder goes back to t.dir if it was moved aside, then
// tmp and the journal are removed. If the old folder cannot be put back, the journal stays
// so that the next run finishes the replacement.
func (t *target) rollBack(tmp string) error {
	old := t.sibling("old")
	if _, err := os.Lstat(t.dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(old, t.dir); err != nil {
			return fmt.Errorf("the old release could not be put back from %s (the next run will finish the replacement): %w", old, err)
		}
	}
	os.RemoveAll(tmp)
	if err := os.Remove(t.sibling("swap")); err != nil {
		return err
	}
	return syncDir(t.parent)
}

// fill writes the marker and then every file into the folder tmp, each synced, and
// returns the folder's Digest.
func (t *target) fill(tmp string) (string, error) {
	m := marker{Format: markerFormat}
	for _, f := range t.files {
		m.Files = append(m.Files, f.Name)
	}
	err := writeFile(filepath.Join(tmp, MarkerName), func(w io.Writer) error {
		return json.NewEncoder(w).Encode(m)
	})
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", MarkerName, err)
	}
	digest := sha256.New()
	for _, f := range t.files {
		content := sha256.New()
		err := writeFile(filepath.Join(tmp, f.Name), func(w io.Writer) error {
			return f.Write(io.MultiWriter(w, content))
		})
		if err != nil {
			return "", fmt.Errorf("writing %s: %w", f.Name, err)
		}
		fmt.Fprintf(digest, "%x  %s\n", content.Sum(nil), f.Name)
		if err := crash("file"); err != nil {
			return "", err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	return hex.EncodeToString(digest.Sum(nil)), syncDir(tmp)
}

// Digest returns the SHA-256 of a release folder privtune wrote, over the files its marker
// lists, in the marker's order: SHA-256 of the lines "sha256(content)  name\n", the format
// of sha256sum(1), so that a reader can check it with standard tools. It fails if dir is
// not a privtune release folder or a listed file is missing.
func Digest(dir string) (string, error) {
	own, err := ownership(dir)
	if err != nil {
		return "", err
	}
	if own.problem != "" || own.marker == nil {
		return "", fmt.Errorf("%s %w", dir, ErrNotRelease)
	}
	digest := sha256.New()
	for _, name := range own.marker.Files {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return "", err
		}
		content := sha256.New()
		_, err = io.Copy(content, f)
		f.Close()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(digest, "%x  %s\n", content.Sum(nil), name)
	}
	return hex.EncodeToString(digest.Sum(nil)), nil
}

// marker is the content of MarkerName.
type marker struct {
	Format int      `json:"privtune_release"`
	Files  []string `json:"files"`
}

// journal is the content of the .swap file: the replacement under way.
type journal struct {
	Format int `json:"privtune_swap"`
	// New is the base name of the new folder; Digest its Digest.
	New    string `json:"new"`
	Digest string `json:"digest"`
}

// owner is what ownership found in a folder.
type owner struct {
	marker *marker // nil when the folder is empty
	// problem says why the folder is not privtune's; empty when it is.
	problem string
}

// ownership reads dir's marker and checks that dir holds nothing else than the files it
// lists (as regular files).
func ownership(dir string) (owner, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return owner{}, err
	}
	if len(entries) == 0 {
		return owner{}, nil
	}
	raw, err := os.ReadFile(filepath.Join(dir, MarkerName))
	if errors.Is(err, fs.ErrNotExist) {
		return owner{problem: "it has no " + MarkerName + " marker: privtune did not write it, or wrote it before it marked its folders; it holds " + listNames(entries)}, nil
	}
	if err != nil {
		return owner{}, err
	}
	var m marker
	if err := json.Unmarshal(raw, &m); err != nil || m.Format < 1 {
		return owner{problem: "its " + MarkerName + " marker is not one privtune wrote; it holds " + listNames(entries)}, nil
	}
	if m.Format > markerFormat {
		return owner{problem: fmt.Sprintf("its marker has format %d, newer than this privtune's %d; it holds %s", m.Format, markerFormat, listNames(entries))}, nil
	}
	var strangers []fs.DirEntry
	for _, e := range entries {
		if e.Name() != MarkerName && (!e.Type().IsRegular() || !slices.Contains(m.Files, e.Name())) {
			strangers = append(strangers, e)
		}
	}
	if len(strangers) > 0 {
		return owner{marker: &m, problem: "it also holds " + listNames(strangers) + ", which privtune did not write there"}, nil
	}
	return owner{marker: &m}, nil
}

// listNames lists up to five entries (folders with a trailing slash) and how many more.
func listNames(entries []fs.DirEntry) string {
	var names []string
	for i, e := range entries {
		if i == 5 {
			names = append(names, fmt.Sprintf("and %d more", len(entries)-5))
			break
		}
		n := e.Name()
		if e.IsDir() {
			n += "/"
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

// recover finishes or rolls back a replacement that a killed run left (see WriteFolders).
// It runs with the lock held.
func (t *target) recover() error {
	swap := t.sibling("swap")
	os.Remove(swap + "-tmp") // a journal that was never put in place
	raw, err := os.ReadFile(swap)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var j journal
	if err := json.Unmarshal(raw, &j); err != nil || j.New == "" || strings.ContainsAny(j.New, `/\`) || !strings.HasPrefix(j.New, filepath.Base(t.sibling("new-"))) || j.Digest == "" {
		return fmt.Errorf("%s holds no journal privtune wrote: remove it if no privtune release is running", swap)
	}
	newDir, old := filepath.Join(t.parent, j.New), t.sibling("old")
	digestOf := func(path string) string {
		d, err := Digest(path)
		if err != nil {
			return ""
		}
		return d
	}
	_, dirErr := os.Lstat(t.dir)
	dirExists := dirErr == nil
	switch {
	case dirExists && digestOf(t.dir) == j.Digest:
		// The new release is in place; only the cleaning up was interrupted.
	case digestOf(newDir) == j.Digest:
		// Roll forward: move the whole new release in.
		if dirExists {
			if own, err := ownership(t.dir); err != nil || own.problem != "" {
				return fmt.Errorf("cannot finish replacing %s (interrupted earlier): it now holds files privtune did not write; the new release is in %s", t.dir, newDir)
			}
			if err := removeIfOurs(old, nil); err != nil {
				return err
			}
			if err := os.Rename(t.dir, old); err != nil {
				return err
			}
		}
		if err := os.Rename(newDir, t.dir); err != nil {
			return err
		}
	case !dirExists:
		// Roll back: the new release never became whole; put the old one back.
		if _, err := os.Lstat(old); err == nil {
			if err := os.Rename(old, t.dir); err != nil {
				return err
			}
		}
	}
	if err := syncDir(t.parent); err != nil {
		return err
	}
	if err := os.Remove(swap); err != nil {
		return err
	}
	return syncDir(t.parent)
}

// removeLeftovers removes the temporary folders that killed runs left beside t.dir (see
// WriteFolders). It runs with the lock held, so no writer of those folders is running.
// Folders it cannot vouch for are left alone.
func (t *target) removeLeftovers() {
	entries, err := os.ReadDir(t.parent)
	if err != nil {
		return
	}
	ours := filepath.Base(t.sibling(""))
	var names []string
	for _, f := range t.files {
		names = append(names, f.Name)
	}
	for _, e := range entries {
		n := e.Name()
		path := filepath.Join(t.parent, n)
		switch {
		case !e.IsDir():
		case strings.HasPrefix(n, ours+"new-") || n == ours+"old":
			removeIfOurs(path, nil)
		case strings.HasPrefix(n, "."+t.base+".tmp-") || strings.HasPrefix(n, "."+t.base+".old-"):
			// Left by a privtune before the marker, which took no lock: recognised by
			// holding only files of the release being written now, and by being idle
			// long enough that no such writer can still be filling it.
			if idleSince(path, legacyIdle) {
				removeIfOurs(path, names)
			}
		}
	}
}

// legacyIdle is how long a folder left by a privtune before the marker must be unchanged
// before it is removed. Such a writer wrote its files within seconds of creating it.
const legacyIdle = 10 * time.Minute

// idleSince reports whether the folder path and its entries were all last modified more
// than d ago.
func idleSince(path string, d time.Duration) bool {
	info, err := os.Stat(path)
	if err != nil || time.Since(info.ModTime()) < d {
		return false
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return false
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || time.Since(info.ModTime()) < d {
			return false
		}
	}
	return true
}

// removeIfOurs removes the folder path if it is empty, carries our marker and nothing
// else, or (legacy not nil) holds only regular files named in legacy.
func removeIfOurs(path string, legacy []string) error {
	own, err := ownership(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if own.problem != "" && legacy != nil {
		entries, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || !slices.Contains(legacy, e.Name()) {
				return fmt.Errorf("%s holds %s: left alone", path, e.Name())
			}
		}
		return os.RemoveAll(path)
	}
	if own.problem != "" {
		return fmt.Errorf("%s %w (%s): left alone", path, ErrNotRelease, own.problem)
	}
	return os.RemoveAll(path)
}

// writeJournal writes j to path atomically: to path+"-tmp", synced, then renamed.
func writeJournal(path string, j journal) error {
	tmp := path + "-tmp"
	err := writeFile(tmp, func(w io.Writer) error { return json.NewEncoder(w).Encode(j) })
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

// errSimulatedCrash stops a write where a test's crashHook asks, leaving everything as a
// killed process would (no cleaning up; the lock file stays, unlocked).
var errSimulatedCrash = errors.New("simulated crash")

// crashHook, set by tests, is called at each named stage of a write; returning true
// simulates a crash there.
var crashHook func(stage string) bool

func crash(stage string) error {
	if crashHook != nil && crashHook(stage) {
		return errSimulatedCrash
	}
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	if err := write(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a folder's entries durable (best effort where folders cannot be synced).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	_ = d.Sync() // some filesystems cannot sync folders; the renames stay atomic
	return nil
}

// errNoExchange says two folders cannot be exchanged atomically here.
var errNoExchange = errors.New("no atomic exchange")
