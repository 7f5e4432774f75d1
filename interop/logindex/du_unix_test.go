//go:build unix

package logindex

import (
	"io/fs"
	"syscall"
)

// allocated is the space a file occupies on disk (what du counts).
func allocated(fi fs.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int64(st.Blocks) * 512
	}
	return fi.Size()
}
