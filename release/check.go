package release

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// CheckDestination returns the error WriteFolder(dir, files, force) would refuse dir with
// because of its name or of what is at dir now (ErrExists, ErrNotRelease, a symbolic link,
// a file), or nil. It takes no lock and writes nothing, so a caller can refuse at once,
// before computing what it would write; WriteFolders checks again, holding its lock.
func CheckDestination(dir string, force bool) error {
	if err := checkFolderName(dir); err != nil {
		return err
	}
	_, err := checkExisting(filepath.Clean(dir), force)
	return err
}

// checkFolderName refuses a destination that names no new folder.
func checkFolderName(dir string) error {
	if dir == "" {
		return fmt.Errorf("no folder given to write to")
	}
	switch filepath.Base(filepath.Clean(dir)) {
	case ".", "..", string(filepath.Separator):
		return fmt.Errorf("%s: name a new folder to write the release to", dir)
	}
	return nil
}

// checkExisting checks what is at the cleaned path dir: nothing (write a new folder), or
// a folder privtune wrote, replaced only with force (replace is then true).
func checkExisting(dir string, force bool) (replace bool, err error) {
	info, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	case info.Mode()&fs.ModeSymlink != 0:
		return false, fmt.Errorf("%s is a symbolic link: name the folder itself", dir)
	case !info.IsDir():
		return false, fmt.Errorf("%s exists and is not a folder", dir)
	}
	own, err := ownership(dir)
	if err != nil {
		return false, err
	}
	if own.problem != "" {
		return false, fmt.Errorf("%s %w (%s): choose another folder; --force replaces only a folder privtune wrote as a release", dir, ErrNotRelease, own.problem)
	}
	if !force {
		return false, fmt.Errorf("%s %w (a release privtune wrote): choose another --out, or add --force to replace it", dir, ErrExists)
	}
	return true, nil
}
