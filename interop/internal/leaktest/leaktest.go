// Package leaktest gives the tests of public output (status, logs, errors) an endpoint URL
// full of secrets and a way to find any of them in text.
package leaktest

import (
	"encoding/base64"
	"strings"
)

// Secrets of the URLs URL makes: none may appear in public output.
const (
	User  = "alice-the-operator"
	Pass  = "S3cretPassw0rd"
	Path  = "PathKey0123456789abcdef"
	Query = "QueryTok3n987zyx"
)

// URL is scheme://user:password@addr/v3/<path key>?token=<query token>&n=1.
func URL(scheme, addr string) string {
	return scheme + "://" + User + ":" + Pass + "@" + addr + "/v3/" + Path + "?token=" + Query + "&n=1"
}

// Leaked names the secrets that text contains, in any spelling these tests know of
// (including the Basic authorization header).
func Leaked(text string) []string {
	var out []string
	for _, s := range []string{User, Pass, Path, Query, base64.StdEncoding.EncodeToString([]byte(User + ":" + Pass))} {
		if strings.Contains(text, s) {
			out = append(out, s)
		}
	}
	return out
}
