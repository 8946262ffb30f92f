"""Lock the calling process down, layer by layer, before it runs a student's program.

The boundary is the kernel, not Python: resource limits, an unprivileged uid, no_new_privs,
Landlock (read-only beneath a few paths, no writes, no TCP, no signals out) and a seccomp
filter (no new processes, sockets, ptrace, namespaces, ...). Every step is irreversible.

Standard library only (pyseccomp is imported lazily): the worker child imports this module,
and it must never pull in torch, streamlit or graphviz by itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import re
import resource
import stat
import struct
import sys
import threading
from dataclasses import dataclass

LAYER_NAMES = ("rlimits", "uid", "no_new_privs", "landlock", "seccomp")

# --- status ------------------------------------------------------------------------------

_DETAIL_MAX = 500  # a detail longer than this from a child is junk, not a reason
_ERRNO_SUFFIX = re.compile(r" \(E[A-Z0-9]+\)$")


@dataclass(frozen=True)
class Layer:
    """One layer of the lock-down: whether it holds here, and what it does or why not."""

    name: str
    active: bool
    detail: str


@dataclass(frozen=True)
class SandboxStatus:
    """What lock_down achieved, one Layer per name in LAYER_NAMES order."""

    layers: tuple[Layer, ...]

    @property
    def complete(self) -> bool:
        """Every layer is active."""
        return bool(self.layers) and all(layer.active for layer in self.layers)

    def missing(self) -> tuple[str, ...]:
        """Names of the inactive layers."""
        return tuple(layer.name for layer in self.layers if not layer.active)

    def describe(self) -> str:
        """One line for a footer or a doctor."""
        total = len(self.layers)
        if self.complete:
            labels = ", ".join(_label(layer) for layer in self.layers)
            return f"sandbox: all {total} layers active ({labels})"
        active = sum(layer.active for layer in self.layers)
        # The errno name stays in the detail for the doctor; the footer keeps the reason.
        reasons = ", ".join(
            f"{layer.name} ({_ERRNO_SUFFIX.sub('', layer.detail)})"
            for layer in self.layers
            if not layer.active
        )
        return f"sandbox: {active} of {total} layers active; missing {reasons}"

    def to_json(self) -> dict:
        """Plain data for json.dumps."""
        return {
            "layers": [
                {"name": layer.name, "active": layer.active, "detail": layer.detail}
                for layer in self.layers
            ]
        }

    @classmethod
    def from_json(cls, data: object) -> SandboxStatus:
        """Parse to_json() output strictly: it comes from an untrusted child."""
        if type(data) is not dict or set(data) != {"layers"}:
            raise ValueError("sandbox status must be an object with exactly the key 'layers'")
        items = data["layers"]
        if type(items) is not list or len(items) != len(LAYER_NAMES):
            raise ValueError(f"sandbox status needs a list of {len(LAYER_NAMES)} layers")
        layers = []
        for expected, item in zip(LAYER_NAMES, items, strict=True):
            if type(item) is not dict or set(item) != {"name", "active", "detail"}:
                raise ValueError("a layer must be an object with exactly name, active, detail")
            name, active, detail = item["name"], item["active"], item["detail"]
            if type(name) is not str or name != expected:
                raise ValueError(f"layer {expected!r} expected, got {name!r}")
            if type(active) is not bool:
                raise ValueError(f"layer {expected!r}: active must be true or false")
            if type(detail) is not str or len(detail) > _DETAIL_MAX or not detail.isprintable():
                raise ValueError(f"layer {expected!r}: detail must be one short printable line")
            layers.append(Layer(name, active, detail))
        return cls(tuple(layers))


def _label(layer: Layer) -> str:
    """The short name of an active layer in describe(): 'uid 65534', 'landlock ABI 7'."""
    if layer.name == "uid" and (m := re.search(r"\buid (\d+)", layer.detail)):
        return f"uid {m.group(1)}"
    if layer.name == "landlock" and (m := re.search(r"\bABI (\d+)", layer.detail)):
        return f"landlock ABI {m.group(1)}"
    return layer.name


# --- configuration -----------------------------------------------------------------------


@dataclass(frozen=True)
class Confinement:
    """What the locked-down process may still use."""

    memory_bytes: int  # RLIMIT_AS (the caller adds the process's current size)
    cpu_seconds: int  # RLIMIT_CPU soft; hard = soft + 1
    read_paths: tuple[str, ...]  # read-only beneath each, via Landlock
    open_files: int = 64  # RLIMIT_NOFILE (only ever lowered)
    uid: int = 65534
    gid: int = 65534


# Shared scratch and other users' homes: never readable, not even by a sys.path entry.
_NEVER_BENEATH = ("/tmp", "/var/tmp", "/dev/shm", "/proc")
_ONLY_EXACT_BENEATH = ("/root", "/home")
_SYSTEM_PATHS = (
    "/usr/lib",
    "/usr/lib64",
    "/lib",
    "/lib64",
    "/usr/share",
    "/etc/ld.so.cache",
    "/etc/localtime",
)


def _beneath(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def default_read_paths() -> tuple[str, ...]:
    """What Python and torch need to import lazily, and nothing else of /tmp, /proc or homes."""
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    # The engine package itself, not the folder that holds it: in a checkout that folder
    # is the whole project (.git, secrets.toml); installed, it is site-packages, which the
    # prefixes grant anyway.
    engine_home = os.path.dirname(os.path.abspath(__file__))
    project = os.path.realpath(os.path.dirname(engine_home))
    in_prefix = any(_beneath(project, os.path.realpath(p)) for p in prefixes if p)
    # Beneath /root or /home only these exact directories may be granted (a pyenv Python, a
    # checkout), never the home itself nor whatever else sys.path points into there.
    exact = {os.path.realpath(p) for p in (*prefixes, engine_home) if p}
    candidates = [*prefixes, *(p for p in sys.path if os.path.isabs(p)), engine_home]
    if not in_prefix:
        candidates = [c for c in candidates if c and os.path.realpath(c) != project]
    candidates += _SYSTEM_PATHS
    seen: list[str] = []
    for candidate in candidates:
        if not candidate:
            continue
        path = os.path.realpath(candidate)
        if not os.path.exists(path) or path in seen:
            continue
        # Granting an ancestor of a forbidden tree (such as "/") would grant that tree.
        if any(_beneath(bad, path) for bad in (*_NEVER_BENEATH, *_ONLY_EXACT_BENEATH)):
            continue
        # A checkout (and its .venv) may well live in /tmp, as in a CI job's clone: the exact
        # interpreter and engine folders are granted there too, never anything else of it.
        if any(_beneath(path, bad) for bad in _NEVER_BENEATH) and path not in exact:
            continue
        if any(_beneath(path, home) for home in _ONLY_EXACT_BENEATH) and path not in exact:
            continue
        seen.append(path)
    # A path beneath another granted directory adds nothing but a Landlock rule.
    kept = [
        p for p in seen if not any(q != p and os.path.isdir(q) and _beneath(p, q) for q in seen)
    ]
    return tuple(kept)


def required() -> bool:
    """The deployment refuses to run programs without a complete sandbox."""
    return os.environ.get("AUTOGRAD_EXPLORER_SANDBOX") == "require"


# --- libc --------------------------------------------------------------------------------

_PR_SET_KEEPCAPS = 8
_PR_GET_SECCOMP = 21
_PR_SET_NO_NEW_PRIVS = 38
_PR_GET_NO_NEW_PRIVS = 39
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_CAP_VERSION_3 = 0x20080522
_CAP_DAC_READ_SEARCH = 2


@functools.cache
def _libc() -> ctypes.CDLL:
    # dlopen(NULL): libc is already mapped, so no find_library (which spawns ldconfig).
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    libc.prctl.restype = ctypes.c_int
    return libc


def _errname(code: int) -> str:
    return errno.errorcode.get(code, str(code))


def _oserror_text(exc: OSError) -> str:
    if exc.errno:
        return f"{os.strerror(exc.errno).lower()} ({_errname(exc.errno)})"
    return str(exc) or type(exc).__name__


def _prctl(option: int, arg2: int = 0) -> int:
    args = (ctypes.c_ulong(a) for a in (arg2, 0, 0, 0))
    result = _libc().prctl(ctypes.c_int(option), *args)
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


def _syscall(number: int, *args: int) -> int:
    """syscall(2); every argument as a long, since it is variadic."""
    result = _libc().syscall(ctypes.c_long(number), *(ctypes.c_long(a) for a in args))
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


class _CapHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _CapData(ctypes.Structure):
    _fields_ = (
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    )


def _set_caps(mask: int) -> None:
    """Make effective = permitted = mask (caps 0..31), nothing inheritable, no ambient."""
    header = _CapHeader(_CAP_VERSION_3, 0)
    data = (_CapData * 2)(_CapData(mask, mask, 0), _CapData(0, 0, 0))
    if _libc().capset(ctypes.byref(header), data) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    try:
        _prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL)
    except OSError as exc:
        if exc.errno != errno.EINVAL:  # EINVAL: a kernel without ambient capabilities
            raise


def _shed_caps() -> None:
    """Best effort, on a failure path: lose every capability and the right to keep them."""
    for shed in (lambda: _prctl(_PR_SET_KEEPCAPS, 0), lambda: _set_caps(0)):
        with contextlib.suppress(OSError):
            shed()


def _caps() -> tuple[int, int, int]:
    """(effective, permitted, inheritable) of this thread, all 64 capability bits."""
    header = _CapHeader(_CAP_VERSION_3, 0)
    data = (_CapData * 2)()
    if _libc().capget(ctypes.byref(header), data) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    lo, hi = data
    return (
        lo.effective | hi.effective << 32,
        lo.permitted | hi.permitted << 32,
        lo.inheritable | hi.inheritable << 32,
    )


def _thread_count() -> int:
    """Native threads too (torch starts one on import), not only threading's."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


# --- layers ------------------------------------------------------------------------------


def _lowered(current: int, wanted: int) -> int:
    return wanted if current == resource.RLIM_INFINITY else min(current, wanted)


def _positive_int(value: object, what: str) -> int:
    if type(value) is not int or value <= 0:
        raise ValueError(f"{what} must be a positive int, not {value!r}")
    return value


def _mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"


def _rlimits(conf: Confinement) -> Layer:
    memory = _positive_int(conf.memory_bytes, "memory_bytes")
    cpu = _positive_int(conf.cpu_seconds, "cpu_seconds")
    files = _positive_int(conf.open_files, "open_files")
    wanted = {
        resource.RLIMIT_AS: (memory, memory),
        resource.RLIMIT_CPU: (cpu, cpu + 1),  # soft sends SIGXCPU, hard one second later kills
        resource.RLIMIT_FSIZE: (0, 0),
        resource.RLIMIT_CORE: (0, 0),
        resource.RLIMIT_NOFILE: (files, files),
    }
    failures, got = [], {}
    for which, (soft, hard) in wanted.items():
        cur_soft, cur_hard = resource.getrlimit(which)
        # Only ever lower: an unprivileged process cannot raise its hard limit, and must not.
        hard = _lowered(cur_hard, hard)
        soft = min(_lowered(cur_soft, soft), hard)
        try:
            resource.setrlimit(which, (soft, hard))
        except (OSError, ValueError) as exc:
            failures.append(f"{_RLIMIT_NAMES[which]}: {exc}")
            continue
        got[which] = resource.getrlimit(which)
        if got[which] != (soft, hard):
            failures.append(f"{_RLIMIT_NAMES[which]} reads back {got[which]}")
    if failures:
        return Layer("rlimits", False, "could not set " + "; ".join(failures))
    cpu_soft, cpu_hard = got[resource.RLIMIT_CPU]
    return Layer(
        "rlimits",
        True,
        f"address space {_mib(got[resource.RLIMIT_AS][0])}, CPU {cpu_soft} s (killed at "
        f"{cpu_hard} s), no file writes, no core dumps, "
        f"{got[resource.RLIMIT_NOFILE][0]} open files",
    )


_RLIMIT_NAMES = {
    resource.RLIMIT_AS: "RLIMIT_AS",
    resource.RLIMIT_CPU: "RLIMIT_CPU",
    resource.RLIMIT_FSIZE: "RLIMIT_FSIZE",
    resource.RLIMIT_CORE: "RLIMIT_CORE",
    resource.RLIMIT_NOFILE: "RLIMIT_NOFILE",
}


def _searchable(path: str, uid: int, gid: int) -> bool:
    """Whether uid:gid (no supplementary groups) may walk down to path, by mode bits."""
    parts = os.path.realpath(path).split("/")[1:]
    directories = ["/"] + ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]
    for directory in directories:
        try:
            st = os.stat(directory)
        except OSError:
            return False
        if not stat.S_ISDIR(st.st_mode):
            continue
        if st.st_uid == uid:
            bit = stat.S_IXUSR
        elif st.st_gid == gid:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            return False
    return True


def _drop_uid(conf: Confinement, read_paths: tuple[str, ...]) -> tuple[Layer, bool]:
    """Become conf.uid:conf.gid with no groups; returns (layer, kept CAP_DAC_READ_SEARCH)."""
    uid = _positive_int(conf.uid, "uid")
    gid = _positive_int(conf.gid, "gid")
    if os.geteuid() != 0 and 0 not in os.getresuid():
        _set_caps(0)  # an unprivileged uid may still hold capabilities (ambient, file caps)
        if any(_caps()):
            return Layer("uid", False, f"uid {os.getuid()} still holds capabilities"), False
        return Layer("uid", True, f"already unprivileged (uid {os.getuid()})"), False
    if os.geteuid() != 0:
        os.seteuid(0)  # a saved root uid could be taken back later: take it now, then drop all
    # When Python itself lives where the target uid cannot walk (a pyenv under a 0700 /root),
    # lazy imports would fail by file mode. Keep only the right to bypass that check; Landlock
    # still confines every read to read_paths, and lock_down drops it if Landlock fails.
    blocked = [p for p in read_paths if not _searchable(p, uid, gid)]
    keep = 1 << _CAP_DAC_READ_SEARCH if blocked else 0
    try:
        if keep:
            _prctl(_PR_SET_KEEPCAPS, 1)
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        _set_caps(keep)  # setresuid cleared effective; KEEPCAPS kept only what we re-raise here
        if keep:
            _prctl(_PR_SET_KEEPCAPS, 0)
        failure = ""
        if os.getresuid() != (uid,) * 3 or os.getresgid() != (gid,) * 3 or os.getgroups():
            failure = f"ids read back {os.getresuid()} {os.getresgid()} {os.getgroups()}"
        elif _caps() != (keep, keep, 0):
            failure = f"capabilities read back {_caps()}"
    except BaseException:
        _shed_caps()  # with KEEPCAPS set, a failure half-way could leave every root capability
        raise
    if failure:
        _shed_caps()
        return Layer("uid", False, failure), False
    detail = f"uid {uid}, gid {gid}, no supplementary groups, no capabilities"
    if keep:
        detail = (
            f"uid {uid}, gid {gid}, no supplementary groups, only CAP_DAC_READ_SEARCH "
            f"(uid {uid} cannot walk to {blocked[0]}; Landlock bounds reads)"
        )
    return Layer("uid", True, detail), bool(keep)


def _no_new_privs() -> Layer:
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)
    if _prctl(_PR_GET_NO_NEW_PRIVS) != 1:
        return Layer("no_new_privs", False, "PR_GET_NO_NEW_PRIVS reads back 0")
    return Layer("no_new_privs", True, "no setuid or file capabilities can ever be gained")


_SYS_LANDLOCK_CREATE_RULESET = 444  # the same on x86_64 and aarch64 (and every arch since 5.13)
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
_LANDLOCK_CREATE_RULESET_VERSION = 1 << 0
_LANDLOCK_RULE_PATH_BENEATH = 1
_LANDLOCK_RESTRICT_SELF_TSYNC = 1 << 3  # ABI 8: every thread of the process, not just this one
_FS_READ_FILE = 1 << 2
_FS_READ_DIR = 1 << 3
_FS_ABI1 = (1 << 13) - 1  # execute, write, read, readdir, remove, make char/dir/reg/sock/...
_FS_REFER = 1 << 13  # ABI 2
_FS_TRUNCATE = 1 << 14  # ABI 3
_FS_IOCTL_DEV = 1 << 15  # ABI 5
_NET_BIND_TCP = 1 << 0  # ABI 4
_NET_CONNECT_TCP = 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
_SCOPE_SIGNAL = 1 << 1

_LANDLOCK_UNAVAILABLE = {
    errno.ENOSYS: "the kernel has no Landlock",
    errno.EOPNOTSUPP: "Landlock is built in but disabled at boot",
}


def _landlock(read_paths: tuple[str, ...], threads: int) -> Layer:
    try:
        abi = _syscall(_SYS_LANDLOCK_CREATE_RULESET, 0, 0, _LANDLOCK_CREATE_RULESET_VERSION)
    except OSError as exc:
        reason = _LANDLOCK_UNAVAILABLE.get(exc.errno or 0, "Landlock ABI query failed")
        return Layer("landlock", False, f"{reason} ({_errname(exc.errno or 0)})")
    # Handle every right this ABI knows: what is handled and not granted is denied.
    fs = _FS_ABI1
    fs |= _FS_REFER if abi >= 2 else 0
    fs |= _FS_TRUNCATE if abi >= 3 else 0
    fs |= _FS_IOCTL_DEV if abi >= 5 else 0
    net = _NET_BIND_TCP | _NET_CONNECT_TCP if abi >= 4 else 0
    scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL if abi >= 6 else 0
    # An older kernel rejects a struct larger than it knows (E2BIG), so pass only its size.
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    attr = ctypes.create_string_buffer(struct.pack("=QQQ", fs, net, scoped)[:size], size)
    ruleset = _syscall(_SYS_LANDLOCK_CREATE_RULESET, ctypes.addressof(attr), size, 0)
    try:
        granted, skipped = 0, []
        for path in read_paths:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError as exc:
                skipped.append(f"{path}: {_errname(exc.errno or 0)}")
                continue
            try:
                is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
                # The kernel rejects directory rights on a file (EINVAL).
                access = _FS_READ_FILE | _FS_READ_DIR if is_dir else _FS_READ_FILE
                rule = ctypes.create_string_buffer(struct.pack("=Qi", access, fd), 12)
                rule_type = _LANDLOCK_RULE_PATH_BENEATH
                _syscall(_SYS_LANDLOCK_ADD_RULE, ruleset, rule_type, ctypes.addressof(rule), 0)
                granted += 1
            except OSError as exc:
                skipped.append(f"{path}: {_errname(exc.errno or 0)}")
            finally:
                os.close(fd)
        flags = _LANDLOCK_RESTRICT_SELF_TSYNC if abi >= 8 else 0
        _syscall(_SYS_LANDLOCK_RESTRICT_SELF, ruleset, flags)
    finally:
        os.close(ruleset)
    if threads > 1 and not flags:
        # Applied anyway (it confines this thread), but code here can reach the others.
        others = threads - 1
        return Layer(
            "landlock",
            False,
            f"Landlock ABI {abi} confines only the calling thread, and {others} other "
            f"{'thread already runs' if others == 1 else 'threads already run'} "
            "(lock down before starting threads)",
        )
    detail = f"Landlock ABI {abi}: read-only beneath {granted} paths, no writes"
    if net:
        detail += ", no TCP"
    if scoped:
        detail += ", signals and abstract unix sockets scoped"
    if skipped:
        detail += f" (skipped {', '.join(skipped)})"
    return Layer("landlock", True, detail)


_CLONE_THREAD = 0x00010000
_REFUSED = """
    execve execveat fork vfork socket socketpair connect bind listen accept accept4
    ptrace process_vm_readv process_vm_writev mount umount2 unshare setns pivot_root chroot
    bpf perf_event_open keyctl add_key request_key userfaultfd
    io_uring_setup io_uring_enter io_uring_register pidfd_open pidfd_send_signal pidfd_getfd
    kexec_load kexec_file_load init_module finit_module delete_module reboot swapon swapoff
    open_by_handle_at name_to_handle_at process_madvise kcmp fanotify_init tkill
    fsopen fsconfig fsmount fspick open_tree move_mount mount_setattr
    chmod fchmod fchmodat fchmodat2 chown fchown lchown fchownat
    setxattr lsetxattr fsetxattr removexattr lremovexattr fremovexattr setxattrat removexattrat
    utime utimes utimensat futimesat
""".split()
_SIGNALS = ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")


def _seccomp(seccomp, pid: int) -> Layer:
    """Default allow; refuse what a student's program has no business doing."""
    filt = seccomp.SyscallFilter(seccomp.ALLOW)
    # Filter every thread, not just this one (and give them no_new_privs too).
    filt.set_attr(seccomp.Attr.CTL_TSYNC, 1)
    eperm = seccomp.ERRNO(errno.EPERM)
    skipped: list[str] = []

    def refuse(action: int, name: str, *args: object) -> None:
        try:
            filt.add_rule(action, name, *args)
        except (OSError, ValueError):
            # Not a syscall on this arch (aarch64 has no fork or chmod), or newer than libseccomp.
            skipped.append(name)

    for name in _REFUSED:
        refuse(eperm, name)
    # Threads are clone(CLONE_THREAD|...); a new process is clone without CLONE_THREAD.
    refuse(eperm, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, _CLONE_THREAD, 0))
    # clone3 passes its flags in memory, out of a filter's reach: ENOSYS makes glibc fall back
    # to clone(), which the rule above can check.
    refuse(seccomp.ERRNO(errno.ENOSYS), "clone3")
    # Signals only to itself: abort(), raise() and faulthandler use tgkill(getpid(), ...).
    for name in _SIGNALS:
        refuse(eperm, name, seccomp.Arg(0, seccomp.NE, pid))
    filt.load()
    if _prctl(_PR_GET_SECCOMP) != 2:
        return Layer("seccomp", False, "the filter was loaded but PR_GET_SECCOMP is not 2")
    refused = len(_REFUSED) + 2 - len({*skipped} & {*_REFUSED, "clone3"})
    detail = (
        f"seccomp filter on every thread: {refused} syscalls refused (no processes, sockets, "
        "ptrace, namespaces, mounts), clone only for threads, signals only to itself"
    )
    if skipped:
        detail += f" (unknown here: {' '.join(skipped)})"
    return Layer("seccomp", True, detail)


def _import_seccomp():
    """pyseccomp, or the reason it is missing. Imported before any layer, because its
    import runs ldconfig (find_library), which the later layers forbid."""
    try:
        import pyseccomp
    except ImportError:
        return None, "pyseccomp is not installed"
    except RuntimeError:  # pyseccomp raises this when find_library finds no libseccomp
        return None, "libseccomp not found"
    except OSError as exc:
        return None, f"libseccomp failed to load ({_oserror_text(exc)})"
    return pyseccomp, ""


def _guard(name: str, step, *args) -> Layer:
    try:
        return step(*args)
    except OSError as exc:
        return Layer(name, False, _oserror_text(exc))
    except Exception as exc:  # noqa: BLE001 - lock_down never raises: the layer reports it
        return Layer(name, False, f"{type(exc).__name__}: {exc}")


def lock_down(conf: Confinement) -> SandboxStatus:
    """Confine the calling process irreversibly, each layer best effort. Never raises."""
    seccomp, seccomp_missing = _import_seccomp()
    pid = os.getpid()
    threads = _thread_count()
    read_paths = tuple(conf.read_paths) if isinstance(conf.read_paths, tuple | list) else ()
    rlimits = _guard("rlimits", _rlimits, conf)
    kept_cap = False

    def drop() -> Layer:
        nonlocal kept_cap
        layer, kept_cap = _drop_uid(conf, read_paths)
        return layer

    uid = _guard("uid", drop)
    nnp = _guard("no_new_privs", _no_new_privs)
    landlock = _guard("landlock", _landlock, read_paths, threads)
    if kept_cap and not landlock.active:
        # The read bypass was only safe inside Landlock's read-only paths.
        try:
            _set_caps(0)
            note = "lazy imports may fail: Python lives where this uid cannot walk"
            uid = Layer("uid", True, f"uid {conf.uid}, gid {conf.gid}, no capabilities ({note})")
        except OSError as exc:
            uid = Layer("uid", False, f"could not drop CAP_DAC_READ_SEARCH: {_oserror_text(exc)}")
    if seccomp is None:
        filt = Layer("seccomp", False, seccomp_missing)
    else:
        filt = _guard("seccomp", _seccomp, seccomp, pid)
    return SandboxStatus((rlimits, uid, nnp, landlock, filt))


# --- probe -------------------------------------------------------------------------------

_PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("_sandbox_probe", sys.argv[1])
sandbox = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = sandbox  # dataclasses look their module up
spec.loader.exec_module(sandbox)
conf = sandbox.Confinement(
    memory_bytes=sandbox._vm_size() + 256 * 2**20,
    cpu_seconds=10,
    read_paths=tuple(json.loads(sys.argv[2])),
)
status = sandbox.lock_down(conf)
status = sandbox._measured(status)
sys.stdout.write(json.dumps(status.to_json()))
sys.stdout.flush()
"""


def _vm_size() -> int:
    """This process's address space now, for a Confinement's memory budget."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise OSError(errno.ENOENT, "no VmSize in /proc/self/status")


def _measured(status: SandboxStatus) -> SandboxStatus:
    """Check the claims that matter by trying what they forbid."""
    import socket

    def fails(attempt) -> bool:
        try:
            attempt()
        except OSError:
            return True
        return False

    checks = {
        "landlock": (
            "opening /dev/null for writing worked",
            lambda: os.close(os.open(os.devnull, os.O_WRONLY)),
        ),
        "seccomp": ("socket() worked", lambda: socket.socket().close()),
    }
    layers = []
    for layer in status.layers:
        check = checks.get(layer.name)
        if layer.active and check and not fails(check[1]):
            layer = Layer(layer.name, False, f"reported active, but {check[0]}")
        layers.append(layer)
    return SandboxStatus(tuple(layers))


def _failed(reason: str) -> SandboxStatus:
    line = " ".join(reason.split())[:200] or "no output"
    return SandboxStatus(tuple(Layer(name, False, f"probe failed: {line}") for name in LAYER_NAMES))


@functools.cache
def probe() -> SandboxStatus:
    """What lock_down achieves on this machine, measured in a throwaway child. Never raises."""
    import json
    import subprocess

    try:
        # A fresh interpreter, not os.fork(): the caller may have threads (torch, streamlit).
        # -P: the cwd is not on sys.path; the module is loaded by path, so no engine/__init__.
        done = subprocess.run(
            [sys.executable, "-P", "-c", _PROBE, __file__, json.dumps(default_read_paths())],
            capture_output=True,
            text=True,
            timeout=60,
            cwd="/",
            check=False,
        )
        if done.returncode != 0:
            tail = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
            return _failed(tail[0])
        return SandboxStatus.from_json(json.loads(done.stdout))
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        return _failed(f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - probe never raises: it reports
        return _failed(f"{type(exc).__name__}: {exc}")
