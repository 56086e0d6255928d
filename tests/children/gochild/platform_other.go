//go:build !windows

package main

import "os"

func openAppend(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
}

func watchStopEvent() <-chan struct{} {
	logLine("stop-event unsupported")
	return nil
}
