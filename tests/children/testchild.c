/*
 * testchild - a scriptable child process for svcwrap's tests.
 *
 * One portable C11 program (POSIX + Windows).  It logs every event it sees
 * to a file (--log) so a test can observe what the wrapper did to it, and it
 * can be told to exit with a given code, sleep, ignore stop requests, crash,
 * flood stdout/stderr, spawn a grandchild, or print its environment.
 *
 * See README.md next to this file for the option reference and the build
 * commands.  Internally all strings are UTF-8 `char *`; on Windows the wide
 * argv is converted once at start-up and paths are converted back to UTF-16
 * just before calling a W API.
 */

#ifdef _WIN32
#  ifndef WIN32_LEAN_AND_MEAN
#    define WIN32_LEAN_AND_MEAN
#  endif
#  include <windows.h>
#  include <aclapi.h>
#  include <sddl.h>
#  include <fcntl.h>
#  include <io.h>
#else
#  include <errno.h>
#  include <fcntl.h>
#  include <poll.h>
#  include <signal.h>
#  include <sys/types.h>
#  include <sys/wait.h>
#  include <time.h>
#  include <unistd.h>
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 64
#define IO_BUFFER_SIZE (64 * 1024)
#define MAX_PRINT_ENV 16
#define GRANDCHILD_WAIT_MS 10000

/* ------------------------------------------------------------------------ */
/* Options                                                                  */
/* ------------------------------------------------------------------------ */

struct options {
    const char *log_path;
    const char *ready_file;
    const char *pid_file;
    const char *grandchild_pid_file;
    const char *partial;
    const char *squat_event; /* Windows: create and hold these */
    const char *squat_pipe;
    const char *squat_mutex;
    const char *print_env[MAX_PRINT_ENV];
    int print_env_count;
    long long exit_code;
    long long on_stop_exit;
    long long sleep_ms;      /* -1 = forever */
    long long stop_delay_ms;
    long long lines;
    long long stderr_lines;
    long long line_bytes;
    long long slow_service_ms; /* > 0: be a service, START_PENDING this long */
    long long alloc_mib;       /* > 0: after ready, allocate and touch this much */
    int busy;                  /* spin on the CPU instead of sleeping */
    int crash;
    int ignore_stop;
    int stop_event;
    int window;
    int print_cwd;
    int print_args;
    int print_cmdline;
};

static struct options opt = {
    .sleep_ms = 0,
    .line_bytes = 100,
};

static int g_argc;
static char **g_argv; /* UTF-8 on every platform */

/* ------------------------------------------------------------------------ */
/* Stop stimuli: everything a wrapper can do to ask us to stop              */
/* ------------------------------------------------------------------------ */

enum stimulus {
    STIM_CTRL_C,
    STIM_CTRL_BREAK,
    STIM_CTRL_CLOSE,
    STIM_CTRL_LOGOFF,
    STIM_CTRL_SHUTDOWN,
    STIM_SIGTERM,
    STIM_SIGINT,
    STIM_SIGHUP,
    STIM_EVENT,
    STIM_WM_CLOSE,
    STIM_COUNT
};

static const struct {
    const char *name;
    int is_stop; /* 0 = only logged (never ends the process) */
} stimuli[STIM_COUNT] = {
    [STIM_CTRL_C] = {"ctrl-c", 1},
    [STIM_CTRL_BREAK] = {"ctrl-break", 1},
    [STIM_CTRL_CLOSE] = {"ctrl-close", 1},
    [STIM_CTRL_LOGOFF] = {"ctrl-logoff", 0},
    [STIM_CTRL_SHUTDOWN] = {"ctrl-shutdown", 1},
    [STIM_SIGTERM] = {"sigterm", 1},
    [STIM_SIGINT] = {"sigint", 1},
    [STIM_SIGHUP] = {"sighup", 0}, /* "reload": logged, never stops us */
    [STIM_EVENT] = {"event", 1},
    [STIM_WM_CLOSE] = {"wm-close", 1},
};

/* ------------------------------------------------------------------------ */
/* Platform layer: declarations                                             */
/* ------------------------------------------------------------------------ */

static unsigned long current_pid(void);
static void append_file(const char *path, const char *data, size_t len);
static void write_file_atomic(const char *path, const char *data);
static void sleep_ms(long long ms);
static void exit_process(long long code);
static void platform_init(void);
static void install_stop_handlers(void);
static int spawn_grandchild(const char *pid_file);
static void print_env_var(const char *name);
static void print_cwd(void);
static void print_cmdline(void);
static void wait_loop(void);
static void run_slow_service(void);
static void crash_now(void);
static void squat(void);
static void print_sddl(const char *what);

/* ------------------------------------------------------------------------ */
/* Common helpers                                                           */
/* ------------------------------------------------------------------------ */

/* Append one formatted line to --log.  The file is opened, appended and
 * closed for every line so a test can read it while we run. */
static void log_line(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    int n;

    if (!opt.log_path)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof buf - 2)
        n = (int)(sizeof buf - 2);
    buf[n++] = '\n';
    append_file(opt.log_path, buf, (size_t)n);
}

static void write_pid_file(const char *path)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lu\n", current_pid());
    write_file_atomic(path, buf);
}

/* Log "exit code=<n>" and leave with that code. */
static void finish(long long code)
{
#ifdef _WIN32
    log_line("exit code=%lu", (unsigned long)(DWORD)code);
#else
    log_line("exit code=%lld", code);
#endif
    exit_process(code);
}

/* Called on the main thread for every stimulus received. */
static void handle_stimulus(enum stimulus s)
{
    log_line("%s", stimuli[s].name);
    if (!stimuli[s].is_stop || opt.ignore_stop)
        return;
    if (opt.stop_delay_ms > 0)
        sleep_ms(opt.stop_delay_ms);
    finish(opt.on_stop_exit);
}

static void usage(const char *msg, const char *arg)
{
    fprintf(stderr, "testchild: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    fputs("usage: testchild [--log PATH] [--ready-file PATH] [--pid-file PATH]\n"
          "  [--exit N] [--sleep MS] [--crash] [--on-stop-exit N] [--ignore-stop]\n"
          "  [--stop-delay MS] [--stop-event] [--window]\n"
          "  [--spawn-grandchild PIDFILE] [--lines N] [--stderr-lines N]\n"
          "  [--line-bytes B] [--partial TEXT] [--print-env NAME]\n"
          "  [--print-cwd] [--print-args] [--print-cmdline] [--alloc-mib N]\n"
          "  [--busy] [--] [ARG...]\n"
          "  or: testchild --scm-control SERVICE CODE (Windows)\n"
          "  or: testchild --slow-service MS [--log PATH] (Windows)\n",
          stderr);
    fflush(stderr);
    exit_process(EXIT_USAGE);
}

/* Decimal (optionally negative) or 0x-prefixed hexadecimal. */
static long long parse_number(const char *opt_name, const char *s)
{
    char *end = NULL;
    long long v;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        v = (long long)strtoull(s + 2, &end, 16);
    else
        v = strtoll(s, &end, 10);
    if (!*s || end == s || *end != '\0')
        usage("invalid number for", opt_name);
    return v;
}

/* --scm-control NAME CODE: send a control code to a service and exit 0,
 * or with the Win32 error. Wine 8's sc.exe has no `control` verb, so the
 * tests send svcwrap's custom codes (128: rotate logs) with this. */
static void scm_control(const char *name, long long code)
{
#ifdef _WIN32
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    SC_HANDLE svc = NULL;
    SERVICE_STATUS st;
    wchar_t wname[256];
    DWORD err = 0;

    MultiByteToWideChar(CP_UTF8, 0, name, -1, wname, 256);
    /* PARAMCHANGE (6) needs SERVICE_PAUSE_CONTINUE, codes 128-255
     * SERVICE_USER_DEFINED_CONTROL. */
    if (scm == NULL || (svc = OpenServiceW(scm, wname,
                                           SERVICE_USER_DEFINED_CONTROL |
                                               SERVICE_PAUSE_CONTINUE)) == NULL ||
        !ControlService(svc, (DWORD)code, &st))
        err = GetLastError();
    if (svc != NULL)
        CloseServiceHandle(svc);
    if (scm != NULL)
        CloseServiceHandle(scm);
    fprintf(stderr, "testchild: control %lld to %s: error %lu\n", code, name,
            (unsigned long)err);
    exit_process(err);
#else
    (void)name;
    (void)code;
    usage("--scm-control is for Windows", NULL);
#endif
}

/* --alloc-mib N: allocate N MiB in 1 MiB pieces and touch every page, so
 * the memory is resident (RSS) and committed; say so on stdout (the log
 * file's timestamp marks the moment). An allocation refused (a job memory
 * limit) is said and the rest skipped: the child stays up. */
static void allocate(long long mib)
{
    long long i;

    for (i = 0; i < mib; i++) {
        char *p = malloc(1u << 20);

        if (p == NULL) {
            printf("alloc-failed after %lld MiB\n", i);
            fflush(stdout);
            log_line("alloc-failed mib=%lld", i);
            return;
        }
        memset(p, (int)(i & 0x7f) + 1, 1u << 20);
        /* Never freed: the point is to hold it. */
    }
    printf("allocated %lld MiB\n", mib);
    fflush(stdout);
    log_line("allocated mib=%lld", mib);
}

static void parse_args(int argc, char **argv)
{
    int i;
    int only_positional = 0;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = NULL;

        /* Arguments that are not options are accepted and ignored so that
         * --print-args can show how the wrapper quoted them; "--" makes
         * every later argument positional. */
        if (only_positional || a[0] != '-' || a[1] == '\0')
            continue;
        if (strcmp(a, "--") == 0) {
            only_positional = 1;
            continue;
        }

#define FLAG(name, field) \
    if (strcmp(a, name) == 0) { opt.field = 1; continue; }
#define VALUE(name) \
    (strcmp(a, name) == 0 && \
     (i + 1 < argc ? (v = argv[++i], 1) : (usage("missing value for", a), 0)))

        FLAG("--crash", crash)
        FLAG("--busy", busy)
        FLAG("--ignore-stop", ignore_stop)
        FLAG("--stop-event", stop_event)
        FLAG("--window", window)
        FLAG("--print-cwd", print_cwd)
        FLAG("--print-args", print_args)
        FLAG("--print-cmdline", print_cmdline)
        if (strcmp(a, "--print-sddl") == 0) {
            if (i + 1 >= argc)
                usage("missing value for", a);
            print_sddl(argv[i + 1]);
        }
        if (strcmp(a, "--scm-control") == 0) {
            if (i + 2 >= argc)
                usage("missing values for", a);
            scm_control(argv[i + 1], parse_number(a, argv[i + 2]));
        }
        if (VALUE("--log")) opt.log_path = v;
        else if (VALUE("--ready-file")) opt.ready_file = v;
        else if (VALUE("--pid-file")) opt.pid_file = v;
        else if (VALUE("--spawn-grandchild")) opt.grandchild_pid_file = v;
        else if (VALUE("--partial")) opt.partial = v;
        else if (VALUE("--squat-event")) opt.squat_event = v;
        else if (VALUE("--squat-pipe")) opt.squat_pipe = v;
        else if (VALUE("--squat-mutex")) opt.squat_mutex = v;
        else if (VALUE("--exit")) opt.exit_code = parse_number(a, v);
        else if (VALUE("--on-stop-exit")) opt.on_stop_exit = parse_number(a, v);
        else if (VALUE("--sleep")) opt.sleep_ms = parse_number(a, v);
        else if (VALUE("--stop-delay")) opt.stop_delay_ms = parse_number(a, v);
        else if (VALUE("--lines")) opt.lines = parse_number(a, v);
        else if (VALUE("--stderr-lines")) opt.stderr_lines = parse_number(a, v);
        else if (VALUE("--line-bytes")) opt.line_bytes = parse_number(a, v);
        else if (VALUE("--alloc-mib")) opt.alloc_mib = parse_number(a, v);
        else if (VALUE("--slow-service"))
            opt.slow_service_ms = parse_number(a, v);
        else if (VALUE("--print-env")) {
            if (opt.print_env_count == MAX_PRINT_ENV)
                usage("too many --print-env options", NULL);
            opt.print_env[opt.print_env_count++] = v;
        } else
            usage("unknown option", a);
#undef FLAG
#undef VALUE
    }
}

/* --lines / --stderr-lines: "<prefix><8-digit seq> xxxx...\n", each line
 * exactly line_bytes bytes long (longer only if the prefix does not fit). */
static void write_lines(FILE *f, const char *prefix, long long count, long long line_bytes)
{
    static char line[IO_BUFFER_SIZE];
    long long seq;
    size_t max = sizeof line - 1;
    size_t want = line_bytes > 0 && (size_t)line_bytes < max ? (size_t)line_bytes : max;

    for (seq = 1; seq <= count; seq++) {
        int n = snprintf(line, sizeof line, "%s%08lld ", prefix, seq);
        size_t len = (size_t)n;
        while (len + 1 < want)
            line[len++] = 'x';
        line[len++] = '\n';
        if (fwrite(line, 1, len, f) != len)
            break;
    }
    fflush(f);
}

static void print_args(void)
{
    int i;
    printf("argc=%d\n", g_argc);
    for (i = 1; i < g_argc; i++)
        printf("arg[%d]=%s\n", i, g_argv[i]);
}

static void produce_output(void)
{
    int i;

    if (opt.print_args)
        print_args();
    if (opt.print_cmdline)
        print_cmdline();
    for (i = 0; i < opt.print_env_count; i++)
        print_env_var(opt.print_env[i]);
    if (opt.print_cwd)
        print_cwd();
    fflush(stdout);
    if (opt.lines > 0)
        write_lines(stdout, "", opt.lines, opt.line_bytes);
    if (opt.stderr_lines > 0)
        write_lines(stderr, "E", opt.stderr_lines, opt.line_bytes);
    if (opt.partial) {
        fputs(opt.partial, stdout);
        fflush(stdout);
    }
}

static int run(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    platform_init();
    parse_args(argc, argv);
    if (opt.slow_service_ms > 0)
        run_slow_service();

    /* Big fully-buffered stdio so --lines is fast; flushed explicitly. */
    setvbuf(stdout, NULL, _IOFBF, IO_BUFFER_SIZE);
    setvbuf(stderr, NULL, _IOFBF, IO_BUFFER_SIZE);

    log_line("start pid=%lu", current_pid());
    if (opt.pid_file)
        write_pid_file(opt.pid_file);

    install_stop_handlers();
    if (opt.squat_event || opt.squat_pipe || opt.squat_mutex)
        squat();

    if (opt.grandchild_pid_file) {
        int ok = spawn_grandchild(opt.grandchild_pid_file);
        if (!ok)
            log_line("grandchild-failed");
    }

    if (opt.ready_file)
        write_pid_file(opt.ready_file);
    log_line("ready");

    produce_output();

    if (opt.alloc_mib > 0)
        allocate(opt.alloc_mib);

    if (opt.crash) {
        log_line("crash");
        fflush(NULL);
        crash_now();
    }

    wait_loop();
    finish(opt.exit_code);
    return 0; /* not reached */
}


/* A real access violation / SIGSEGV.  Both the pointer and the pointee
 * are volatile: otherwise GCC may drop the store (it is UB, so it may
 * assume it never happens) or turn it into a trap instruction (SIGILL). */
static void crash_now(void)
{
    volatile int *volatile p = NULL;
    *p = 42;
}

#ifdef _WIN32
/* ======================================================================== */
/* Windows                                                                  */
/* ======================================================================== */

/* --squat-event/--squat-pipe/--squat-mutex: what any local user could do
 * before a service starts: create its objects first, with the default
 * security. The pipe is served: each client gets one line, and the
 * impersonation level its connection allowed is logged
 * ("squat-client level=<n>": 0 anonymous, 1 identification,
 * 2 impersonation, 3 delegation; "squat-client impersonate-failed
 * err=<n>" when ImpersonateNamedPipeClient itself failed). */
static wchar_t *wide_arg(const char *s)
{
    static wchar_t buf[4][512];
    static int next;
    wchar_t *w = buf[next++ % 4];
    MultiByteToWideChar(CP_UTF8, 0, s, -1, w, 512);
    return w;
}

/* --print-sddl file:PATH | service:NAME | pipe:NAME | event:NAME: print
 * the object's owner and DACL as "sddl <SDDL>" on stdout and exit 0, or
 * "sddl-failed <step> err=<n>" and exit 1. What Wine implements of each
 * API is visible this way. */
static void print_sddl(const char *what)
{
    PSECURITY_DESCRIPTOR sd = NULL;
    SECURITY_INFORMATION si = OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
    LPWSTR text = NULL;
    const char *step = "open";
    DWORD err = 0;
    static BYTE buf[8192];

    if (strncmp(what, "file:", 5) == 0) {
        step = "GetNamedSecurityInfoW";
        err = GetNamedSecurityInfoW(wide_arg(what + 5), SE_FILE_OBJECT, si, NULL,
                                    NULL, NULL, NULL, &sd);
    } else if (strncmp(what, "service:", 8) == 0) {
        SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
        SC_HANDLE svc = scm ? OpenServiceW(scm, wide_arg(what + 8), READ_CONTROL) : NULL;
        DWORD need = 0;
        if (!svc) {
            err = GetLastError();
        } else {
            step = "QueryServiceObjectSecurity";
            if (!QueryServiceObjectSecurity(svc, si, buf, sizeof buf, &need))
                err = GetLastError();
            else
                sd = buf;
        }
        if (svc) CloseServiceHandle(svc);
        if (scm) CloseServiceHandle(scm);
    } else if (strncmp(what, "pipe:", 5) == 0 || strncmp(what, "event:", 6) == 0) {
        int pipe = what[0] == 'p';
        HANDLE h = pipe ? CreateFileW(wide_arg(what + 5), READ_CONTROL, 0, NULL,
                                      OPEN_EXISTING, 0, NULL)
                        : OpenEventW(READ_CONTROL, FALSE, wide_arg(what + 6));
        if (h == NULL || h == INVALID_HANDLE_VALUE) {
            err = GetLastError();
        } else {
            step = "GetSecurityInfo";
            err = GetSecurityInfo(h, SE_KERNEL_OBJECT, si, NULL, NULL, NULL,
                                  NULL, &sd);
            CloseHandle(h);
        }
    } else {
        usage("--print-sddl takes file:, service:, pipe: or event:", what);
    }
    if (err == 0 && sd != NULL) {
        step = "ConvertSecurityDescriptorToStringSecurityDescriptorW";
        if (!ConvertSecurityDescriptorToStringSecurityDescriptorW(
                sd, SDDL_REVISION_1, si, &text, NULL))
            err = GetLastError();
    }
    if (err != 0 || text == NULL) {
        printf("sddl-failed %s err=%lu\n", step, (unsigned long)err);
        fflush(stdout);
        exit_process(1);
    }
    printf("sddl %ls\n", text);
    fflush(stdout);
    exit_process(0);
}

static DWORD WINAPI squat_pipe_thread(void *arg)
{
    HANDLE h = arg;

    for (;;) {
        HANDLE tok = NULL;
        DWORD n;
        static const char line[] = "{\"squatter\":true}\n";

        if (!ConnectNamedPipe(h, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) {
            log_line("squat-connect-failed err=%lu", (unsigned long)GetLastError());
            Sleep(100);
            continue;
        }
        WriteFile(h, line, sizeof line - 1, &n, NULL);
        if (!ImpersonateNamedPipeClient(h)) {
            log_line("squat-client impersonate-failed err=%lu",
                     (unsigned long)GetLastError());
        } else {
            SECURITY_IMPERSONATION_LEVEL lvl = SecurityAnonymous;
            DWORD got;
            if (OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &tok) &&
                GetTokenInformation(tok, TokenImpersonationLevel, &lvl,
                                    sizeof lvl, &got))
                log_line("squat-client level=%d", (int)lvl);
            else
                log_line("squat-client token-failed err=%lu",
                         (unsigned long)GetLastError());
            if (tok)
                CloseHandle(tok);
            RevertToSelf();
        }
        FlushFileBuffers(h);
        DisconnectNamedPipe(h);
    }
    return 0;
}

static void squat(void)
{
    if (opt.squat_event) {
        HANDLE e = CreateEventW(NULL, TRUE, FALSE, wide_arg(opt.squat_event));
        log_line("squat-event %s err=%lu", e ? "ok" : "failed",
                 (unsigned long)(e ? 0 : GetLastError()));
    }
    if (opt.squat_mutex) {
        HANDLE m = CreateMutexW(NULL, FALSE, wide_arg(opt.squat_mutex));
        log_line("squat-mutex %s err=%lu", m ? "ok" : "failed",
                 (unsigned long)(m ? 0 : GetLastError()));
    }
    if (opt.squat_pipe) {
        HANDLE p = CreateNamedPipeW(wide_arg(opt.squat_pipe), PIPE_ACCESS_DUPLEX,
                                    PIPE_TYPE_BYTE | PIPE_WAIT,
                                    PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0,
                                    NULL);
        if (p == INVALID_HANDLE_VALUE) {
            log_line("squat-pipe failed err=%lu", (unsigned long)GetLastError());
        } else {
            HANDLE t = CreateThread(NULL, 0, squat_pipe_thread, p, 0, NULL);
            log_line("squat-pipe %s", t ? "ok" : "thread-failed");
            if (t)
                CloseHandle(t);
        }
    }
}

static HANDLE g_wake;            /* auto-reset: "look at the queue" */
static HANDLE g_stop_event;      /* --stop-event, NULL if unused */
static HANDLE g_window_ready;    /* window thread finished creating */
static DWORD g_window_error;     /* 0 = window created */
static CRITICAL_SECTION g_queue_lock;
static enum stimulus g_queue[64];
static unsigned g_queue_head, g_queue_tail;

static wchar_t *to_wide(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
    wchar_t *w = malloc((size_t)n * sizeof *w);
    if (!w)
        abort();
    MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n);
    return w;
}

static char *to_utf8(const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    char *s = malloc((size_t)n);
    if (!s)
        abort();
    WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
    return s;
}

static unsigned long current_pid(void)
{
    return GetCurrentProcessId();
}

/* Share everything (including DELETE) so a test can read, truncate or
 * delete the log while we are appending to it. */
static void append_file(const char *path, const char *data, size_t len)
{
    wchar_t *wpath = to_wide(path);
    HANDLE h = CreateFileW(wpath, FILE_APPEND_DATA,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    DWORD written;
    free(wpath);
    if (h == INVALID_HANDLE_VALUE)
        return;
    WriteFile(h, data, (DWORD)len, &written, NULL);
    CloseHandle(h);
}

static void write_file_atomic(const char *path, const char *data)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 5);
    wchar_t *wtmp, *wpath;
    HANDLE h;
    DWORD written;

    if (!tmp)
        abort();
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp", 5);
    wtmp = to_wide(tmp);
    wpath = to_wide(path);
    h = CreateFileW(wtmp, GENERIC_WRITE,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h != INVALID_HANDLE_VALUE) {
        WriteFile(h, data, (DWORD)strlen(data), &written, NULL);
        CloseHandle(h);
        if (!MoveFileExW(wtmp, wpath, MOVEFILE_REPLACE_EXISTING))
            log_line("rename-failed err=%lu", (unsigned long)GetLastError());
    } else {
        log_line("create-failed err=%lu", (unsigned long)GetLastError());
    }
    free(wtmp);
    free(wpath);
    free(tmp);
}

static void sleep_ms(long long ms)
{
    Sleep(ms < 0 ? INFINITE : (DWORD)ms);
}

/* Windows exit codes are 32-bit unsigned: --exit 0xC0000005 must come out
 * as 3221225477, so go straight to ExitProcess with the full value. */
static void exit_process(long long code)
{
    fflush(NULL);
    ExitProcess((UINT)code);
}

static void platform_init(void)
{
    /* No "program has stopped working" dialog for --crash (or anything
     * else): the test must see exit code 0xC0000005, not a hang. */
    SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);

    /* The CRT would translate "\n" to "\r\n" on stdout/stderr in text mode:
     * --lines relies on exact byte counts and we print raw UTF-8. */
    _setmode(_fileno(stdout), _O_BINARY);
    _setmode(_fileno(stderr), _O_BINARY);

    InitializeCriticalSection(&g_queue_lock);
    g_wake = CreateEventW(NULL, FALSE, FALSE, NULL);
}

/* Called from the ctrl-handler thread and the window thread. */
static void push_stimulus(enum stimulus s)
{
    EnterCriticalSection(&g_queue_lock);
    if (g_queue_tail - g_queue_head < sizeof g_queue / sizeof g_queue[0])
        g_queue[g_queue_tail++ % (sizeof g_queue / sizeof g_queue[0])] = s;
    LeaveCriticalSection(&g_queue_lock);
    SetEvent(g_wake);
}

static int pop_stimulus(enum stimulus *s)
{
    int ok = 0;
    EnterCriticalSection(&g_queue_lock);
    if (g_queue_head != g_queue_tail) {
        *s = g_queue[g_queue_head++ % (sizeof g_queue / sizeof g_queue[0])];
        ok = 1;
    }
    LeaveCriticalSection(&g_queue_lock);
    return ok;
}

/* Runs on a thread the system injects into the process. */
static BOOL WINAPI ctrl_handler(DWORD type)
{
    switch (type) {
    case CTRL_C_EVENT: push_stimulus(STIM_CTRL_C); return TRUE;
    case CTRL_BREAK_EVENT: push_stimulus(STIM_CTRL_BREAK); return TRUE;
    case CTRL_LOGOFF_EVENT: push_stimulus(STIM_CTRL_LOGOFF); return TRUE;
    case CTRL_CLOSE_EVENT: push_stimulus(STIM_CTRL_CLOSE); break;
    case CTRL_SHUTDOWN_EVENT: push_stimulus(STIM_CTRL_SHUTDOWN); break;
    default: return FALSE;
    }
    /* For CLOSE/SHUTDOWN the system kills the process as soon as the
     * handler returns (or after its timeout), so block here and let the
     * main thread do the graceful exit (or, with --ignore-stop, keep
     * running until the system's timeout kills us). */
    Sleep(INFINITE);
    return TRUE;
}

static LRESULT CALLBACK window_proc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp)
{
    if (msg == WM_CLOSE) {
        /* Do not DestroyWindow: the main thread decides whether we stop. */
        push_stimulus(STIM_WM_CLOSE);
        return 0;
    }
    return DefWindowProcW(hwnd, msg, wp, lp);
}

/* A hidden top-level window (never shown) so a wrapper can find it with
 * EnumWindows and post WM_CLOSE.  A message-only (HWND_MESSAGE) window
 * would not be enumerated, so it is deliberately a normal one. */
static DWORD WINAPI window_thread(LPVOID arg)
{
    WNDCLASSEXW wc;
    HWND hwnd;
    MSG msg;

    (void)arg;
    memset(&wc, 0, sizeof wc);
    wc.cbSize = sizeof wc;
    wc.lpfnWndProc = window_proc;
    wc.hInstance = GetModuleHandleW(NULL);
    wc.lpszClassName = L"SvcwrapTestChildWindow";
    if (!RegisterClassExW(&wc)) {
        g_window_error = GetLastError();
        SetEvent(g_window_ready);
        return 1;
    }
    hwnd = CreateWindowExW(0, wc.lpszClassName, L"svcwrap testchild",
                           WS_OVERLAPPEDWINDOW, CW_USEDEFAULT, CW_USEDEFAULT,
                           CW_USEDEFAULT, CW_USEDEFAULT, NULL, NULL,
                           wc.hInstance, NULL);
    if (!hwnd)
        g_window_error = GetLastError();
    SetEvent(g_window_ready);
    if (!hwnd)
        return 1;
    while (GetMessageW(&msg, NULL, 0, 0) > 0) {
        TranslateMessage(&msg);
        DispatchMessageW(&msg);
    }
    return 0;
}

static void install_stop_handlers(void)
{
    /* A process started with CREATE_NEW_PROCESS_GROUP begins with CTRL_C
     * ignored (inherited flag); SetConsoleCtrlHandler(NULL, FALSE) turns
     * Ctrl-C processing back on so our handler sees it. */
    SetConsoleCtrlHandler(NULL, FALSE);
    SetConsoleCtrlHandler(ctrl_handler, TRUE);

    if (opt.stop_event) {
        const wchar_t *name = _wgetenv(L"SVCWRAP_STOP_EVENT");
        if (!name) {
            log_line("event-open-failed err=%lu", (unsigned long)ERROR_ENVVAR_NOT_FOUND);
        } else {
            g_stop_event = OpenEventW(SYNCHRONIZE, FALSE, name);
            if (!g_stop_event)
                log_line("event-open-failed err=%lu", (unsigned long)GetLastError());
        }
    }

    if (opt.window) {
        HANDLE t;
        g_window_ready = CreateEventW(NULL, TRUE, FALSE, NULL);
        t = CreateThread(NULL, 0, window_thread, NULL, 0, NULL);
        if (!t) {
            log_line("window-failed err=%lu", (unsigned long)GetLastError());
            return;
        }
        CloseHandle(t);
        WaitForSingleObject(g_window_ready, INFINITE);
        if (g_window_error)
            log_line("window-failed err=%lu", (unsigned long)g_window_error);
    }
}

/* Append one argument to a command line using the quoting rules that
 * CommandLineToArgvW / the CRT use to split it again. */
static void append_quoted(wchar_t *cmd, size_t *pos, const wchar_t *arg)
{
    size_t backslashes = 0;
    const wchar_t *p;

    if (*pos)
        cmd[(*pos)++] = L' ';
    cmd[(*pos)++] = L'"';
    for (p = arg;; p++) {
        if (*p == L'\\') {
            backslashes++;
            continue;
        }
        if (*p == L'\0' || *p == L'"') {
            /* Backslashes before a quote (ours or a literal one) double. */
            size_t n = backslashes * 2 + (*p == L'"' ? 1 : 0);
            while (n--)
                cmd[(*pos)++] = L'\\';
            if (*p == L'\0')
                break;
            cmd[(*pos)++] = L'"';
        } else {
            while (backslashes) {
                cmd[(*pos)++] = L'\\';
                backslashes--;
            }
            cmd[(*pos)++] = *p;
        }
        backslashes = 0;
    }
    cmd[(*pos)++] = L'"';
    cmd[*pos] = L'\0';
}

/* Wait until the grandchild has written its pid file (it does so
 * atomically), so the test can read it as soon as our ready file exists. */
static int wait_for_grandchild(HANDLE process, const char *pid_file)
{
    wchar_t *wpid = to_wide(pid_file);
    DWORD waited;
    int ok = 0;

    for (waited = 0; waited < GRANDCHILD_WAIT_MS; waited += 10) {
        if (GetFileAttributesW(wpid) != INVALID_FILE_ATTRIBUTES) {
            ok = 1;
            break;
        }
        if (WaitForSingleObject(process, 10) == WAIT_OBJECT_0)
            break; /* it died */
    }
    free(wpid);
    return ok;
}

static int spawn_grandchild(const char *pid_file)
{
    static wchar_t exe[32768];
    size_t n = strlen(pid_file);
    char *log_path = malloc(n + 5);
    const char *args[7];
    wchar_t *cmd;
    size_t pos = 0, cap = 0, i;
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    int ok;

    if (!log_path)
        abort();
    memcpy(log_path, pid_file, n);
    memcpy(log_path + n, ".log", 5);
    args[0] = "--sleep";
    args[1] = "-1";
    args[2] = "--ignore-stop";
    args[3] = "--pid-file";
    args[4] = pid_file;
    args[5] = "--log";
    args[6] = log_path;

    if (!GetModuleFileNameW(NULL, exe, sizeof exe / sizeof exe[0]))
        return 0;
    cap = wcslen(exe) * 2 + 3;
    for (i = 0; i < 7; i++)
        cap += strlen(args[i]) * 2 + 3; /* worst case: every char escaped */
    cmd = malloc((cap + 1) * sizeof *cmd);
    if (!cmd)
        abort();
    cmd[0] = L'\0';
    append_quoted(cmd, &pos, exe);
    for (i = 0; i < 7; i++) {
        wchar_t *w = to_wide(args[i]);
        append_quoted(cmd, &pos, w);
        free(w);
    }

    /* No special flags and no handle inheritance: the grandchild stays in
     * our job (if any) and our console / process group. */
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    ok = CreateProcessW(exe, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi);
    free(cmd);
    free(log_path);
    if (!ok) {
        log_line("grandchild-spawn-failed err=%lu", (unsigned long)GetLastError());
        return 0;
    }
    log_line("grandchild pid=%lu", (unsigned long)pi.dwProcessId);
    ok = wait_for_grandchild(pi.hProcess, pid_file);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return ok;
}

/* Console code pages are irrelevant: we always write UTF-8 bytes. */
static void print_env_var(const char *name)
{
    wchar_t *wname = to_wide(name);
    DWORD n = GetEnvironmentVariableW(wname, NULL, 0);
    if (n == 0 && GetLastError() == ERROR_ENVVAR_NOT_FOUND) {
        printf("%s unset\n", name);
    } else {
        wchar_t *wval = malloc(((size_t)n + 1) * sizeof *wval);
        char *val;
        if (!wval)
            abort();
        wval[0] = L'\0';
        GetEnvironmentVariableW(wname, wval, n + 1);
        val = to_utf8(wval);
        printf("%s=%s\n", name, val);
        free(val);
        free(wval);
    }
    free(wname);
}

static void print_cwd(void)
{
    DWORD n = GetCurrentDirectoryW(0, NULL);
    wchar_t *w = malloc(((size_t)n + 1) * sizeof *w);
    char *s;
    if (!w)
        abort();
    GetCurrentDirectoryW(n + 1, w);
    s = to_utf8(w);
    printf("cwd=%s\n", s);
    free(s);
    free(w);
}

/* The raw command line, before the CRT split it into argv. */
static void print_cmdline(void)
{
    char *s = to_utf8(GetCommandLineW());
    printf("cmdline=%s\n", s);
    free(s);
}

static void wait_loop(void)
{
    ULONGLONG deadline = GetTickCount64() + (ULONGLONG)(opt.sleep_ms > 0 ? opt.sleep_ms : 0);

    for (;;) {
        HANDLE handles[2];
        DWORD count = 0, timeout, r;
        enum stimulus s;

        while (pop_stimulus(&s))
            handle_stimulus(s);

        if (opt.sleep_ms < 0) {
            timeout = INFINITE;
        } else {
            ULONGLONG now = GetTickCount64();
            if (now >= deadline)
                return;
            timeout = (DWORD)(deadline - now);
        }
        if (opt.busy)
            timeout = 0; /* --busy: spin */

        handles[count++] = g_wake;
        if (g_stop_event)
            handles[count++] = g_stop_event;
        r = WaitForMultipleObjects(count, handles, FALSE, timeout);
        if (r == WAIT_OBJECT_0 + 1) {
            /* A manual-reset event would stay signalled: report it once
             * and stop watching it (matters only with --ignore-stop). */
            CloseHandle(g_stop_event);
            g_stop_event = NULL;
            handle_stimulus(STIM_EVENT);
        } else if (r == WAIT_FAILED) {
            log_line("wait-failed err=%lu", (unsigned long)GetLastError());
            return;
        }
    }
}

int wmain(int argc, wchar_t **wargv)
{
    char **argv = malloc(((size_t)argc + 1) * sizeof *argv);
    int i;
    if (!argv)
        abort();
    for (i = 0; i < argc; i++)
        argv[i] = to_utf8(wargv[i]);
    argv[argc] = NULL;
    return run(argc, argv);
}

/* --slow-service MS: a service of its own (not svcwrap) that stays
 * START_PENDING for MS before RUNNING, for testing what svcwrap's verbs do
 * with a service that is still starting. Logs what the SCM sends. */
static SERVICE_STATUS_HANDLE slow_handle;
static SERVICE_STATUS slow_status;
static HANDLE slow_stop;

static void slow_report(DWORD state, DWORD accepted)
{
    slow_status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    slow_status.dwCurrentState = state;
    slow_status.dwControlsAccepted = accepted;
    slow_status.dwCheckPoint =
        state == SERVICE_START_PENDING ? slow_status.dwCheckPoint + 1 : 0;
    slow_status.dwWaitHint = state == SERVICE_START_PENDING
                                 ? (DWORD)opt.slow_service_ms + 5000 : 0;
    if (!SetServiceStatus(slow_handle, &slow_status))
        log_line("set-status-failed err=%lu", (unsigned long)GetLastError());
}

static DWORD WINAPI slow_control(DWORD control, DWORD type, void *data,
                                 void *context)
{
    (void)type;
    (void)data;
    (void)context;
    log_line("scm-control %lu", (unsigned long)control);
    if (control == SERVICE_CONTROL_STOP) {
        SetEvent(slow_stop);
        return NO_ERROR;
    }
    return control == SERVICE_CONTROL_INTERROGATE ? NO_ERROR
                                                  : ERROR_CALL_NOT_IMPLEMENTED;
}

static void WINAPI slow_main(DWORD argc, wchar_t **argv)
{
    (void)argc;
    (void)argv;
    slow_handle = RegisterServiceCtrlHandlerExW(L"", slow_control, NULL);
    if (slow_handle == NULL) {
        log_line("register-failed err=%lu", (unsigned long)GetLastError());
        return;
    }
    slow_report(SERVICE_START_PENDING, 0);
    log_line("start-pending");
    sleep_ms(opt.slow_service_ms);
    slow_report(SERVICE_RUNNING, SERVICE_ACCEPT_STOP);
    log_line("running");
    WaitForSingleObject(slow_stop, INFINITE);
    log_line("stopped");
    slow_report(SERVICE_STOPPED, 0);
}

static void run_slow_service(void)
{
    static wchar_t no_name[] = L""; /* own-process: the name is ignored */
    SERVICE_TABLE_ENTRYW table[] = {{no_name, slow_main}, {NULL, NULL}};

    slow_stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (slow_stop == NULL || !StartServiceCtrlDispatcherW(table)) {
        log_line("dispatcher-failed err=%lu", (unsigned long)GetLastError());
        exit_process(1);
    }
    exit_process(0);
}

#else
/* ======================================================================== */
/* POSIX                                                                    */
/* ======================================================================== */

static int g_sig_pipe[2] = {-1, -1}; /* self-pipe: handler -> main loop */

static void print_sddl(const char *what)
{
    (void)what;
    usage("--print-sddl is for Windows", NULL);
}

static void squat(void)
{
    usage("--squat-event, --squat-pipe and --squat-mutex are for Windows",
          NULL);
}

static unsigned long current_pid(void)
{
    return (unsigned long)getpid();
}

static void write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        data += n;
        len -= (size_t)n;
    }
}

static void append_file(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    write_all(fd, data, len);
    close(fd);
}

static void write_file_atomic(const char *path, const char *data)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 5);
    int fd;

    if (!tmp)
        abort();
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp", 5);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        write_all(fd, data, strlen(data));
        close(fd);
        if (rename(tmp, path) != 0)
            log_line("rename-failed errno=%d", errno);
    } else {
        log_line("create-failed errno=%d", errno);
    }
    free(tmp);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps the full time even if signals interrupt it. */
static void sleep_ms(long long ms)
{
    long long deadline = now_ms() + ms;
    long long left;

    if (ms < 0) {
        for (;;)
            pause();
    }
    while ((left = deadline - now_ms()) > 0) {
        struct timespec ts;
        ts.tv_sec = (time_t)(left / 1000);
        ts.tv_nsec = (long)(left % 1000) * 1000000L;
        nanosleep(&ts, NULL);
    }
}

static void exit_process(long long code)
{
    fflush(NULL);
    exit((int)code);
}

static void platform_init(void)
{
}

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)(sig == SIGTERM ? STIM_SIGTERM
                                      : sig == SIGINT ? STIM_SIGINT
                                                      : STIM_SIGHUP);
    ssize_t r = write(g_sig_pipe[1], &b, 1); /* non-blocking; drop if full */
    (void)r;
    errno = saved;
}

static void set_flags(int fd, int fd_flags, int fl_flags)
{
    fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | fd_flags);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | fl_flags);
}

static void install_stop_handlers(void)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    struct sigaction sa;
    size_t i;

    if (pipe(g_sig_pipe) != 0) {
        log_line("pipe-failed errno=%d", errno);
        exit_process(1);
    }
    /* Close-on-exec so the grandchild does not inherit the pipe. */
    set_flags(g_sig_pipe[0], FD_CLOEXEC, O_NONBLOCK);
    set_flags(g_sig_pipe[1], FD_CLOEXEC, O_NONBLOCK);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; /* stdio writes of --lines must not fail */
    for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);

    if (opt.stop_event)
        log_line("stop-event unsupported");
    if (opt.window)
        log_line("window unsupported");
}

static int wait_for_grandchild(pid_t pid, const char *pid_file)
{
    int waited;
    for (waited = 0; waited < GRANDCHILD_WAIT_MS; waited += 10) {
        int status;
        if (access(pid_file, F_OK) == 0)
            return 1;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return 0; /* it died */
        sleep_ms(10);
    }
    return 0;
}

/* Plain fork+exec: same session, same process group, inherited stdio. */
static int spawn_grandchild(const char *pid_file)
{
    static char exe[4096];
    size_t n = strlen(pid_file);
    char *log_path = malloc(n + 5);
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    pid_t pid;

    if (!log_path)
        abort();
    if (len <= 0) {
        log_line("grandchild-spawn-failed errno=%d", errno);
        free(log_path);
        return 0;
    }
    exe[len] = '\0';
    memcpy(log_path, pid_file, n);
    memcpy(log_path + n, ".log", 5);

    fflush(NULL); /* do not duplicate buffered output in the fork */
    pid = fork();
    if (pid == 0) {
        char *args[] = {exe, "--sleep", "-1", "--ignore-stop", "--pid-file",
                        (char *)pid_file, "--log", log_path, NULL};
        struct sigaction sa;
        /* Our handlers are reset by exec anyway; just be explicit. */
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        execv(exe, args);
        _exit(127);
    }
    free(log_path);
    if (pid < 0) {
        log_line("grandchild-spawn-failed errno=%d", errno);
        return 0;
    }
    log_line("grandchild pid=%ld", (long)pid);
    return wait_for_grandchild(pid, pid_file);
}

static void print_env_var(const char *name)
{
    const char *v = getenv(name);
    if (v)
        printf("%s=%s\n", name, v);
    else
        printf("%s unset\n", name);
}

static void print_cwd(void)
{
    static char buf[8192];
    if (getcwd(buf, sizeof buf))
        printf("cwd=%s\n", buf);
    else
        printf("cwd-failed errno=%d\n", errno);
}

/* POSIX has no single command line; print argv joined by spaces. */
static void print_cmdline(void)
{
    int i;
    fputs("cmdline=", stdout);
    for (i = 0; i < g_argc; i++)
        printf("%s%s", i ? " " : "", g_argv[i]);
    fputs("\n", stdout);
}

static void wait_loop(void)
{
    long long deadline = now_ms() + (opt.sleep_ms > 0 ? opt.sleep_ms : 0);

    for (;;) {
        struct pollfd pfd;
        int timeout;
        unsigned char b;

        /* Drain every signal recorded so far, in arrival order. */
        while (read(g_sig_pipe[0], &b, 1) == 1)
            handle_stimulus((enum stimulus)b);

        if (opt.sleep_ms < 0) {
            timeout = -1;
        } else {
            long long left = deadline - now_ms();
            if (left <= 0)
                return;
            timeout = left > 1000000000LL ? 1000000000 : (int)left;
        }
        if (opt.busy)
            timeout = 0; /* --busy: spin */
        pfd.fd = g_sig_pipe[0];
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
            log_line("poll-failed errno=%d", errno);
            return;
        }
    }
}

static void run_slow_service(void)
{
    usage("--slow-service is for Windows", NULL);
}

int main(int argc, char **argv)
{
    return run(argc, argv);
}
#endif
