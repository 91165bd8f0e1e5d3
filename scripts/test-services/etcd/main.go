// Command etcd builds the upstream etcd server from its Go module, so tests get
// etcd 3.5 without downloading a prebuilt binary. Nothing here is Flotilla code.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
