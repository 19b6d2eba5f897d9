// Command naiveloop is the baseline of the actlog command's whole-process
// comparison: one activation read from a CRI log file the way a
// straightforward Go program would, with bufio.Scanner, time.Parse,
// encoding/json for each line's weight against the limit, and fmt to print
// the formatted lines through a buffered standard output.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"strings"
	"time"
)

const (
	marker = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX"
	limit  = 1 << 30
)

type jsonLine struct {
	Time   string `json:"time"`
	Stream string `json:"stream"`
	Log    string `json:"log"`
}

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	total, sentinels := 0, 0
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), " ", 4)
		if len(parts) < 4 {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, parts[0])
		if err != nil {
			continue
		}
		if parts[3] == marker {
			if sentinels++; sentinels == 2 {
				break
			}
			continue
		}
		l := jsonLine{Time: t.UTC().Format("2006-01-02T15:04:05.000000000Z07:00"), Stream: parts[1], Log: parts[3]}
		js, _ := json.Marshal(l)
		if total += len(js) + 1; total > limit {
			break
		}
		fmt.Fprintf(out, "%s %s: %s\n", l.Time, l.Stream, l.Log)
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
}
