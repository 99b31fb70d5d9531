//go:build linux || darwin || freebsd

package generate

import "syscall"

// statfsFree is the bytes available to an unprivileged writer on dir's file system.
func statfsFree(dir string) (int64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}
