package release

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// File is one file of a release folder: its name and what writes its content.
type File struct {
	Name  string
	Write func(io.Writer) error
}

// ErrExists says the folder exists and replacing it was not asked for.
var ErrExists = errors.New("exists")

// WriteFolder writes files into the folder dir, all or nothing.
//
// The files are written into a temporary folder beside dir, each flushed and synced, and
// the temporary folder is then renamed to dir. An existing dir is an error unless force
// is set; then it is renamed aside, the new folder renamed in, and the old one removed
// (and restored if the rename fails). On any failure the temporary folder is removed, so
// dir is either absent, the old folder, or the whole new one.
func WriteFolder(dir string, files []File, force bool) (err error) {
	dir = filepath.Clean(dir)
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	info, statErr := os.Stat(dir)
	exists := statErr == nil
	switch {
	case exists && !info.IsDir():
		return fmt.Errorf("%s exists and is not a folder", dir)
	case exists && !force:
		return fmt.Errorf("%s %w: choose another --out or add --force to replace it", dir, ErrExists)
	case statErr != nil && !errors.Is(statErr, fs.ErrNotExist):
		return statErr
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	for _, f := range files {
		if err := writeFile(filepath.Join(tmp, f.Name), f.Write); err != nil {
			return fmt.Errorf("writing %s: %w", f.Name, err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	if !exists {
		if err := os.Rename(tmp, dir); err != nil {
			return err
		}
		return syncDir(parent)
	}
	old, err := os.MkdirTemp(parent, "."+base+".old-*")
	if err != nil {
		return err
	}
	os.Remove(old) // only its unique name is needed
	if err := os.Rename(dir, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if rerr := os.Rename(old, dir); rerr != nil {
			return fmt.Errorf("%w; and the old folder could not be put back from %s: %v", err, old, rerr)
		}
		return err
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("the new release is in place, but the old one could not be removed from %s: %w", old, err)
	}
	return syncDir(parent)
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
