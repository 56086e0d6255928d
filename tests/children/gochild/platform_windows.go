//go:build windows

package main

import (
	"errors"
	"os"
	"syscall"
	"unsafe"
)

const (
	synchronize         = 0x00100000 // SYNCHRONIZE access right
	errorEnvvarNotFound = 203        // ERROR_ENVVAR_NOT_FOUND
)

var procOpenEventW = syscall.NewLazyDLL("kernel32.dll").NewProc("OpenEventW")

// openAppend opens the log with FILE_SHARE_DELETE as well (os.OpenFile does
// not), so a test can delete or rename the log while we run.
func openAppend(path string) (*os.File, error) {
	p, err := syscall.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	h, err := syscall.CreateFile(p, syscall.FILE_APPEND_DATA,
		syscall.FILE_SHARE_READ|syscall.FILE_SHARE_WRITE|syscall.FILE_SHARE_DELETE,
		nil, syscall.OPEN_ALWAYS, syscall.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(h), path), nil
}

// watchStopEvent opens the named event from SVCWRAP_STOP_EVENT and returns
// a channel that is closed once the event is signalled.
func watchStopEvent() <-chan struct{} {
	name := os.Getenv("SVCWRAP_STOP_EVENT")
	if name == "" {
		logLine("event-open-failed err=%d", errorEnvvarNotFound)
		return nil
	}
	p, err := syscall.UTF16PtrFromString(name)
	if err != nil {
		logLine("event-open-failed err=%v", err)
		return nil
	}
	h, _, callErr := procOpenEventW.Call(synchronize, 0, uintptr(unsafe.Pointer(p)))
	if h == 0 {
		errno, _ := callErr.(syscall.Errno)
		logLine("event-open-failed err=%d", uint32(errno))
		return nil
	}
	ch := make(chan struct{})
	go func() {
		syscall.WaitForSingleObject(syscall.Handle(h), syscall.INFINITE)
		close(ch)
	}()
	return ch
}

// notifySend: the message's lines to the pipe named by SVCWRAP_NOTIFY, each
// ended by a newline, on a connection of its own.
func notifySend(msg string) error {
	name := os.Getenv("SVCWRAP_NOTIFY")
	if name == "" {
		return errors.New("SVCWRAP_NOTIFY is not set")
	}
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.Write([]byte(msg + "\n"))
	return err
}
