package release

import (
	"errors"

	"golang.org/x/sys/unix"
)

// exchangeFolders swaps the folders at a and b in one atomic step, renameat2(2) with
// RENAME_EXCHANGE; errNoExchange when the kernel or filesystem cannot. A variable so that
// tests can exercise the two-rename path.
var exchangeFolders = func(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP) {
		return errNoExchange
	}
	return err
}
