// The command's flags: parsed interspersed with its arguments, the limit's
// syntax, and the help of each subcommand.

package main

import (
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/actlog/actlog/activation"
)

// help writes a subcommand's --help: what it does, its flags as they are
// written on a command line, and the exit statuses.
func help(w io.Writer, cmd string, fs *flag.FlagSet) {
	what, does := "POD", "Collects activations from a pod's log, read through the Kubernetes API as kubectl logs reads it,\nand prints them as they come."
	if cmd == "file" {
		what, does = "PATH", "Collects activations from a log file (Docker's json-file, the CRI format kubelets write, or\n'kubectl logs --timestamps' output), following it across rotation in --wait-for-sentinel mode;\nPATH - reads standard input."
	}
	fmt.Fprintf(w, "usage: actlog %s [flags] %s\n\n%s\n\nflags:\n", cmd, what, does)
	fs.VisitAll(func(f *flag.Flag) {
		if f.Usage == "" {
			return
		}
		name := "--" + f.Name
		for s, long := range shortFlags {
			if long == f.Name && fs.Lookup(s) != nil {
				name = "-" + s + ", " + name
			}
		}
		arg, usage := flag.UnquoteUsage(f)
		if arg != "" {
			name += " " + arg
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "-1" && f.DefValue != "0s" {
			usage += " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(w, "  %s\n    \t%s\n", name, usage)
	})
	fmt.Fprint(w, exitStatuses)
}

// parseInterspersed parses flags that may stand before or after the
// positional arguments, as kubectl's do; "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	return positional, nil
}

var limitSyntax = regexp.MustCompile(`(?i)^([0-9]+)(B|K|KB|KIB|M|MB|MIB|G|GB|GIB)?$`)

// maxLimit is the largest --limit, 1 TiB: far above any activation's logs,
// and far below where sizes and timeouts derived from it overflow.
const maxLimit = 1 << 40

// parseLimit reads a size such as 4096, 4096B, 512k, 10MB or 10MiB (all
// 1024-based, any case). Zero collects nothing.
func parseLimit(s string) (int64, error) {
	m := limitSyntax.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("--limit %q is not a size such as 4096, 512K, 10MB or 10MiB", s)
	}
	shift := map[byte]uint{0: 0, 'B': 0, 'K': 10, 'M': 20, 'G': 30}[firstByte(strings.ToUpper(m[2]))]
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n > maxLimit>>shift {
		return 0, fmt.Errorf("--limit %q is above 1 TiB", s)
	}
	if n == 0 {
		return activation.NoLogs, nil
	}
	return n << shift, nil
}

// firstByte returns s's first byte, 0 for "".
func firstByte(s string) byte {
	if s == "" {
		return 0
	}
	return s[0]
}

// shortFlags are the one-letter spellings of flags, as kubectl's.
var shortFlags = map[string]string{"o": "output", "v": "verbose", "n": "namespace", "c": "container", "f": "follow", "p": "previous"}

// flagValueHints say, for a flag whose value did not parse, what a value
// of its kind looks like.
var flagValueHints = map[string]string{
	"since": "a duration such as 30s, 5m or 3h", "idle-timeout": "a duration such as 500ms, 2s or 1m",
	"timeout": "a duration such as 30s, 5m or 3h", "activations": "a whole number", "tail": "a whole number",
}

var (
	undefinedFlag = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	invalidValue  = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for flag -+([^:]*): .*$`)
	needsArgument = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
)

// flagError rewords the flag package's parse errors in the command's own
// form: two dashes, and what a good value looks like.
func flagError(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	dashes := func(name string) string {
		if len(name) == 1 {
			return "-" + name
		}
		return "--" + name
	}
	if m := undefinedFlag.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("unknown flag %s", dashes(m[1]))
	}
	if m := needsArgument.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s needs a value", dashes(m[1]))
	}
	if m := invalidValue.FindStringSubmatch(msg); m != nil {
		value, name := m[1], m[2]
		if long, ok := shortFlags[name]; ok {
			name = long
		}
		hint, ok := flagValueHints[name]
		if !ok {
			hint = "true or false"
		}
		return fmt.Sprintf("%s %q is not %s", dashes(name), value, hint)
	}
	return msg
}
