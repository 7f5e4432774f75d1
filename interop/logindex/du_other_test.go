//go:build !unix

package logindex

import "io/fs"

// allocated is the file size where the allocated size is not known.
func allocated(fi fs.FileInfo) int64 { return fi.Size() }
