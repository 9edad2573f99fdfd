//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package release

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// lockedFile is a lock file created exclusively. Without flock(2) a lock file left by a
// killed run stays locked until someone removes it; the message says so.
type lockedFile struct {
	path string
}

var errLocked = errors.New("locked")

// lockPath takes the lock by creating path, failing if it exists.
func lockPath(path string) (*lockedFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%w (if no privtune is running, remove %s)", errLocked, path)
	}
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(f, "%d\n", os.Getpid())
	f.Close()
	return &lockedFile{path: path}, nil
}

func (l *lockedFile) unlock(crashed bool) {
	if !crashed {
		os.Remove(l.path)
	}
}
