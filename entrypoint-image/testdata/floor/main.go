// Command floor is the runtime's floor for a waiting step: a minimal Go
// program that handles the same signals as the wrapper and blocks in one
// read. The thread test compares the waiting wrapper with it.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM)
	go func() { <-c; os.Exit(143) }()
	os.Stdout.WriteString("ready\n")
	var b [1]byte
	syscall.Read(0, b[:]) // blocks until stdin is closed
}
