"""Calls that return at once: a ``try`` made only of them cannot be where a stop request lands.

A Ctrl-C arrives wherever the main thread happens to be. When the protected code is a few
microseconds of string work, a dict lookup, one local syscall or a log line, the request lands
elsewhere (the pause, the blocking call) practically always, and a broad handler around it in a
finite loop costs nothing at shutdown: that is hygiene for E722/BLE001, not a shutdown hazard.
Unknown calls (project code, network I/O, ``exec``) are never quick.
"""

from __future__ import annotations

import ast
import builtins
from typing import Callable, Iterable

from ..syntax.local_nodes import walk_local
from ..syntax.names import ImportMap, last_name

_QUICK_BUILTINS = frozenset({
    "int", "float", "str", "bytes", "bytearray", "bool", "complex", "len", "isinstance", "issubclass",
    "hasattr", "getattr", "setattr", "delattr", "repr", "format", "ord", "chr", "min", "max", "sum", "abs",
    "round", "sorted", "reversed", "list", "dict", "set", "frozenset", "tuple", "range", "enumerate", "zip",
    "iter", "type", "id", "hash", "divmod", "pow", "all", "any", "callable", "vars", "hex", "oct", "bin",
    "ascii", "open", "print",
})
# ``RuntimeError("...")``: building the exception a ``raise`` throws.
_BUILTIN_EXCEPTIONS = frozenset(name for name, value in vars(builtins).items()
                                if isinstance(value, type) and issubclass(value, BaseException))
# Builtins that look at an object and hand it to no one (``type(exc).__name__``).
INSPECTING_BUILTINS = _QUICK_BUILTINS - {"open", "setattr", "delattr"}
_QUICK_MODULES = ("json.", "re.", "os.path.", "posixpath.", "ntpath.", "urllib.parse.", "pwd.", "grp.",
                  "logging.", "base64.", "binascii.", "struct.", "math.", "string.", "copy.", "datetime.",
                  "zlib.", "gzip.decompress", "gzip.compress", "bz2.decompress", "lzma.decompress",
                  "fnmatch.", "shlex.", "textwrap.", "uuid.", "hashlib.", "hmac.", "codecs.", "unicodedata.",
                  "ipaddress.", "operator.", "itertools.", "functools.", "collections.", "decimal.",
                  "fractions.", "stat.", "time.time", "time.monotonic", "time.perf_counter", "time.strftime",
                  "time.localtime", "time.gmtime", "calendar.", "traceback.", "warnings.")
_QUICK_SYSCALLS = frozenset({
    "os.link", "os.unlink", "os.remove", "os.rmdir", "os.mkdir", "os.makedirs", "os.chmod", "os.chown",
    "os.lchown", "os.lstat", "os.stat", "os.rename", "os.replace", "os.symlink", "os.readlink", "os.listdir",
    "os.getpid", "os.getppid", "os.getuid", "os.getgid", "os.getenv", "os.utime", "os.access", "os.scandir",
    "os.fspath", "os.fsencode", "os.fsdecode", "os.close", "os.umask", "os.getcwd", "os.chdir",
    "os.environ.get", "os.set_inheritable", "os.fstat", "os.dup", "os.dup2", "os.isatty",
})
# Methods of str, bytes, dict, list and set: unambiguous by name alone.
_QUICK_METHODS = frozenset({
    "split", "rsplit", "strip", "lstrip", "rstrip", "replace", "startswith", "endswith", "encode",
    "decode", "lower", "upper", "title", "capitalize", "casefold", "format", "format_map", "items", "keys",
    "values", "append", "extend", "insert", "remove", "update", "setdefault", "copy", "index", "count",
    "find", "rfind", "rindex", "partition", "rpartition", "splitlines", "zfill", "ljust", "rjust", "center",
    "isdigit", "isalpha", "isalnum", "isspace", "isnumeric", "isdecimal", "islower", "isupper", "expandtabs",
    "translate", "maketrans", "removeprefix", "removesuffix", "hex", "fromhex", "discard", "union",
    "intersection", "difference", "issubset", "issuperset", "add", "sort", "reverse", "popitem",
    "group", "groups", "groupdict", "match", "fullmatch", "search", "sub", "findall", "finditer",
    "isoformat", "strftime", "timestamp", "total_seconds", "fileno", "getvalue", "tobytes", "tolist",
    "write", "writelines",  # a file's: a socket says ``send``
})
_QUICK_MODULE_NAMES = frozenset({"json", "ujson", "orjson", "simplejson", "re", "regex"})
_LOGGING_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log",
                              "fatal", "blather", "trace"})


_PROMPT_CALLS = frozenset({"input", "raw_input", "getpass", "prompt", "readline", "prompt_async"})


def prompts(body: Iterable[ast.AST], resolve: "Resolve | None" = None) -> bool:
    """The block asks the user for a line (``input()``, ``getpass()``...): there a Ctrl-C is the user
    cancelling that line, and a handler that catches it and goes on does so on purpose. With ``resolve``,
    a function of the module the block calls counts when its code asks for the line, in a reader
    function of its own too (``threaded_raw_input(prompt)`` that runs ``raw_input`` in a thread)."""
    for node in walk_local(body):
        if not isinstance(node, ast.Call):
            continue
        if last_name(node.func) in _PROMPT_CALLS:
            return True
        function = resolve(node.func) if resolve is not None else None
        if function is not None and any(isinstance(inner, ast.Call) and last_name(inner.func) in _PROMPT_CALLS
                                        for inner in ast.walk(function)):
            return True
    return False


Resolve = Callable[[ast.expr], "ast.FunctionDef | ast.AsyncFunctionDef | None"]


def body_can_block(body: Iterable[ast.AST], imports: ImportMap,
                   resolve: Resolve | None = None, depth: int = 2, seen: frozenset[int] = frozenset()) -> bool:
    """Some call in the block may take a while: anything but the quick calls above.

    A call of the module's own code (``self._parse(line)``, resolved by ``resolve``) is quick when
    its body is, two calls down; a recursive call adds nothing.
    """
    for node in walk_local(body):
        if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, ast.Call) and not is_quick(node, imports):
            function = resolve(node.func) if resolve is not None and depth > 0 else None
            if function is None or isinstance(function, ast.AsyncFunctionDef):
                return True
            if id(function) not in seen and body_can_block(function.body, imports, resolve, depth - 1,
                                                           seen | {id(function)}):
                return True
    return False


def is_quick(call: ast.Call, imports: ImportMap) -> bool:
    func = call.func
    name = imports.qualified_name(func) or ""
    if isinstance(func, ast.Name):
        return func.id in _QUICK_BUILTINS or func.id in _BUILTIN_EXCEPTIONS or _is_an_import(call, func.id)
    if name in ("importlib.import_module", "importlib.util.find_spec"):
        return True
    if name in _QUICK_SYSCALLS or name.startswith(_QUICK_MODULES):
        return True
    if not isinstance(func, ast.Attribute):
        return False
    method, receiver = func.attr, func.value
    root = receiver
    while isinstance(root, ast.Attribute):
        root = root.value
    if isinstance(root, ast.Name) and imports.binds(root.id):
        # ``requests.get(url)``, ``socket.create_connection(...)``: a module's function; but a log line through
        # an imported logger (``from supybot import log``, ``from loguru import logger``) is a log line
        return _logs_through(func)
    if isinstance(receiver, ast.Constant):  # ``", ".join(parts)``, ``"{}".format(x)``
        return True
    if method in _QUICK_METHODS:
        return True
    if method == "get":  # ``d.get(key)``, not ``queue.get()`` nor ``queue.get(True, 5)``
        return 1 <= len(call.args) <= 2 and not call.keywords and not (
            isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, bool))
    if method == "pop":  # ``d.pop(key)``, ``items.pop()``
        return len(call.args) <= 2 and not call.keywords
    if method == "join":  # ``sep.join(parts)``, but a thread's ``join()`` blocks
        return len(call.args) == 1 and not isinstance(call.args[0], ast.Constant) and "thread" not in (
            ast.unparse(receiver).lower())
    receiver_name = ast.unparse(receiver).rsplit(".", 1)[-1].lower()
    if receiver_name in _QUICK_MODULE_NAMES and method in ("loads", "dumps", "match", "search", "sub", "split"):
        return True  # ``self.json.loads(message)``: a json module kept on the object
    return _logs_through(func)


def is_logging(call: ast.Call, imports: ImportMap) -> bool:
    """A log line, a printed message, a traceback or a warning: reporting, not acting."""
    name = imports.qualified_name(call.func) or ""
    if name == "print" or name.startswith(("logging.", "traceback.", "warnings.")):
        return True
    return isinstance(call.func, ast.Attribute) and _logs_through(call.func)


def _logs_through(func: ast.Attribute) -> bool:
    """``log.warning``, ``self.logger.exception``: a logging method of something named like a logger."""
    return func.attr in _LOGGING_METHODS and "log" in ast.unparse(func.value).rsplit(".", 1)[-1].lower()


def _is_an_import(call: ast.Call, name: str) -> bool:
    """``__import__(name)``, ``exec(f"import {name}")``: local work, however slow the module."""
    if name == "__import__":
        return True
    if name != "exec" or not call.args:
        return False
    text = call.args[0]
    if isinstance(text, ast.JoinedStr) and text.values and isinstance(text.values[0], ast.Constant):
        text = text.values[0]
    return isinstance(text, ast.Constant) and isinstance(text.value, str) and \
        text.value.lstrip().startswith(("import ", "from "))
