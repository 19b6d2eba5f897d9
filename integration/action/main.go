// Command action is the action runtime the end-to-end tests run as a real
// container: an HTTP server on $PORT (127.0.0.1) whose POST /run?id=K&lines=N
// prints activation K's N lines, on stdout and stderr in turn (with
// &long=L, then one line of L bytes on stdout), then the two
// end-of-activation sentinels, and answers once they are written; POST
// /crash?id=K&lines=N prints N lines of activation K and exits 1.
package main

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
)

const sentinel = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX"

func main() {
	pad := strings.Repeat("x", 80)
	lines := func(r *http.Request) (string, int) {
		n, _ := strconv.Atoi(r.URL.Query().Get("lines"))
		return r.URL.Query().Get("id"), n
	}
	print := func(id string, n int) {
		for i := range n {
			out := os.Stdout
			if i%2 == 1 {
				out = os.Stderr
			}
			fmt.Fprintf(out, "activation %s line %d %s\n", id, i, pad)
		}
	}
	http.HandleFunc("POST /run", func(w http.ResponseWriter, r *http.Request) {
		id, n := lines(r)
		print(id, n)
		if long, _ := strconv.Atoi(r.URL.Query().Get("long")); long > 0 {
			fmt.Fprintf(os.Stdout, "activation %s long %s\n", id, strings.Repeat("y", long))
		}
		fmt.Fprintln(os.Stderr, sentinel)
		fmt.Fprintln(os.Stdout, sentinel)
		fmt.Fprintln(w, "ok")
	})
	http.HandleFunc("POST /crash", func(w http.ResponseWriter, r *http.Request) {
		id, n := lines(r)
		print(id, n)
		os.Exit(1)
	})
	fmt.Fprintln(os.Stdout, "action runtime started")
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
