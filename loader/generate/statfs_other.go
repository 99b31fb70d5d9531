//go:build !(linux || darwin || freebsd)

package generate

// statfsFree cannot tell the free space here.
func statfsFree(string) (int64, bool) { return 0, false }
