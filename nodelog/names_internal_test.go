package nodelog

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCheckNames: names that pass name a directory two levels below the
// root, never one elsewhere.
func FuzzCheckNames(f *testing.F) {
	for _, seed := range [][4]string{
		{"default", "action-1", "uid", "action"}, {"..", "a", "b", "c"}, {"a", "b/..", "c", "d"},
		{"a", "b", "c", "../../etc"}, {"a", "b", "c", "."}, {"a", "b", "c", "x\\y"}, {"a_b", "c", "d", "e"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	const root = "/var/log/pods"
	f.Fuzz(func(t *testing.T, ns, name, uid, container string) {
		p := Pod{Namespace: ns, Name: name, UID: uid, Container: container}
		if checkNames(p, root) != nil {
			return
		}
		rel, err := filepath.Rel(root, filepath.Join(root, ns+"_"+name+"_"+uid, container))
		if err != nil || len(strings.Split(rel, string(filepath.Separator))) != 2 || strings.HasPrefix(rel, "..") {
			t.Fatalf("%+v passed, but names %q", p, rel)
		}
	})
}
