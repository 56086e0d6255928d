//go:build !windows

package main

import (
	"errors"
	"net"
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

// notifySend: one datagram to NOTIFY_SOCKET, as sd_notify(3) sends it (Go
// maps a leading "@" to the abstract namespace itself).
func notifySend(msg string) error {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return errors.New("NOTIFY_SOCKET is not set")
	}
	conn, err := net.Dial("unixgram", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Write([]byte(msg))
	return err
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
