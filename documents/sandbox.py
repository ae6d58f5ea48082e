"""Run LibreOffice with no network and no view of the server's files (the second wall after
documents/officeclean.py, for whatever LibreOffice might still follow).

`unshare` (util-linux) gives the command its own user, mount, network, PID, IPC and UTS namespaces: the
network namespace has no interface but a down loopback, so nothing can be fetched, not even from 127.0.0.1;
in the mount namespace a fresh tmpfs becomes the root (pivot_root, the old root unmounted) holding only
read-only /usr, /bin, /lib*, the few /etc entries LibreOffice reads (fonts, linker cache, passwd/group,
its own configuration), /dev/null and friends, a fresh /proc of its own PID namespace, and the work
directory (a private copy of the input, the profile, the output) read-write at /work. The server's data
directory, keys, database, /home, /root, /tmp and the rest of /etc are simply not there. The command runs
with no capabilities (no remounting /usr writable, no new mounts) and no_new_privs. When it ends or is
killed, the PID namespace ends every process it started. Needs unprivileged user namespaces (or
root); `available()` tries once. Without it, conversions are refused unless ECABINET_SOFFICE_SANDBOX=false.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

INSIDE = Path("/work")
ETC = (
    "fonts",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "libreoffice",
    "alternatives",
    "passwd",
    "group",
    "nsswitch.conf",
    "localtime",
    "mime.types",
)
# $1 = the work dir, $2 = a read-only directory to add (the binary's install dir when outside /usr), rest = command.
SCRIPT = r"""
set -eu
W="$1"; EXTRA="$2"; shift 2
R="$W/.root"
mkdir -p "$R"
mount -t tmpfs -o mode=755,nosuid,nodev sandbox "$R"
ro() { mkdir -p "$R$1"; mount --rbind "$1" "$R$1"; mount -o remount,bind,ro,nosuid,nodev "$R$1"; }
rofile() { touch "$R$1"; mount --bind "$1" "$R$1"; mount -o remount,bind,ro,nosuid,nodev "$R$1"; }
for d in /usr /bin /sbin /lib /lib32 /lib64 /libx32; do
  if [ -L "$d" ]; then ln -s "$(readlink "$d")" "$R$d"; elif [ -d "$d" ]; then ro "$d"; fi
done
mkdir -p "$R/etc" "$R/dev" "$R/proc" "$R/tmp" "$R/work" "$R/var/cache"
for e in $ETC; do
  if [ -d "/etc/$e" ]; then ro "/etc/$e"; elif [ -f "/etc/$e" ]; then rofile "/etc/$e"; fi
done
[ -d /var/cache/fontconfig ] && ro /var/cache/fontconfig
for n in null zero random urandom; do touch "$R/dev/$n"; mount --bind "/dev/$n" "$R/dev/$n"; done
mount -t proc proc "$R/proc"
mount -t tmpfs -o mode=1777,nosuid,nodev tmp "$R/tmp"
[ -n "$EXTRA" ] && ro "$EXTRA"
mount --bind "$W/io" "$R/work"
cd "$R"; mkdir .old; pivot_root . .old; umount -l /.old; rmdir /.old
cd /work
exec setpriv --no-new-privs --inh-caps=-all --bounding-set=-all -- "$@"
"""


def _unshare() -> str | None:
    return shutil.which("unshare")


def command(argv: list[str], work: Path, binary: str) -> list[str]:
    """`argv` (paths inside: /work/...) run in the sandbox over `work` (whose `io` subdirectory is /work)."""
    real = Path(binary).resolve()
    extra = (
        ""
        if str(real).startswith("/usr/")
        else str(real.parent.parent if real.parent.name == "program" else real.parent)
    )
    script = SCRIPT.replace("$ETC", " ".join(ETC))
    return [
        _unshare() or "unshare",
        "--user",
        "--map-root-user",
        "--mount",
        "--net",
        "--pid",
        "--ipc",
        "--uts",
        "--fork",
        "--kill-child",
        "sh",
        "-c",
        script,
        "sandbox",
        str(work),
        extra,
        *argv,
    ]


def environment(lang: str | None = None) -> dict[str, str]:
    """A clean environment: nothing of the server's (no secrets, no proxies) reaches LibreOffice."""
    return {
        "HOME": str(INSIDE),
        "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
        "LANG": lang or os.environ.get("LANG", "C.UTF-8"),
        "TMPDIR": "/tmp",
    }


@functools.lru_cache(maxsize=1)
def available() -> bool:
    """Whether this host can build the sandbox (tried once per process with a harmless command)."""
    if _unshare() is None:
        return False
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ecabinet-sandbox-check-") as work:
        (Path(work) / "io").mkdir()
        try:
            done = subprocess.run(
                command(["/bin/sh", "-c", "test -d /work && ! test -e /home/.x"], Path(work), "/bin/sh"),
                env=environment(),
                capture_output=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
    return done.returncode == 0
