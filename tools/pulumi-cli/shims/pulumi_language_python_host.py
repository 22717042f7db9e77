"""swarm_provider's Pulumi language host for Python (the `python` language plugin).

The Pulumi CLI starts `pulumi-language-python` (the shell wrapper next to this file,
which picks the interpreter) as

    pulumi-language-python [-root=DIR] [-virtualenv=DIR] [-tracing=ADDR] ... ENGINE_ADDRESS

and expects the port of a gRPC `pulumirpc.LanguageRuntime` server on the first line of
stdout. Unknown flags are ignored. Implemented:

* Handshake, GetPluginInfo, Cancel, and grpc.health.v1.Health/Check;
* GetRequiredPlugins / GetRequiredPackages: always empty (swarm_provider uses only
  dynamic providers, whose plugin "pulumi-python" is bundled with the CLI);
* Run: runs `pulumi-language-python-exec` (next to this file) with the project's
  interpreter; exit code 32 means "already reported" (RunResponse.bail);
* InstallDependencies: creates the virtualenv and `pip install -r requirements.txt`;
* About, GetProgramDependencies (pip list), RuntimeOptionsPrompts (none);
* RunPlugin: runs Python plugins, used by the CLI for Python policy packs
  (`python -u -m pulumi.policy ARGS`), streaming their output and exit code.

Interpreter choice (project `runtime.options` of Pulumi.yaml / PulumiPolicy.yaml):
`virtualenv` (relative to the project root) or, with `toolchain: uv`, `.venv`;
otherwise $PULUMI_PYTHON_CMD, python3, python. A missing virtualenv is created
(and requirements.txt installed) before a Run, as Pulumi's own host does.
"""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import types
from collections.abc import Callable, Iterator
from concurrent import futures
from typing import IO, Any, NoReturn


def proto_only() -> None:
    """Make ``pulumi.runtime.proto`` importable without running the SDK's ``__init__``s.

    The host needs only the generated gRPC stubs, which import each other relatively; the
    package ``pulumi`` imports the whole SDK first (about 0.13 CPU-s of every CLI command
    that runs a program or a policy pack). Empty package modules with the real search
    paths stand in for ``pulumi`` and ``pulumi.runtime`` in this process only."""
    spec = importlib.util.find_spec("pulumi")
    if spec is None or not spec.submodule_search_locations:
        return  # the import below fails and says why
    root = list(spec.submodule_search_locations)[0]
    for name, folder in (("pulumi", root), ("pulumi.runtime", os.path.join(root, "runtime")),
                         ("pulumi.runtime.proto", os.path.join(root, "runtime", "proto"))):
        package = types.ModuleType(name)
        package.__path__ = [folder]
        sys.modules.setdefault(name, package)


proto_only()
import grpc  # noqa: E402
from google.protobuf import empty_pb2, json_format  # noqa: E402
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2  # noqa: E402

HERE = os.path.dirname(os.path.realpath(__file__))
EXECUTOR = os.path.join(HERE, "pulumi-language-python-exec")
# The exec script's "error already reported to the engine" exit code.
EXIT_REPORTED = 32
# Flags of the Go host that take a value in the "-flag value" form.
VALUE_FLAGS = {"tracing", "root", "virtualenv", "toolchain", "typechecker", "binary", "v"}
DEBUG = bool(os.environ.get("PULUMI_LANGUAGE_PYTHON_DEBUG"))
# grpc.ServicerContext (grpc ships no type hints).
Context = Any
GRPC_OPTIONS = [
    ("grpc.max_receive_message_length", 400 * 1024 * 1024),
    ("grpc.max_send_message_length", 400 * 1024 * 1024),
]


def debug(msg: str) -> None:
    if DEBUG:
        print(f"pulumi-language-python: {msg}", file=sys.stderr, flush=True)


def host_version() -> str:
    """The version reported to the CLI.

    scripts/pulumi-cli writes the pinned CLI version into `.pulumi-version` next to
    this file; without it, the pulumi SDK's version is the best guess.
    """
    try:
        with open(os.path.join(HERE, ".pulumi-version"), encoding="utf-8") as f:
            v = f.read().strip()
            if v:
                return v.lstrip("v")
    except OSError:
        pass
    try:
        from importlib.metadata import version

        return version("pulumi")
    except Exception:  # noqa: BLE001
        return "3.0.0"


def parse_flags(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """Go-style flags (-a=b, --a=b, -a b for known value flags, -bool) and positionals."""
    flags: dict[str, str] = {}
    positionals: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            positionals.extend(argv[i + 1 :])
            break
        if arg.startswith("-") and len(arg) > 1:
            name = arg.lstrip("-")
            if "=" in name:
                key, value = name.split("=", 1)
            elif name in VALUE_FLAGS and i + 1 < len(argv):
                key, value = name, argv[i + 1]
                i += 1
            else:
                key, value = name, "true"
            flags[key] = value
        else:
            positionals.append(arg)
        i += 1
    return flags, positionals


# --------------------------------------------------------------------------------------
# Interpreter / virtualenv handling

# emit(stream name, data): where a child's output goes ("stdout" or "stderr").
Emit = Callable[[str, bytes], None]


class PythonEnv:
    """The interpreter for a program and the environment to run it with."""

    def __init__(self, python: str, venv: str | None):
        self.python = python
        self.venv = venv

    def environ(self, base: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        if self.venv:
            env["VIRTUAL_ENV"] = self.venv
            env["PATH"] = os.path.join(self.venv, "bin") + os.pathsep + env.get("PATH", "")
            env.pop("PYTHONHOME", None)
        return env


def options_of(info: Any) -> dict[str, Any]:
    if info is not None and info.HasField("options"):
        options: dict[str, Any] = json_format.MessageToDict(info.options)
        return options
    return {}


def venv_dir(options: dict[str, Any], root: str) -> str | None:
    venv = options.get("virtualenv")
    toolchain = options.get("toolchain") or "pip"
    if toolchain == "poetry":
        raise RuntimeError(
            "the 'poetry' toolchain is not supported by this language host; "
            "use 'virtualenv' (pip) or 'uv'"
        )
    if not venv and toolchain == "uv":
        venv = ".venv"
    if not venv:
        return None
    return os.path.normpath(venv if os.path.isabs(venv) else os.path.join(root, venv))


def ambient_python() -> str:
    candidates = [os.environ.get("PULUMI_PYTHON_CMD"), "python3", "python"]
    for cand in candidates:
        if cand and shutil.which(cand):
            return cand
    raise RuntimeError("no Python interpreter found: set PULUMI_PYTHON_CMD or put python3 on PATH")


def resolve_python(options: dict[str, Any], root: str) -> PythonEnv:
    venv = venv_dir(options, root)
    if venv:
        return PythonEnv(os.path.join(venv, "bin", "python"), venv)
    return PythonEnv(ambient_python(), None)


def python_about(penv: PythonEnv) -> tuple[str, str]:
    """The executable and version of the project's Python, for About. The CLI asks on
    every command that runs a program; when the project's interpreter is the one running
    this host (the wrapper picked it from the same options), it answers itself instead of
    starting it (0.02-0.04 CPU-s)."""
    if os.path.abspath(penv.python) == os.path.abspath(sys.executable):
        return sys.executable, sys.version.split()[0]
    out = subprocess.run(
        [penv.python, "-c", "import sys; print(sys.executable); print(sys.version.split()[0])"],
        env=penv.environ(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    return out[0], out[1]


def read_line(stream: IO[bytes]) -> bytes:
    return stream.readline()


def read_chunk(stream: IO[bytes]) -> bytes:
    """What the pipe holds now, without waiting for a line's end."""
    return os.read(stream.fileno(), 65536)


def child_output(
    proc: subprocess.Popen[bytes], read: Callable[[IO[bytes]], bytes]
) -> Iterator[tuple[str, bytes]]:
    """(stream name, data) from the child's stdout and stderr, as they come, until both end.

    One thread per pipe, so that a child filling one pipe never blocks on the other."""
    pieces: queue.Queue[tuple[str, bytes | None]] = queue.Queue()

    def pump(stream: IO[bytes], name: str) -> None:
        for data in iter(lambda: read(stream), b""):
            pieces.put((name, data))
        stream.close()
        pieces.put((name, None))

    for stream, name in ((proc.stdout, "stdout"), (proc.stderr, "stderr")):
        assert stream is not None
        threading.Thread(target=pump, args=(stream, name), daemon=True).start()
    open_streams = 2
    while open_streams:
        name, data = pieces.get()
        if data is None:
            open_streams -= 1
        else:
            yield name, data


def piped(cmd: list[str], cwd: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def run_streamed(cmd: list[str], cwd: str, env: dict[str, str], emit: Emit) -> int:
    """Run cmd, calling emit(stream_name, bytes) for each line; return the exit code."""
    debug(f"running {cmd} in {cwd}")
    proc = piped(cmd, cwd, env)
    for name, data in child_output(proc, read_line):
        emit(name, data)
    return proc.wait()


def ensure_venv(penv: PythonEnv, root: str, emit: Emit) -> None:
    """Create penv.venv (if any and missing) and install requirements.txt into it."""
    if not penv.venv or os.path.isfile(penv.python):
        return
    base = ambient_python()
    emit("stdout", f"Creating virtual environment {penv.venv} ...\n".encode())
    rc = run_streamed([base, "-m", "venv", penv.venv], root, dict(os.environ), emit)
    if rc != 0:
        raise RuntimeError(f"creating the virtualenv {penv.venv} failed (exit code {rc})")
    install_requirements(penv, root, emit)


def install_requirements(penv: PythonEnv, root: str, emit: Emit) -> None:
    env = penv.environ()
    rc = run_streamed(
        [penv.python, "-m", "pip", "install", "--upgrade", "pip", "setuptools", "wheel"],
        root,
        env,
        emit,
    )
    if rc != 0:
        raise RuntimeError(f"upgrading pip in {penv.venv or penv.python} failed (exit code {rc})")
    req = os.path.join(root, "requirements.txt")
    if os.path.isfile(req):
        emit("stdout", f"Installing dependencies from {req} ...\n".encode())
        rc = run_streamed([penv.python, "-m", "pip", "install", "-r", req], root, env, emit)
        if rc != 0:
            raise RuntimeError(f"pip install -r {req} failed (exit code {rc})")


def abort(context: Context, code: Any, message: str) -> NoReturn:
    """End the RPC with an error status (grpc's abort raises; its hints are missing)."""
    context.abort(code, message)
    raise AssertionError("grpc's context.abort returned")


def emit_to_host_output(name: str, data: bytes) -> None:
    # The engine shows the language host's output; use stderr for everything so
    # the first line of stdout (the port) stays the only protocol line.
    sys.stderr.buffer.write(data)
    sys.stderr.buffer.flush()


def program_path(entry: str, program_dir: str, pwd: str) -> str:
    """The program to run: relative to the working directory when inside it ("." for the
    usual layout), as Pulumi's own host passes it: dill records code paths of __main__
    classes."""
    program = entry if os.path.isabs(entry) else os.path.join(program_dir, entry)
    program = os.path.normpath(program)
    rel = os.path.relpath(program, pwd)
    return program if rel.startswith("..") else rel


def executor_args(
    request: language_pb2.RunRequest, python: str, engine: str, pwd: str, root: str
) -> list[str]:
    """The command line of pulumi-language-python-exec for a Run, without the program."""
    args = [
        python,
        "-u",
        EXECUTOR,
        "--monitor",
        request.monitor_address,
        "--engine",
        engine,
        "--project",
        request.project,
        "--stack",
        request.stack,
        "--pwd",
        pwd,
        "--parallel",
        str(request.parallel),
        "--root_directory",
        root,
    ]
    if request.organization:
        args += ["--organization", request.organization]
    if request.dryRun:
        args.append("--dry_run")
    return args


def run_response(rc: int) -> language_pb2.RunResponse:
    """What the CLI is told of the program's exit code (32: already reported, bail)."""
    if rc == 0:
        return language_pb2.RunResponse()
    if rc == EXIT_REPORTED:
        return language_pb2.RunResponse(bail=True)
    if rc < 0:
        return language_pb2.RunResponse(error=f"Program was killed by signal {-rc}")
    return language_pb2.RunResponse(error=f"Program exited with non-zero exit code: {rc}")


def plugin_command(request: language_pb2.RunPluginRequest, python: str, program: str) -> list[str]:
    if request.kind == "analyzer":
        # pulumi.policy's entry point: ENGINE_ADDRESS PROGRAM (the CLI sends the
        # engine address in args).
        return [python, "-u", "-m", "pulumi.policy", *request.args, program]
    return [python, "-u", program, *request.args]


def plugin_env(request: language_pb2.RunPluginRequest, penv: PythonEnv) -> dict[str, str]:
    env = penv.environ()
    for item in request.env:
        key, sep, value = item.partition("=")
        if sep:
            env[key] = value
    return env


# --------------------------------------------------------------------------------------
# The service


class LanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    def __init__(self, engine_address: str, root: str | None, flags: dict[str, str]):
        self.engine_address = engine_address
        self.root = root
        self.program_directory: str | None = None
        self.flags = flags
        self._children: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()

    # -- bookkeeping -----------------------------------------------------------------

    def _track(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._children.add(proc)

    def _untrack(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._children.discard(proc)

    def kill_children(self) -> None:
        with self._lock:
            children = list(self._children)
        for proc in children:
            if proc.poll() is None:
                try:
                    proc.kill()
                except OSError:
                    pass

    def _program(
        self, info: Any, pwd: str = "", program: str = ""
    ) -> tuple[str, str, str, dict[str, Any]]:
        """(root, program_directory, entry_point, options) of a request."""
        has_info = info is not None and (info.root_directory or info.program_directory)
        program_dir = (info.program_directory if has_info else "") or pwd or self.program_directory
        program_dir = program_dir or os.getcwd()
        root = (info.root_directory if has_info else "") or self.root or program_dir
        entry = (info.entry_point if has_info else "") or program or "."
        options = options_of(info) if has_info else {}
        # Options the CLI passed as flags at start (older protocol), if none came in info.
        if not options:
            for key in ("virtualenv", "toolchain"):
                if key in self.flags:
                    options[key] = self.flags[key]
        return root, program_dir, entry, options

    # -- RPCs ------------------------------------------------------------------------

    def Handshake(
        self, request: language_pb2.LanguageHandshakeRequest, context: Context
    ) -> language_pb2.LanguageHandshakeResponse:
        if request.engine_address:
            self.engine_address = request.engine_address
        if request.HasField("root_directory"):
            self.root = request.root_directory
        if request.HasField("program_directory"):
            self.program_directory = request.program_directory
        debug(
            f"handshake engine={self.engine_address} root={self.root} "
            f"program={self.program_directory}"
        )
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(self, request: empty_pb2.Empty, context: Context) -> plugin_pb2.PluginInfo:
        return plugin_pb2.PluginInfo(version=host_version())

    def GetRequiredPlugins(
        self, request: language_pb2.GetRequiredPluginsRequest, context: Context
    ) -> language_pb2.GetRequiredPluginsResponse:
        return language_pb2.GetRequiredPluginsResponse()

    def GetRequiredPackages(
        self, request: language_pb2.GetRequiredPackagesRequest, context: Context
    ) -> language_pb2.GetRequiredPackagesResponse:
        return language_pb2.GetRequiredPackagesResponse()

    def RuntimeOptionsPrompts(
        self, request: language_pb2.RuntimeOptionsRequest, context: Context
    ) -> language_pb2.RuntimeOptionsResponse:
        return language_pb2.RuntimeOptionsResponse()

    def Cancel(self, request: empty_pb2.Empty, context: Context) -> empty_pb2.Empty:
        return empty_pb2.Empty()

    def About(
        self, request: language_pb2.AboutRequest, context: Context
    ) -> language_pb2.AboutResponse:
        info = request.info if request.HasField("info") else None
        root, _pdir, _entry, options = self._program(info)
        try:
            penv = resolve_python(options, root)
            executable, version = python_about(penv)
        except (OSError, subprocess.CalledProcessError, RuntimeError) as exc:
            abort(context, grpc.StatusCode.UNKNOWN, f"cannot run the project's Python: {exc}")
        return language_pb2.AboutResponse(
            executable=executable, version=version, metadata={"host": "swarm_provider"}
        )

    def GetProgramDependencies(
        self, request: language_pb2.GetProgramDependenciesRequest, context: Context
    ) -> language_pb2.GetProgramDependenciesResponse:
        info = request.info if request.HasField("info") else None
        root, _pdir, _entry, options = self._program(info, request.pwd, request.program)
        try:
            penv = resolve_python(options, root)
            out = subprocess.run(
                [penv.python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
                env=penv.environ(),
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            deps = json.loads(out)
        except (OSError, subprocess.CalledProcessError, RuntimeError, ValueError) as exc:
            abort(context, grpc.StatusCode.UNKNOWN, f"pip list failed: {exc}")
        return language_pb2.GetProgramDependenciesResponse(
            dependencies=[
                language_pb2.DependencyInfo(name=d["name"], version=d["version"]) for d in deps
            ]
        )

    def InstallDependencies(
        self, request: language_pb2.InstallDependenciesRequest, context: Context
    ) -> Iterator[language_pb2.InstallDependenciesResponse]:
        info = request.info if request.HasField("info") else None
        root, _pdir, _entry, options = self._program(info, request.directory)
        out: queue.Queue[language_pb2.InstallDependenciesResponse | Exception | None]
        out = queue.Queue()

        def emit(name: str, data: bytes) -> None:
            out.put(language_pb2.InstallDependenciesResponse(**{name: data}))

        def work() -> None:
            try:
                penv = resolve_python(options, root)
                if penv.venv and not os.path.isfile(penv.python):
                    ensure_venv(penv, root, emit)  # also installs requirements
                else:
                    install_requirements(penv, root, emit)
                emit("stdout", b"Finished installing dependencies\n")
                out.put(None)
            except Exception as exc:  # noqa: BLE001 reported to the CLI
                out.put(exc)

        threading.Thread(target=work, daemon=True).start()
        while True:
            item = out.get()
            if item is None:
                return
            if isinstance(item, Exception):
                abort(context, grpc.StatusCode.UNKNOWN, str(item))
            yield item

    def Run(self, request: language_pb2.RunRequest, context: Context) -> language_pb2.RunResponse:
        info = request.info if request.HasField("info") else None
        root, program_dir, entry, options = self._program(info, request.pwd, request.program)
        pwd = request.pwd or program_dir
        try:
            penv = resolve_python(options, root)
            ensure_venv(penv, root, emit_to_host_output)
        except Exception as exc:  # noqa: BLE001 reported to the CLI
            return language_pb2.RunResponse(error=str(exc))
        if not os.path.isfile(penv.python) and not shutil.which(penv.python):
            return language_pb2.RunResponse(error=f"Python interpreter {penv.python} not found")

        args = executor_args(request, penv.python, self.engine_address, pwd, root)
        args += [program_path(entry, program_dir, pwd), *request.args]
        env = penv.environ()
        env["PULUMI_CONFIG"] = json.dumps(dict(request.config))
        env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(request.configSecretKeys))
        debug(f"Run: {args} cwd={pwd}")
        try:
            # stdout/stderr are inherited: the engine shows them as program output.
            proc = subprocess.Popen(args, cwd=pwd, env=env, stdin=subprocess.DEVNULL)
        except OSError as exc:
            return language_pb2.RunResponse(error=f"failed to start the program: {exc}")
        self._track(proc)
        try:
            rc = proc.wait()
        finally:
            self._untrack(proc)
        return run_response(rc)

    def RunPlugin(
        self, request: language_pb2.RunPluginRequest, context: Context
    ) -> Iterator[language_pb2.RunPluginResponse]:
        debug(
            f"RunPlugin kind={request.kind!r} args={list(request.args)} pwd={request.pwd!r} "
            f"info={request.info}"
        )
        info = request.info if request.HasField("info") else None
        root, program_dir, entry, options = self._program(info, request.pwd, request.program)
        # The plugin runs in its own folder (for a policy pack: the pack, where
        # PulumiPolicy.yaml is); request.pwd is the CLI's working directory.
        pwd = program_dir if (info is not None and info.program_directory) else request.pwd
        pwd = pwd or program_dir
        try:
            penv = resolve_python(options, root)
            ensure_venv(penv, root, emit_to_host_output)
        except Exception as exc:  # noqa: BLE001 reported to the CLI
            abort(context, grpc.StatusCode.FAILED_PRECONDITION, str(exc))

        cmd = plugin_command(request, penv.python, program_path(entry, program_dir, pwd))
        env = plugin_env(request, penv)
        debug(
            f"RunPlugin: {cmd} cwd={pwd} "
            f"env+={[e.split('=')[0] for e in request.env if e.startswith('PULUMI_')]}"
        )
        try:
            proc = piped(cmd, pwd, env)
        except OSError as exc:
            abort(context, grpc.StatusCode.UNKNOWN, f"failed to start plugin: {exc}")
        yield from self._plugin_output(proc, context)

    def _plugin_output(
        self, proc: subprocess.Popen[bytes], context: Context
    ) -> Iterator[language_pb2.RunPluginResponse]:
        """The plugin's output, then its exit code; it is stopped when the CLI is done."""
        self._track(proc)

        # When the CLI closes the stream (it is done with the plugin), stop the plugin.
        def stop_plugin() -> None:
            if proc.poll() is None:
                proc.kill()

        context.add_callback(stop_plugin)
        try:
            # Chunks, not lines: the CLI reads the plugin's port from the first
            # stdout bytes and must not wait for more.
            for name, data in child_output(proc, read_chunk):
                if name == "stdout":
                    yield language_pb2.RunPluginResponse(stdout=data)
                else:
                    yield language_pb2.RunPluginResponse(stderr=data)
            rc = proc.wait()
            yield language_pb2.RunPluginResponse(exitcode=rc if rc >= 0 else 128 - rc)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            self._untrack(proc)


# grpc.health.v1.Health/Check without the grpcio-health-checking package:
# an empty request, and HealthCheckResponse{status: SERVING} = field 1, varint 1.
class _Health(grpc.GenericRpcHandler):  # type: ignore[misc]  # grpc has no type hints
    def service(self, handler_call_details: Any) -> Any:
        if handler_call_details.method == "/grpc.health.v1.Health/Check":
            return grpc.unary_unary_rpc_method_handler(
                lambda request, context: b"\x08\x01",
                request_deserializer=lambda b: b,
                response_serializer=lambda b: b,
            )
        return None


def serve(host: LanguageHost) -> Any:
    """The started gRPC server, or None when no port could be bound; prints the port."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32), options=GRPC_OPTIONS)
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(host, server)
    server.add_generic_rpc_handlers((_Health(),))
    port = server.add_insecure_port("127.0.0.1:0")
    if not port:
        print("pulumi-language-python: could not bind a port on 127.0.0.1", file=sys.stderr)
        return None
    server.start()
    debug(f"listening on {port}, engine {host.engine_address}, flags {host.flags}")
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    return server


def main(argv: list[str]) -> int:
    flags, positionals = parse_flags(argv)
    if "version" in flags:
        print(host_version())
        return 0
    engine_address = positionals[-1] if positionals else ""
    root = flags.get("root")
    host = LanguageHost(engine_address, root, flags)
    server = serve(host)
    if server is None:
        return 1

    stop = threading.Event()
    parent = os.getppid()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    # The CLI closes plugins by signalling their process group (SIGINT, SIGKILL after a
    # grace period of some seconds): stop promptly on SIGINT and SIGTERM.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        # Also stop (and stop the program) once the CLI is gone: a CLI killed outright
        # (kill -9) never closes its plugins, which start in process groups of their own.
        while not stop.wait(1.0) and os.getppid() == parent:
            pass
    finally:
        host.kill_children()
        server.stop(grace=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
