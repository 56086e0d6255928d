// gochild mimics a typical Go service for svcwrap's tests: it catches
// os.Interrupt and SIGTERM with signal.Notify, logs what it receives to a
// file, and exits after an optional graceful-shutdown delay.
//
// Standard library only (no golang.org/x/sys); Windows specifics live in
// platform_windows.go, everything else in platform_other.go.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const exitUsage = 64

var (
	logPath        = flag.String("log", "", "append one line per event to `PATH`")
	readyFile      = flag.String("ready-file", "", "write the pid atomically to `PATH` once set up")
	pidFile        = flag.String("pid-file", "", "write the pid to `PATH` at start")
	exitFlag       = flag.String("exit", "0", "exit code `N` (decimal or 0x hex)")
	sleepMS        = flag.Int64("sleep", -1, "stay alive `MS` milliseconds (-1 = forever)")
	ignoreStop     = flag.Bool("ignore-stop", false, "log stop signals but keep running")
	stopDelayMS    = flag.Int64("stop-delay", 0, "wait `MS` before exiting on a stop signal")
	stopEvent      = flag.Bool("stop-event", false, "Windows: treat the event named by SVCWRAP_STOP_EVENT as a stop request")
	controlEvents  = flag.Bool("control-events", false, "Windows: wait on every event named by SVCWRAP_CONTROL_<CODE> and log each time it is set")
	controlSignals = flag.Bool("control-signals", false, "POSIX: log SIGHUP, SIGUSR1 and SIGUSR2 and keep running")
	grandchildPID  = flag.String("spawn-grandchild", "", "start a copy of this program that writes its pid to `PIDFILE`")
	lines          = flag.Int64("lines", 0, "write `N` numbered lines to stdout after ready")
	lineBytes      = flag.Int64("line-bytes", 100, "bytes per -lines line, newline included")
	notifyReadyMS  = flag.Int64("notify-ready-after", -1, "send READY=1 by sd_notify `MS` after start (-1 = never)")
	notifyStatus   = flag.String("notify-status", "", "send STATUS=`TEXT` with READY=1")
	watchdogPings  = flag.Int64("watchdog-pings", 0, "send WATCHDOG=1 every WATCHDOG_USEC/2, `N` times (-1 = for ever), then stop")
	logEnv         = flag.String("log-env", "", "log the values of these comma-separated environment `NAMES` at start")
	spawnMain      = flag.String("spawn-main", "", "start a copy of this program with these space-separated `ARGS`, send READY=1 and MAINPID=<its pid>, then exit with -exit")
	grandchildWait = 10 * time.Second
	parsedExitCode int64
)

// logLine appends one line to -log; the file is opened, written, synced and
// closed for every line so a test can read it while we run.
func logLine(format string, args ...interface{}) {
	if *logPath == "" {
		return
	}
	f, err := openAppend(*logPath)
	if err != nil {
		return
	}
	fmt.Fprintf(f, format+"\n", args...)
	f.Sync()
	f.Close()
}

// writeFileAtomic writes PATH.tmp and renames it over PATH.
func writeFileAtomic(path, data string) {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		logLine("create-failed err=%v", err)
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		logLine("rename-failed err=%v", err)
	}
}

func writePIDFile(path string) {
	writeFileAtomic(path, strconv.Itoa(os.Getpid())+"\n")
}

// parseExitCode accepts decimal (optionally negative) or 0x-prefixed hex,
// so 0xC0000005 gives exit code 3221225477 on Windows.
func parseExitCode(s string) (int64, error) {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		v, err := strconv.ParseUint(s[2:], 16, 64)
		return int64(v), err
	}
	return strconv.ParseInt(s, 10, 64)
}

func finish() {
	logLine("exit code=%d", parsedExitCode)
	os.Exit(int(parsedExitCode))
}

// onStop is called for every stop request; it returns only with -ignore-stop.
func onStop(name string) {
	logLine("%s", name)
	if *ignoreStop {
		return
	}
	if *stopDelayMS > 0 {
		time.Sleep(time.Duration(*stopDelayMS) * time.Millisecond)
	}
	finish()
}

// spawnMainAndExit is a launcher as a forking daemon is one: it starts its
// worker (a copy of this program with args), names it by sd_notify as the
// service's main process with READY=1 and exits with -exit.
func spawnMainAndExit(args string) {
	exe, err := os.Executable()
	if err != nil {
		logLine("main-spawn-failed err=%v", err)
		os.Exit(exitUsage)
	}
	cmd := exec.Command(exe, strings.Fields(args)...)
	if err := cmd.Start(); err != nil {
		logLine("main-spawn-failed err=%v", err)
		os.Exit(exitUsage)
	}
	logLine("main pid=%d", cmd.Process.Pid)
	notify(fmt.Sprintf("READY=1\nMAINPID=%d", cmd.Process.Pid))
	// Let the wrapper read the message before this exit.
	time.Sleep(300 * time.Millisecond)
	logLine("launcher-exit code=%d", parsedExitCode)
	os.Exit(int(parsedExitCode))
}

// spawnGrandchild starts a copy of this binary the way a Go service would
// (exec.Command, default attributes: same process group / job, stdio on
// the null device) and waits until it has written its pid file.
func spawnGrandchild(pidPath string) {
	exe, err := os.Executable()
	if err != nil {
		logLine("grandchild-spawn-failed err=%v", err)
		return
	}
	cmd := exec.Command(exe, "-sleep", "-1", "-ignore-stop",
		"-pid-file", pidPath, "-log", pidPath+".log")
	if err := cmd.Start(); err != nil {
		logLine("grandchild-spawn-failed err=%v", err)
		return
	}
	logLine("grandchild pid=%d", cmd.Process.Pid)
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(grandchildWait)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(pidPath); err == nil {
			return
		}
		select {
		case <-exited:
			logLine("grandchild-failed")
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	logLine("grandchild-failed")
}

// writeLines writes "<8-digit seq> xxx...\n", each exactly lineBytes long.
func writeLines(w io.Writer, count, lineBytes int64) {
	bw := bufio.NewWriterSize(w, 64*1024)
	buf := make([]byte, 0, 64*1024)
	for seq := int64(1); seq <= count; seq++ {
		buf = append(buf[:0], fmt.Sprintf("%08d ", seq)...)
		for int64(len(buf))+1 < lineBytes {
			buf = append(buf, 'x')
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return
		}
	}
	bw.Flush()
}

// notify sends one sd_notify message to NOTIFY_SOCKET (a unixgram socket,
// path or @abstract) or SVCWRAP_NOTIFY (Windows: a pipe), and logs it with
// the time it was sent (Unix nanoseconds), for the tests' figures.
func notify(msg string) {
	err := notifySend(msg)
	if err != nil {
		logLine("notify-failed msg=%q err=%v", msg, err)
		return
	}
	logLine("notify-sent msg=%q at=%d", msg, time.Now().UnixNano())
}

// watchdogLoop pings at half the period, as sd_watchdog_enabled(3) advises.
func watchdogLoop(count int64) {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		logLine("watchdog-off WATCHDOG_USEC=%q", os.Getenv("WATCHDOG_USEC"))
		return
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		logLine("watchdog-not-mine WATCHDOG_PID=%s", pid)
		return
	}
	period := time.Duration(usec) * time.Microsecond / 2
	for i := int64(0); count < 0 || i < count; i++ {
		notify("WATCHDOG=1")
		time.Sleep(period)
	}
	logLine("watchdog-stopped at=%d", time.Now().UnixNano())
}

func main() {
	flag.CommandLine.Init(os.Args[0], flag.ContinueOnError)
	if err := flag.CommandLine.Parse(os.Args[1:]); err != nil {
		os.Exit(exitUsage)
	}
	code, err := parseExitCode(*exitFlag)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gochild: invalid -exit %q\n", *exitFlag)
		os.Exit(exitUsage)
	}
	parsedExitCode = code

	logLine("start pid=%d", os.Getpid())
	if *logEnv != "" {
		for _, name := range strings.Split(*logEnv, ",") {
			v, ok := os.LookupEnv(name)
			if ok {
				logLine("env %s=%s", name, v)
			} else {
				logLine("env %s unset", name)
			}
		}
	}
	if *pidFile != "" {
		writePIDFile(*pidFile)
	}
	if *spawnMain != "" {
		spawnMainAndExit(*spawnMain)
	}

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)

	controls := make(chan string, 16)
	if *controlSignals {
		watchControlSignals(controls)
	}
	if *controlEvents {
		watchControlEvents(controls)
	}

	var events <-chan struct{}
	if *stopEvent {
		events = watchStopEvent() // nil if unsupported or not opened
	}

	if *grandchildPID != "" {
		spawnGrandchild(*grandchildPID)
	}
	if *readyFile != "" {
		writePIDFile(*readyFile)
	}
	logLine("ready")
	if *notifyReadyMS >= 0 {
		go func() {
			time.Sleep(time.Duration(*notifyReadyMS) * time.Millisecond)
			msg := "READY=1"
			if *notifyStatus != "" {
				msg += "\nSTATUS=" + *notifyStatus
			}
			notify(msg)
		}()
	}
	if *watchdogPings != 0 {
		go watchdogLoop(*watchdogPings)
	}

	if *lines > 0 {
		writeLines(os.Stdout, *lines, *lineBytes)
	}

	var timeout <-chan time.Time
	if *sleepMS >= 0 {
		timeout = time.After(time.Duration(*sleepMS) * time.Millisecond)
	}
	for {
		select {
		case s := <-sigs:
			onStop(s.String()) // "interrupt" or "terminated"
		case c := <-controls:
			logLine("%s", c) // "signal hangup", "control-event 129 Global\\x"
		case <-events:
			events = nil // report the event once, then stop watching it
			onStop("event")
		case <-timeout:
			finish()
		}
	}
}
