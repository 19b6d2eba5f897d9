// Command kubelet is the kubelet, built from k8s.io/kubernetes at the
// version go.mod pins, for actlog's end-to-end tests.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kubelet/app"
)

func main() {
	os.Exit(cli.Run(app.NewKubeletCommand()))
}
