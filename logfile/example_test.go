package logfile_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/logfile"
)

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "abc-json.log")
	_ = os.WriteFile(path, []byte(`{"log":"hello\n","stream":"stdout","time":"2026-11-22T05:00:00Z"}
{"log":"XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX\n","stream":"stderr","time":"2026-11-22T05:00:00Z"}
{"log":"XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX\n","stream":"stdout","time":"2026-11-22T05:00:00Z"}
`), 0o644)

	f, err := logfile.Open(path, logfile.Options{})
	if err != nil {
		panic(err)
	}
	defer f.Close()
	a, err := f.Collect(context.Background(), activation.Options{WaitForSentinel: true})
	fmt.Println(a.Text(), a.End, f.Cursor().Offset, err)
	// Output: [2026-11-22T05:00:00.000000000Z stdout: hello] sentinels 262 <nil>
}

func ExampleNewPipe() {
	r := logfile.NewPipe(strings.NewReader("2026-11-22T05:00:00Z piped in\n"), logfile.Options{})
	defer r.Close()
	a, err := r.Collect(context.Background(), activation.Options{})
	fmt.Println(a.Text(), a.End, err)
	// Output: [2026-11-22T05:00:00.000000000Z stdout: piped in] current end <nil>
}
