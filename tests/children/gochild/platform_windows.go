//go:build windows

package main

import (
	"errors"
	"os"
	"sort"
	"strings"
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

func watchControlSignals(out chan<- string) {
	logLine("control-signals unsupported")
}

// watchControlEvents opens every event named by an SVCWRAP_CONTROL_<CODE>
// variable (auto-reset events: each SetEvent wakes one wait) and sends
// "control-event <CODE> <NAME>" each time one is set.
func watchControlEvents(out chan<- string) {
	var names []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SVCWRAP_CONTROL_") {
			names = append(names, kv)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		logLine("control-events none")
	}
	for _, kv := range names {
		eq := strings.IndexByte(kv, '=')
		code, name := kv[len("SVCWRAP_CONTROL_"):eq], kv[eq+1:]
		p, err := syscall.UTF16PtrFromString(name)
		if err != nil {
			logLine("control-event-open-failed %s err=%v", code, err)
			continue
		}
		h, _, callErr := procOpenEventW.Call(synchronize, 0, uintptr(unsafe.Pointer(p)))
		if h == 0 {
			errno, _ := callErr.(syscall.Errno)
			logLine("control-event-open-failed %s err=%d", code, uint32(errno))
			continue
		}
		logLine("control-event-open %s %s", code, name)
		go func(h syscall.Handle, code, name string) {
			for {
				r, _ := syscall.WaitForSingleObject(h, syscall.INFINITE)
				if r != syscall.WAIT_OBJECT_0 {
					logLine("control-event-wait-failed %s", code)
					return
				}
				out <- "control-event " + code + " " + name
			}
		}(syscall.Handle(h), code, name)
	}
}
