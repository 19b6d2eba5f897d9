// Command reader runs the activation pipeline over a log that has nothing to
// do with Kubernetes: Docker json-file records on standard input (or a
// built-in sample), each activation starting where the previous one ended.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/logfile"
	"github.com/actlog/actlog/logformat"
)

const sample = `{"log":"first activation\n","stream":"stdout","time":"2026-11-22T05:00:00.1Z"}
{"log":"XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX\n","stream":"stderr","time":"2026-11-22T05:00:00.2Z"}
{"log":"XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX\n","stream":"stdout","time":"2026-11-22T05:00:00.2Z"}
{"log":"second activation, on stderr\n","stream":"stderr","time":"2026-11-22T05:00:01Z"}
{"log":"XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX\n","stream":"stderr","time":"2026-11-22T05:00:01Z"}
{"log":"XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX\n","stream":"stdout","time":"2026-11-22T05:00:01Z"}
`

func main() {
	var in io.Reader = strings.NewReader(sample)
	if len(os.Args) > 1 && os.Args[1] == "-" {
		in = os.Stdin
	}
	if err := run(in, os.Stdout, 2); err != nil {
		fmt.Fprintln(os.Stderr, "reader:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, w io.Writer, activations int) error {
	log := logfile.NewPipe(in, logfile.Options{Format: logformat.Docker})
	defer log.Close()
	for i := 1; i <= activations; i++ {
		a, err := log.Collect(context.Background(), activation.Options{WaitForSentinel: true})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "activation %d (%s): %s\n", i, a.End, a.AppendJSON(nil))
	}
	return nil
}
