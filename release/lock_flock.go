//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package release

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockedFile is a lock file held with flock(2): the kernel drops the lock when its
// holder exits, however it exits, so a lock file left by a killed run is free again.
type lockedFile struct {
	f    *os.File
	path string
}

// errLocked says another process holds the lock.
var errLocked = errors.New("locked")

// lockPath takes an exclusive lock on the file path, creating it, without waiting.
//
// A holder removes the file before it lets go (unlock), so a process that opened the file
// just before that would hold a lock on a file no longer at path: after locking, the file
// open is checked to be the one at path, and the lock taken again if not.
func lockPath(path string) (*lockedFile, error) {
	for range 5 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, errLocked
			}
			return nil, err
		}
		held, err1 := f.Stat()
		atPath, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, atPath) {
			f.Truncate(0)
			fmt.Fprintf(f, "%d\n", os.Getpid()) // for people looking; the flock is the lock
			return &lockedFile{f: f, path: path}, nil
		}
		f.Close()
	}
	return nil, errLocked
}

// unlock removes the lock file and lets go of the lock; crashed (a simulated kill) only
// lets go, leaving the file as a killed process would.
func (l *lockedFile) unlock(crashed bool) {
	if !crashed {
		os.Remove(l.path)
	}
	l.f.Close()
}
