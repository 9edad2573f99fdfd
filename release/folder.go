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

// WriteFolders writes the folders, all or none, putting them in place in the order given.
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
// # Several folders: all or none
//
// The folders go in together: either every destination holds its new folder afterwards or
// every destination keeps what it held, even across a crash (see below). So the curator
// record (DIR.curator-only) and the shareable folder DIR always belong to the same release.
// Pass the record first: the folders are put in place in the order given.
//
// # Names beside a folder DIR
//
// All in DIR's parent, with h the first 12 hex digits of the SHA-256 of DIR's base name (so
// the names stay short whatever DIR is called, and are stable from run to run):
//
//	.privtune-h.lock     lock file: flock'd while a writer runs (its PID inside, for people)
//	.privtune-h.new-*    the new folder being written (marker first, then each file synced)
//	.privtune-h.old      the old folder during a two-rename replacement
//	.privtune-h.swap     journal of a write under way: the new folder's name and Digest, and
//	                     the paths and Digests of all the folders written with it
//
// # Phases, crash-safe
//
//  1. Every destination is checked and locked (above).
//  2. Every new folder is written under its .new-* and synced. A failure removes them all;
//     no destination has been touched.
//  3. Every journal is written (atomically), naming its new folder, that folder's Digest,
//     and the whole group of folders with their Digests. From the last journal on, the
//     write is committed: every new folder is whole, so a crash is finished forward.
//  4. Each folder is put in place, in order: renamed to DIR if DIR is absent; otherwise on
//     Linux exchanged with DIR in one renameat2(RENAME_EXCHANGE), so DIR is always either
//     the old or the new release; where that is not available, DIR is renamed to .old and
//     .new-* to DIR, so in between the old release is reachable under .old. A failure (not
//     a crash) puts back the folders already moved, in reverse order, and removes the
//     journals and new folders; if a folder cannot be put back, the journals stay and the
//     next run finishes the write forward.
//  5. The old folders are removed, then the journals.
//
// A later run (holding a folder's lock) finishes an interrupted write from the folder's
// journal: if DIR already has the journal's Digest there is nothing left to do; if some
// folder of the group has neither its journal nor its new folder in place, the write was
// killed in phase 3 and is rolled back (DIR was not touched; the new folder goes with the
// leftovers); otherwise the whole new folder is moved in (rolled forward). So after a kill
// between two folders' swaps, the next run moves the second one in too.
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
	}
	// Every folder is prepared even after a refusal, so that each finishes what a killed
	// run left: a pair stays consistent although the first folder is refused.
	var refusal error
	for _, f := range folders {
		t, err := prepare(f, force)
		if t != nil {
			targets = append(targets, t)
		}
		if refusal == nil {
			refusal = err
		}
	}
	if refusal != nil {
		return refusal
	}
	return writeAll(targets)
}

// target is one folder to write, locked, with the names beside it.
type target struct {
	dir, parent, base string
	files             []File
	lock              *lockedFile
	// replace is set when dir exists and is to be replaced.
	replace bool
	// tmp is the new folder being written, digest its Digest; moved says how far swap
	// got and old where the old release then is (see swap).
	tmp, digest, moved, old string
}

func (t *target) sibling(suffix string) string { return siblingOf(t.dir, suffix) }

// siblingOf names the file or folder .privtune-h.suffix beside dir (see WriteFolders).
func siblingOf(dir, suffix string) string {
	sum := sha256.Sum256([]byte(filepath.Base(dir)))
	return filepath.Join(filepath.Dir(dir), ".privtune-"+hex.EncodeToString(sum[:6])+"."+suffix)
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

// writeAll writes the new folders of the prepared targets and puts them in place, all
// together, in the phases described under WriteFolders.
func writeAll(targets []*target) (err error) {
	journaled, inPlace := 0, false
	defer func() {
		if err != nil && !errors.Is(err, errSimulatedCrash) && !inPlace {
			err = undo(targets, journaled, err)
		}
		// Crashed: the next run recovers from what is on disk. In place: only cleaning up
		// failed, and the next run finishes it from the journals.
	}()
	// Phase 2: every new folder, whole and synced, beside its destination.
	group := make([]member, len(targets))
	for i, t := range targets {
		abs, err := filepath.Abs(t.dir)
		if err != nil {
			return err
		}
		if t.tmp, err = os.MkdirTemp(t.parent, filepath.Base(t.sibling("new-*"))); err != nil {
			return err
		}
		if t.digest, err = t.fill(t.tmp); err != nil {
			return err
		}
		group[i] = member{Dir: abs, Digest: t.digest}
	}
	if err := crash("written"); err != nil {
		return err
	}
	// Phase 3: the journals. Once all are written, a crash rolls every folder forward.
	for _, t := range targets {
		j := journal{Format: markerFormat, New: filepath.Base(t.tmp), Digest: t.digest, Group: group}
		if err := writeJournal(t.sibling("swap"), j); err != nil {
			return err
		}
		journaled++
		if err := crash("journal"); err != nil {
			return err
		}
	}
	if err := crash("journaled"); err != nil {
		return err
	}
	// Phase 4: each folder in place, in order.
	for _, t := range targets {
		if err := t.swap(); err != nil {
			return err
		}
	}
	inPlace = true
	// Phase 5: the old folders and the journals go. A failure here leaves the new
	// releases in place and the journals, from which the next run finishes.
	for _, t := range targets {
		if err := syncDir(t.parent); err != nil {
			return err
		}
		if t.old != "" {
			if err := os.RemoveAll(t.old); err != nil {
				return fmt.Errorf("the new release is in %s, but the old one could not be removed from %s: %w", t.dir, t.old, err)
			}
		}
	}
	for _, t := range targets {
		if err := os.Remove(t.sibling("swap")); err != nil {
			return err
		}
		if err := syncDir(t.parent); err != nil {
			return err
		}
	}
	return nil
}

// undo rolls back a write that failed (with an error, not a crash) with cause: the folders
// already moved go back, in reverse order, then the first journaled journals and the new
// folders are removed. If a folder cannot be put back the journals stay, so that the next
// run rolls every folder forward, and the returned error says so.
func undo(targets []*target, journaled int, cause error) error {
	for i := len(targets) - 1; i >= 0; i-- {
		if uerr := targets[i].unswap(); uerr != nil {
			return fmt.Errorf("%w; and %s could not be put back (the next run finishes the new releases): %v", cause, targets[i].dir, uerr)
		}
	}
	for _, t := range targets[:journaled] {
		os.Remove(t.sibling("swap"))
		syncDir(t.parent)
	}
	for _, t := range targets {
		if t.tmp != "" {
			os.RemoveAll(t.tmp)
		}
	}
	return cause
}

// swap puts the new folder t.tmp in place at t.dir, recording in t.moved how far it got
// and in t.old where the old release is afterwards.
func (t *target) swap() error {
	if !t.replace {
		if err := os.Rename(t.tmp, t.dir); err != nil {
			return err
		}
		t.moved = "renamed"
		return crash("renamed")
	}
	err := exchangeFolders(t.tmp, t.dir)
	if err == nil {
		t.moved, t.old = "exchanged", t.tmp // the old release is under the new one's temporary name
		return crash("exchanged")
	}
	if !errors.Is(err, errNoExchange) {
		return err
	}
	old := t.sibling("old")
	if err := os.Rename(t.dir, old); err != nil {
		return err
	}
	t.moved, t.old = "aside", old
	if err := crash("aside"); err != nil {
		return err
	}
	if err := os.Rename(t.tmp, t.dir); err != nil {
		return err
	}
	t.moved = "replaced"
	return crash("renamed")
}

// unswap undoes what swap did, as far as it got.
func (t *target) unswap() error {
	var err error
	switch t.moved {
	case "renamed":
		err = os.Rename(t.dir, t.tmp)
	case "exchanged":
		err = exchangeFolders(t.tmp, t.dir)
	case "replaced":
		if err = os.Rename(t.dir, t.tmp); err == nil {
			err = os.Rename(t.old, t.dir)
		}
	case "aside":
		err = os.Rename(t.old, t.dir)
	}
	if err != nil {
		return err
	}
	t.moved, t.old = "", ""
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
	// Group lists every folder of the write, this one included, by absolute path with
	// its new Digest: the new folders go in all together or not at all. (Absent in the
	// journals of earlier privtune versions, which wrote one folder at a time.)
	Group []member `json:"group,omitempty"`
}

// member is one folder of a journal's group.
type member struct {
	Dir    string `json:"dir"`
	Digest string `json:"digest"`
}

// committed reports whether every folder of j's group may go in: each has its journal
// written, or its new folder already in place (its journal removed). Before that, a write
// that was killed while writing the journals is rolled back.
func (j journal) committed() bool {
	for _, m := range j.Group {
		if _, err := os.Lstat(siblingOf(m.Dir, "swap")); err == nil {
			continue
		}
		if d, err := Digest(m.Dir); err != nil || d != m.Digest {
			return false
		}
	}
	return true
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
	case !j.committed():
		// Killed while writing the journals: no folder was moved yet, so the old release
		// stays, and the new one goes with the leftovers.
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

// errSimulatedCrash, returned by a test's stageHook, stops a write there, leaving
// everything as a killed process would (no cleaning up; the lock file stays, unlocked).
var errSimulatedCrash = errors.New("simulated crash")

// stageHook, set by tests, is called at each named stage of a write; the error it returns,
// errSimulatedCrash or an injected failure, stops the write there.
var stageHook func(stage string) error

func crash(stage string) error {
	if stageHook != nil {
		return stageHook(stage)
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
