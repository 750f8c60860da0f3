"""Starting, talking to and stopping the servers that perf/compare and perf/memory measure.

Owns: free loopback ports, one server process pinned with taskset (stock redis-server or
tessera-server, started with the same redis-server style options), a minimal RESP client, and
the per-process CPU and memory readings from /proc. Must not: decide what is measured or how it
is reported (the scripts do).

Every process started here is stopped by its pid: `Server.stop`, or `stop_all` from a `finally`
block or a signal handler. Nothing is killed by name.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

# ---------------------------------------------------------------------------------------------
# Cores and ports

def parse_cores(text):
    """Parses a taskset-style core list ("0", "0-7", "0,2,4-6") into a sorted list of ints."""
    cores = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            cores.update(range(int(lo), int(hi) + 1))
        else:
            cores.add(int(part))
    if not cores:
        raise ValueError(f"empty core list: {text!r}")
    return sorted(cores)


def cores_arg(cores):
    """The taskset -c form of a core list."""
    return ",".join(str(c) for c in cores)


def available_cores():
    """The cores this process may run on, in order."""
    return sorted(os.sched_getaffinity(0))


def default_split(mode):
    """Server and client cores when none are given.

    single: the first available core serves, the next one runs the client.
    all: the first half of the available cores serve, the second half run the client.
    """
    cores = available_cores()
    if len(cores) < 2:
        raise SystemExit("need at least 2 cores: one for the server, one for the client")
    if mode == "single":
        return cores[:1], cores[1:2]
    half = len(cores) // 2
    return cores[:half], cores[half:]


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# A minimal RESP client

class RespError(Exception):
    """An error reply (`-ERR ...`), or a connection the server closed."""


def encode_command(*args):
    """One command as a RESP multibulk."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, int):
            a = str(a)
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Client:
    """A blocking RESP2 connection, enough for INFO, DBSIZE, FLUSHALL and pipelined loads."""

    def __init__(self, port, timeout=30.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise RespError("connection closed by the server")
        self.buf += data

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def read_reply(self):
        """Reads one reply. Error replies are returned as RespError values, not raised."""
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode(errors="replace")
        if kind == b"-":
            return RespError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read_reply() for _ in range(n)]
        raise RespError(f"unexpected reply line {line[:60]!r}")

    def call(self, *args):
        """Sends one command and returns its reply; raises RespError on an error reply."""
        self.sock.sendall(encode_command(*args))
        reply = self.read_reply()
        if isinstance(reply, RespError):
            raise reply
        return reply

    def pipeline_lines(self, payload, count):
        """Sends `payload` (`count` commands that each answer with one line: +OK, :n or -ERR)
        and reads the `count` replies. Returns how many were errors, and the first error's
        text (None when none was)."""
        self.sock.sendall(payload)
        errors = 0
        first_error = None
        seen = 0
        # Every reply is one line, so whole lines are counted in one pass, and `buf` always
        # starts at the beginning of a reply.
        while seen < count:
            end = self.buf.rfind(b"\r\n")
            if end < 0:
                self._fill()
                continue
            whole = self.buf[:end + 2]
            failed = whole.count(b"\r\n-") + whole.startswith(b"-")
            if failed and first_error is None:
                start = 0 if whole.startswith(b"-") else whole.index(b"\r\n-") + 2
                first_error = whole[start + 1:whole.index(b"\r\n", start)].decode(
                    errors="replace")
            errors += failed
            seen += whole.count(b"\r\n")
            self.buf = self.buf[end + 2:]
        return errors, first_error


def info_field(port, section, field):
    """One field of INFO <section> as a string, or None when the server has no INFO or no such
    field."""
    try:
        c = Client(port, timeout=10)
        try:
            text = c.call("INFO", section)
        finally:
            c.close()
    except (RespError, OSError):
        return None
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    if not isinstance(text, str):
        return None
    m = re.search(rf"^{re.escape(field)}:(.*?)\r?$", text, re.M)
    return m.group(1).strip() if m else None


# ---------------------------------------------------------------------------------------------
# /proc readings

def cpu_ns(pid):
    """CPU time (user + system) of every thread of `pid`, in ns: the sum of the first field of
    /proc/PID/task/*/schedstat. Threads that exited since the last reading are lost, so take
    readings while the server runs and subtract."""
    return sum(cpu_ns_by_thread(pid).values())


def cpu_ns_by_thread(pid):
    """CPU time (user + system) of each thread of `pid` in ns, by thread id."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                out[tid] = int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return out


def busiest_share(before, after):
    """Of the CPU time the threads used between two `cpu_ns_by_thread` readings, the share of
    the busiest thread: 1/N when N threads share the work evenly."""
    used = [after[t] - before.get(t, 0) for t in after]
    total = sum(used)
    return max(used) / total if total > 0 else 0.0


def benchmark_cpu_ns(srv, bench_args, requests, client_cores):
    """Server CPU ns per request of `srv` over one `redis-benchmark` run with `bench_args`
    (everything but the address, -n and -q), pinned to `client_cores`."""
    args = ["taskset", "-c", cores_arg(client_cores), "redis-benchmark", "-h", "127.0.0.1",
            "-p", str(srv.port), "-n", str(requests), "-q"] + list(bench_args)
    before = srv.cpu_ns()
    done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    after = srv.cpu_ns()
    if done.returncode != 0 or "per second" not in done.stdout:
        raise RuntimeError(f"redis-benchmark failed: {done.stdout[-300:]} {done.stderr[-300:]}")
    return (after - before) / requests


def cores_busy_s(cores):
    """CPU time spent on `cores` by anything (all of /proc/stat's columns but idle and iowait),
    in seconds since boot. The difference of two readings, less what the measured processes
    used, is the load that other processes put on those cores meanwhile."""
    hz = os.sysconf("SC_CLK_TCK")
    wanted = {f"cpu{c}" for c in cores}
    total = 0
    with open("/proc/stat") as f:
        for line in f:
            fields = line.split()
            if fields and fields[0] in wanted:
                ticks = [int(x) for x in fields[1:9]]
                total += sum(ticks) - ticks[3] - ticks[4]
    return total / hz


def wait_quiet(cores, max_busy, timeout, sample=0.5):
    """Waits, up to `timeout` seconds, until `cores` are busy less than `max_busy` (a share of
    their capacity) over a `sample`-second window. Returns the last window's share."""
    deadline = time.monotonic() + timeout
    while True:
        before = cores_busy_s(cores)
        time.sleep(sample)
        share = (cores_busy_s(cores) - before) / sample / len(cores)
        if share < max_busy or time.monotonic() >= deadline:
            return share


def rss_bytes(pid):
    """Resident set size of `pid` (VmRSS in /proc/PID/status), in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def machine_summary():
    """One line about the machine: CPU model, core count, kernel."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Linux {os.uname().release}"


def redis_version(redis_bin):
    """`redis-server --version`'s v= field."""
    try:
        out = subprocess.run([redis_bin, "--version"], capture_output=True, text=True).stdout
        m = re.search(r"v=(\S+)", out)
        return m.group(1) if m else out.strip()
    except OSError:
        return "unknown"


def git_revision(path):
    """The short commit of the repository holding `path`, with `-dirty` for local changes."""
    try:
        out = subprocess.run(
            ["git", "-C", path, "describe", "--always", "--dirty"],
            capture_output=True, text=True,
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


# ---------------------------------------------------------------------------------------------
# Server processes

_started = []


class Server:
    """One server process, pinned to `cores` with taskset, on a free loopback port.

    `kind` is "tessera", "redis" or "floor" (perf/floor_loop.rs). All get the same
    redis-server style options: the port, --bind 127.0.0.1, no persistence (--save ""
    --appendonly no) and a fresh --dir. Tessera runs `threads` executors; Redis gets
    `--io-threads threads --io-threads-do-reads yes` when threads > 1.
    """

    NAMES = {"tessera": "Tessera", "redis": "Redis", "floor": "Floor loop"}

    def __init__(self, kind, binary, cores, threads, extra=()):
        self.kind = kind
        self.name = self.NAMES[kind]
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix=f"perf-{kind}-")
        args = [
            binary, "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", self.dir,
        ]
        if kind == "tessera":
            args += ["--threads", str(threads)]
        elif kind == "redis" and threads > 1:
            args += ["--io-threads", str(threads), "--io-threads-do-reads", "yes"]
        args += list(extra)
        self.log_path = os.path.join(self.dir, "server.log")
        self.log = open(self.log_path, "wb")
        # taskset execs the server, so the pid below is the server's own.
        self.proc = subprocess.Popen(
            ["taskset", "-c", cores_arg(cores)] + args,
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        self.pid = self.proc.pid
        _started.append(self)
        self._wait_ready()

    def _wait_ready(self, timeout=20.0):
        """Waits until the server answers a command (any reply, even an error, will do)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.log_tail()}")
            try:
                c = Client(self.port, timeout=2)
                try:
                    c.sock.sendall(encode_command("PING"))
                    c.read_reply()
                    return
                finally:
                    c.close()
            except (OSError, RespError):
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not answer on port {self.port} in {timeout}s")

    def log_tail(self, n=20):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc.poll() is None

    def cpu_ns(self):
        return cpu_ns(self.pid)

    def cpu_ns_by_thread(self):
        return cpu_ns_by_thread(self.pid)

    def rss_bytes(self):
        return rss_bytes(self.pid)

    def stop(self):
        """Stops the server by its pid: SIGTERM, then SIGKILL after 5 s."""
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            except ProcessLookupError:
                pass
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self in _started:
            _started.remove(self)


def stop_all():
    """Stops every server this process started and has not stopped yet."""
    for s in list(_started):
        s.stop()


def install_signal_handlers():
    """Turns SIGTERM and SIGHUP into KeyboardInterrupt, so that `finally` blocks stop the
    servers on any of Ctrl-C, kill and a closed terminal."""
    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)
