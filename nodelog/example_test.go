package nodelog_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/nodelog"
	"github.com/actlog/actlog/stream"
)

func ExampleOpenFiles() {
	// The kubelet's podLogsDir, with one container's first instance: its
	// log rotated once, and the live file.
	dir, _ := os.MkdirTemp("", "pods-")
	defer os.RemoveAll(dir)
	logs := filepath.Join(dir, "openwhisk_action-1_6f0c", "user-action")
	_ = os.MkdirAll(logs, 0o755)
	_ = os.WriteFile(filepath.Join(logs, "0.log.20261208-050000"), []byte(
		"2026-12-08T05:00:00.1Z stdout F activation 1\n"+
			"2026-12-08T05:00:00.2Z stderr F XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX\n"+
			"2026-12-08T05:00:00.2Z stdout F XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX\n"), 0o644)
	_ = os.WriteFile(filepath.Join(logs, "0.log"), []byte(
		"2026-12-08T05:00:01.123456789Z stderr F activation 2, on stderr\n"+
			"2026-12-08T05:00:01.2Z stderr F XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX\n"+
			"2026-12-08T05:00:01.2Z stdout F XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX\n"), 0o644)

	src, err := nodelog.OpenFiles(nodelog.Pod{Namespace: "openwhisk", Name: "action-1", UID: "6f0c", Container: "user-action"},
		nodelog.FileOptions{Dir: dir})
	if err != nil {
		panic(err)
	}
	defer src.Close()
	// Without a cursor, the log starts at its oldest file kept.
	for range 2 {
		a, err := src.Collect(context.Background(), activation.Options{WaitForSentinel: true})
		fmt.Println(a.Text(), a.End, err)
	}
	// Output:
	// [2026-12-08T05:00:00.100000000Z stdout: activation 1] sentinels <nil>
	// [2026-12-08T05:00:01.123456789Z stderr: activation 2, on stderr] sentinels <nil>
}

func ExampleOpen() {
	// A pod on this node, whose files the test server writes as the
	// kubelet does.
	server := k8slogtest.NewServer(k8slogtest.Options{})
	defer server.Close()
	c := server.AddPod("openwhisk", "action-1", "user-action").Container("user-action")
	c.Print(stream.Stdout, "hello")
	c.Sentinels()
	client, err := k8slog.NewClient(server.Config())
	if err != nil {
		panic(err)
	}

	src, err := nodelog.Open(context.Background(), client, "openwhisk", "action-1",
		nodelog.Options{Node: k8slogtest.NodeName, Files: nodelog.FileOptions{Dir: server.Dir()}})
	if err != nil {
		panic(err)
	}
	defer src.Close()
	a, err := src.Collect(context.Background(), activation.Options{WaitForSentinel: true})
	fmt.Println(src.Path(), len(a.Lines), a.Lines[0].Log, err, len(server.LogRequests()))
	// Output: node 1 hello <nil> 0
}
