package watch_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/actlog/actlog/internal/watch"
)

func ExampleShared() {
	dir, _ := os.MkdirTemp("", "watch-")
	defer os.RemoveAll(dir)
	sub, err := watch.Shared().Dir(dir)
	if err != nil {
		fmt.Println("polling:", err)
		return
	}
	defer sub.Close()
	_ = os.WriteFile(filepath.Join(dir, "0.log"), []byte("a line\n"), 0o644)
	<-sub.C
	fmt.Println("the directory changed")
	// Output: the directory changed
}
