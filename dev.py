#!/usr/bin/env python3
"""Developer bootstrap for the portal, using only the Python standard library.

Runs on a fresh machine that has nothing but Python 3.11+:

    python3 dev.py               same as `serve`
    python3 dev.py serve         set up .venv, migrate, seed demo data, run the dev server
    python3 dev.py test [ARGS]   set up .venv with test extras, ensure Chromium, run the linters
                                 (ruff, lint-imports) and pytest; with ARGS only `pytest ARGS`
    python3 dev.py bench [ARGS]  set up .venv with test and bench extras, run the benchmark
                                 (bench/run.py ARGS: pages, concurrency, mail, upload;
                                 `--quick` for a small smoke run)
    python3 dev.py bench PART [ARGS]  one part alone: pages, concurrency, mail, upload or load
    python3 dev.py --help        show this help

The virtual environment lives in `.venv` next to this file.  Dependencies come from
the lock files in requirements/ (exact versions with hashes, compiled from
pyproject.toml with pip-tools; see README.md): `requirements/base.txt` for `serve`,
`requirements/test.txt` for `test`, `requirements/bench.txt` (test and bench extras) for
`bench`.  The project itself is then installed
with `pip install --no-deps -e .`.  This only re-runs when the lock file (or
pyproject.toml) changed since the last successful install; a hash of both is kept in
`.venv/.installed-<extra>` (one stamp per lock file).

Environment:
    PORT    port for `serve` (default 5000)
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV_DIR = ROOT / ".venv"
PYPROJECT = ROOT / "pyproject.toml"
REQUIREMENTS_DIR = ROOT / "requirements"

USAGE = """\
usage: python3 dev.py [serve | test [PYTEST ARGS...] | bench [PART] [ARGS...] | --help]

commands:
  serve   (default) create .venv, install the project (and Pango with apt-get when
          missing), run migrations, seed demo data and start the dev server
          on 127.0.0.1:$PORT (default 5000)
  test    create .venv, install the project with test extras, make sure Chromium,
          Pango and redis-server are installed (Debian apt-get), run `ruff check .` and
          `lint-imports`, then pytest; with arguments only pytest runs, with those arguments
  bench   same setup as `test` (plus the bench extra), then the whole benchmark,
          bench/run.py with the given arguments (`bench --quick`: a small smoke run;
          `bench PART ARGS`: one of pages, concurrency, mail, upload, load alone;
          `bench load ARGS`: bench/load.py, 50 users for 60 s against gunicorn)
"""


# --------------------------------------------------------------------------- helpers


def say(message: str) -> None:
    """Print a short progress line, flushed so it interleaves with child output."""
    print(f"[dev] {message}", flush=True)


def warn(message: str) -> None:
    print(f"[dev] WARNING: {message}", file=sys.stderr, flush=True)


def die(message: str, code: int = 1) -> None:
    print(f"[dev] ERROR: {message}", file=sys.stderr, flush=True)
    sys.exit(code)


def run(cmd: list[str], **kwargs) -> None:
    """Run a command, echoing it first; abort the script if it fails."""
    say("$ " + " ".join(cmd))
    try:
        subprocess.run(cmd, check=True, **kwargs)
    except subprocess.CalledProcessError as exc:
        die(f"command failed with exit code {exc.returncode}: {' '.join(cmd)}", exc.returncode or 1)
    except FileNotFoundError:
        die(f"command not found: {cmd[0]}")


def venv_python() -> Path:
    """Path of the interpreter inside .venv (POSIX and Windows layouts)."""
    if os.name == "nt":
        return VENV_DIR / "Scripts" / "python.exe"
    return VENV_DIR / "bin" / "python"


def venv_script(name: str) -> Path:
    """Path of a console script installed into .venv (e.g. `lint-imports`)."""
    if os.name == "nt":
        return VENV_DIR / "Scripts" / f"{name}.exe"
    return VENV_DIR / "bin" / name


# --------------------------------------------------------------------------- setup


def ensure_venv() -> Path:
    """Create .venv with pip if it does not exist yet; return its python."""
    python = venv_python()
    if python.exists():
        return python
    say(f"creating virtual environment in {VENV_DIR.relative_to(ROOT)}/")
    try:
        venv.EnvBuilder(with_pip=True, upgrade_deps=False).create(VENV_DIR)
    except (subprocess.CalledProcessError, OSError) as exc:
        # Debian/Ubuntu ship `venv` without ensurepip unless python3-venv is installed.
        die(
            f"could not create the virtual environment ({exc}).\n"
            "        On Debian/Ubuntu install the venv module first: apt-get install python3-venv\n"
            f"        then remove the half-created {VENV_DIR} and try again."
        )
    if not python.exists():
        die(f"virtual environment was created but {python} is missing")
    return python


def install_hash(lock: Path) -> str:
    """sha256 over the lock file and pyproject.toml (which the editable install reads)."""
    digest = hashlib.sha256()
    for path in (lock, PYPROJECT):
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def ensure_installed(extra: str | None) -> Path:
    """Install `requirements/<extra>.txt`, then the project itself, unless the stamp is current.

    `pip install -r requirements/<extra>.txt` ("base" when no extra) puts the locked,
    hash-checked versions into .venv; `pip install --no-deps -e .` adds the project
    without resolving anything again.  The stamp `.venv/.installed-<extra>` holds the
    sha256 of the lock file and pyproject.toml at the time of the last successful install.
    """
    python = ensure_venv()
    if not PYPROJECT.exists():
        die(f"{PYPROJECT} not found")
    name = extra or "base"
    lock = REQUIREMENTS_DIR / f"{name}.txt"
    if not lock.exists():
        die(f"lock file {lock.relative_to(ROOT)} not found (see README.md, 'Updating the lock files')")

    stamp = VENV_DIR / f".installed-{name}"
    wanted = install_hash(lock)
    if stamp.exists() and stamp.read_text().strip() == wanted:
        say(f"dependencies up to date ({stamp.name})")
        return python

    say(f"installing the locked dependencies from {lock.relative_to(ROOT)} (lock file changed or first run)")
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check"]
    run(pip + ["-r", str(lock.relative_to(ROOT))], cwd=ROOT)
    run(pip + ["--no-deps", "-e", "."], cwd=ROOT)
    # A dependency added to pyproject.toml but not yet compiled into the lock file shows here.
    run([str(python), "-m", "pip", "check", "--disable-pip-version-check"], cwd=ROOT)
    stamp.write_text(wanted + "\n")
    return python


def _apt_get(args: list[str], prefix: list[str]) -> bool:
    """Run `apt-get ARGS` non-interactively; return True on success."""
    cmd = prefix + ["apt-get", *args]
    say("$ " + " ".join(cmd))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        return subprocess.run(cmd, env=env).returncode == 0
    except OSError as exc:
        warn(f"could not run apt-get: {exc}")
        return False


def _apt_prefix(missing: str) -> list[str] | None:
    """[] as root, ["sudo"] when sudo exists, None (after a warning) when apt-get cannot run."""
    if not shutil.which("apt-get"):
        warn(f"{missing} and apt-get is unavailable")
        return None
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        if shutil.which("sudo"):
            return ["sudo"]
        warn(f"{missing} and not root (no sudo)")
        return None
    return []


def _apt_install(packages: list[str], prefix: list[str]) -> bool:
    """`apt-get install -y PACKAGES`, refreshing the package index and retrying once."""
    ok = _apt_get(["install", "-y", *packages], prefix)
    if not ok:
        # Usually a stale or empty package index on a fresh machine.
        say("apt-get install failed; refreshing the package index and retrying once")
        _apt_get(["update"], prefix)
        ok = _apt_get(["install", "-y", *packages], prefix)
    return ok


def _ensure_program(program: str, package: str, without: str) -> None:
    """Install Debian's ``package`` if ``program`` is not on PATH. Failure is not fatal:
    the tests that need it skip themselves (``without`` says which)."""
    if shutil.which(program):
        return
    prefix = _apt_prefix(f"{program} not found")
    if prefix is None:
        warn(f"{without} will be skipped")
        return
    say(f"{program} not found; installing {package} with apt-get")
    if not _apt_install([package], prefix) or not shutil.which(program):
        warn(f"could not install {package}; {without} will be skipped")
    else:
        say(f"{package} installed")


def ensure_chromium() -> None:
    """Debian's chromium, for the browser tests."""
    _ensure_program("chromium", "chromium", "browser tests")


def ensure_redis() -> None:
    """Debian's redis-server, the shared store of the several-instances test."""
    _ensure_program("redis-server", "redis-server", "the several-instances test")


PANGO_LIBRARIES = ("pango-1.0", "pangoft2-1.0")
PANGO_PACKAGES = ["libpango-1.0-0", "libpangoft2-1.0-0"]


def _pango_missing() -> bool:
    import ctypes.util

    return any(ctypes.util.find_library(name) is None for name in PANGO_LIBRARIES)


def ensure_pango() -> None:
    """Install Pango (which WeasyPrint needs for the PDF letters) with apt-get if missing.

    Failure is not fatal: the portal still runs; making a PDF letter then fails with
    WeasyPrint's own message about the missing library.
    """
    if not _pango_missing():
        return
    prefix = _apt_prefix("the Pango libraries that WeasyPrint needs are missing")
    if prefix is None:
        warn(f"install {' '.join(PANGO_PACKAGES)} yourself; PDF letters cannot be made without them")
        return

    say("Pango not found (WeasyPrint needs it for PDF letters); installing it with apt-get")
    if not _apt_install(PANGO_PACKAGES, prefix) or _pango_missing():
        warn(f"could not install {' '.join(PANGO_PACKAGES)}; PDF letters cannot be made")
    else:
        say("Pango installed")


# --------------------------------------------------------------------------- commands


def cmd_serve(args: list[str]) -> None:
    if args:
        die(f"`serve` takes no arguments (got: {' '.join(args)})", 2)
    python = str(ensure_installed(None))
    ensure_pango()
    port = os.environ.get("PORT", "5000")
    if not port.isdigit():
        die(f"PORT must be a number, got {port!r}", 2)

    flask = [python, "-m", "flask", "--app", "app"]
    say("applying database migrations")
    run(flask + ["db", "upgrade"], cwd=ROOT)
    say("seeding demo data")
    run(flask + ["seed", "--demo"], cwd=ROOT)

    say(f"starting dev server on http://127.0.0.1:{port}/ (Ctrl+C to stop)")
    os.chdir(ROOT)
    # Replace this process so Ctrl+C and exit codes go straight to Flask.
    os.execv(python, flask + ["run", "--host", "127.0.0.1", "--port", port])


def _run_child(cmd: list[str]) -> int:
    """Run a long-lived child (pytest, bench) and return its exit code."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    say("$ " + " ".join(cmd))
    try:
        return subprocess.run(cmd, cwd=ROOT, env=env).returncode
    except KeyboardInterrupt:
        return 130


def postgres_available() -> bool:
    """PostgreSQL's server binaries (initdb, pg_ctl, postgres) are on this machine."""
    from glob import glob

    names = ("initdb", "pg_ctl", "postgres")
    if all(shutil.which(n) for n in names):
        return True
    return any(all(Path(d, n).exists() for n in names) for d in glob("/usr/lib/postgresql/*/bin"))


def run_linters(python: str) -> int:
    """`ruff check .`, `lint-imports` (the layer contracts in pyproject.toml) and bandit; 0 when all pass."""
    say("lint: ruff check .")
    code = _run_child([python, "-m", "ruff", "check", "."])
    say("lint: lint-imports")
    code = _run_child([str(venv_script("lint-imports"))]) or code
    # Static security analysis: no medium or high finding (each exception is explained
    # in place with a `# nosec` comment).
    say("lint: bandit -r portal (medium and high)")
    code = _run_child([python, "-m", "bandit", "-q", "-r", "portal", "-ll"]) or code
    if code != 0:
        warn("lint failed (see above); pytest is not run")
    return code


def cmd_test(args: list[str]) -> None:
    """Lint, then the whole suite on SQLite and, at the same time, the database-backed
    tests again on PostgreSQL (two processes: the machine has two cores, and each pass
    mostly keeps one busy).

    With arguments only `pytest ARGS` runs (no lint, no PostgreSQL pass).
    """
    python = str(ensure_installed("test"))
    ensure_chromium()
    ensure_pango()
    ensure_redis()
    if args:
        sys.exit(_run_child([python, "-m", "pytest", *args]))
    lint_code = run_linters(python)
    if lint_code != 0:
        sys.exit(lint_code)
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="portal-test-"))
    second = None
    if postgres_available():
        log = work / "postgres-pass.log"
        cmd = [python, "-m", "pytest", "--db=postgres", "-m", "not browser",
               "-p", "no:cacheprovider", f"--basetemp={work / 'postgres'}"]
        say("PostgreSQL pass (in the background, its output below when done): $ " + " ".join(cmd))
        with open(log, "wb") as out:
            second = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                      env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    else:
        warn("PostgreSQL binaries not found; the PostgreSQL pass is skipped")
    say("SQLite pass: the whole suite, the browser tests too")
    try:
        code = _run_child([python, "-m", "pytest", f"--basetemp={work / 'sqlite'}"])
        if second is None:
            sys.exit(code)
        say("PostgreSQL pass: waiting for it to finish")
        second_code = second.wait()
    finally:
        if second is not None and second.poll() is None:
            second.kill()
    say("PostgreSQL pass: the database tests on a throwaway PostgreSQL server")
    sys.stdout.write(log.read_text(errors="replace"))
    sys.stdout.flush()
    say(f"SQLite pass exit {code}, PostgreSQL pass exit {second_code}")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(code or second_code)


def cmd_bench(args: list[str]) -> None:
    python = str(ensure_installed("bench"))
    ensure_chromium()
    script = ROOT / "bench" / "run.py"
    if not script.exists():
        die(f"{script.relative_to(ROOT)} does not exist yet")
    sys.exit(_run_child([python, str(script.relative_to(ROOT)), *args]))


COMMANDS = {"serve": cmd_serve, "test": cmd_test, "bench": cmd_bench}


def main(argv: list[str]) -> None:
    # dev.py runs on the machine's own python3, which may be older than the project needs.
    if sys.version_info < (3, 11):  # noqa: UP036
        die(f"Python 3.11+ is required (this is {sys.version.split()[0]})")

    if argv and argv[0] in ("-h", "--help", "help"):
        print(USAGE, end="")
        return
    command, args = (argv[0], argv[1:]) if argv else ("serve", [])
    handler = COMMANDS.get(command)
    if handler is None:
        print(USAGE, end="", file=sys.stderr)
        die(f"unknown command {command!r}", 2)
    handler(args)


if __name__ == "__main__":
    main(sys.argv[1:])
