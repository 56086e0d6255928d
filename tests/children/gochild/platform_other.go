//go:build !windows

package main

import (
	"os"
	"os/signal"
	"syscall"
)

func openAppend(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
}

func watchStopEvent() <-chan struct{} {
	logLine("stop-event unsupported")
	return nil
}

// watchControlSignals forwards SIGHUP, SIGUSR1 and SIGUSR2 as
// "signal <name>" lines (the Go runtime's names: "hangup", ...).
func watchControlSignals(out chan<- string) {
	c := make(chan os.Signal, 8)
	signal.Notify(c, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() {
		for s := range c {
			out <- "signal " + s.String()
		}
	}()
}

func watchControlEvents(out chan<- string) {
	logLine("control-events unsupported")
}
