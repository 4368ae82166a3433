"""Which stop requests a handler's fix lets through, and how it tells them from the normal path.

A safe fix changes what the program does only while it is being stopped. The exceptions at stake
do not always mean "stop", so the handler rewrites (FSR002, FSR003) re-raise each one only where
it does, and in a form that leaves every other arrival as it was:

- **A task's cancellation** (asyncio). A ``CancelledError`` is also how a task learns that a task
  or future it awaited was cancelled: a job that ``close()`` cancelled, a refresh pre-empted by a
  manual one. Only the task's own cancellation is a stop. On Python 3.11 and newer the fix
  re-raises when ``asyncio.current_task().cancelling()`` says the task itself is being cancelled;
  before 3.11 only a stop flag that the code sets where it cancels this very task can say so
  (``task_cancellers``), and without one the fix is refused. Which Python the code targets is
  ``target-version`` (or ``requires-python``).
- **trio's and anyio's cancellation** comes only from a cancel scope around the code, and is
  delivered again at every await until the scope is left: re-raising it is always the stop.
- **KeyboardInterrupt** is a stop in the main thread. In a thread, or in a program whose SIGINT
  handler does not raise, no Ctrl-C ever arrives as one: a ``KeyboardInterrupt`` there was raised
  by code the thread runs, and re-raising it ends the thread. Such a fix is unsafe.
- **SystemExit** around code that loads or runs other people's code (``foreign_code``: plugins,
  callbacks) is that code's failure, and one whose ``code`` the handler reads is the outcome it
  expects (a command line under a test); the fix never re-raises it there and is refused.
- **GeneratorExit** in a generator whose ``try`` yields is always its close.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..analysis.foreign_code import runs_foreign_code
from ..syntax.local_nodes import spelled, walk_local
from ..analysis.retry_loops import Handler
from ..analysis.shutdown_exceptions import CANCELLATION, GENERATOR_EXIT, KEYBOARD_INTERRUPT, SYSTEM_EXIT
from ..analysis.shutdown_indicators import Indicator, indicator_candidates
from ..analysis.task_cancellers import flags_set_where_cancelled
from ..project.python_versions import spell
from .base import CannotFix, FixContext, ModuleImport
from .module_names import imported_name, module_reference

_ORDER = (CANCELLATION, KEYBOARD_INTERRUPT, SYSTEM_EXIT, GENERATOR_EXIT)
OWN_CANCELLATION_FROM = (3, 11)  # ``Task.cancelling()``
ASYNCIO, TRIO, ANYIO = "asyncio", "trio", "anyio"


@dataclass(frozen=True)
class OwnStop:
    """What the fix of one handler re-raises, and the imports each part needs."""

    raised: tuple[str, ...]  # re-raised whenever they arrive, as the module spells them
    raised_imports: tuple[ModuleImport, ...]
    guard: str | None  # re-raise whatever arrives while this holds: the task's own cancellation
    guard_imports: tuple[ModuleImport, ...]
    unsafe_because: str | None

    @property
    def clause(self) -> str | None:
        """What an ``except`` clause names to re-raise ``raised``: ``X`` or ``(X, Y)``."""
        if not self.raised:
            return None
        return self.raised[0] if len(self.raised) == 1 else f"({', '.join(self.raised)})"


def own_stop(handler: Handler, kinds: frozenset[str], context: FixContext, flavor: str | None = None) -> OwnStop:
    """How the fix of ``handler`` lets through the stop requests ``kinds``; CannotFix says why it cannot.

    ``flavor`` is the library whose cancellation the handler names (``asyncio``, ``trio``,
    ``anyio``); None for a broad handler, which catches the cancellation of whatever runs the module.
    """
    raised: list[str] = []
    raised_imports: tuple[ModuleImport, ...] = ()
    guard = None
    guard_imports: tuple[ModuleImport, ...] = ()
    unsafe = None
    for kind in _ORDER:
        if kind not in kinds:
            continue
        if kind == CANCELLATION:
            flavor = flavor or _module_flavor(handler, context)
            if flavor == ASYNCIO:
                guard, guard_imports, unsafe_guard = _own_cancellation(handler, context)
                unsafe = unsafe or unsafe_guard
            else:
                name, needed = _structured_cancellation(flavor, context)
                raised.append(name)
                raised_imports += needed
            continue
        if kind in context.bound_names:
            raise CannotFix(f"this module binds its own name `{kind}`, so it might not mean the built-in")
        if kind == SYSTEM_EXIT:
            _refuse_an_exit_that_is_not_a_stop(handler, context)
        if kind == KEYBOARD_INTERRUPT:
            unsafe = unsafe or _interrupt_raised_by_code(handler, context)
        raised.append(kind)
    return OwnStop(tuple(raised), raised_imports, guard, guard_imports, unsafe)


def cancellation_flavor(element: ast.expr, context: FixContext) -> str:
    """Whose cancellation an exception an ``except`` names is: ``trio.Cancelled``, anyio's, else asyncio's."""
    imports = context.analysis.imports
    if isinstance(element, ast.Call):
        return ANYIO
    return TRIO if (imports.qualified_name(element) or "").startswith("trio.") else ASYNCIO


def _module_flavor(handler: Handler, context: FixContext) -> str:
    """Whose cancellation a broad handler catches: what the module runs under, or, in a module that
    imports both asyncio and trio, the one the handler's loop calls."""
    imports = context.analysis.imports
    if imports.imports_module("asyncio"):
        if imports.imports_module("trio"):
            called = context.analysis.event_loop_called_in(handler.loop.node)
            if called is not None:
                return TRIO if called == "trio" else ASYNCIO
            raise CannotFix("the module uses both asyncio and trio, and the code does not show which one runs this "
                            "loop: asyncio's own-cancellation test would fail under trio")
        return ASYNCIO
    return ANYIO if imports.imports_module("anyio") else TRIO


def _structured_cancellation(flavor: str, context: FixContext) -> tuple[str, tuple[ModuleImport, ...]]:
    if flavor == ANYIO:
        module, needed = module_reference(context, "anyio")
        return f"{module}.get_cancelled_exc_class()", needed
    module, needed = module_reference(context, "trio")
    return f"{module}.Cancelled", needed


def _own_cancellation(handler: Handler, context: FixContext) -> tuple[str, tuple[ModuleImport, ...], str | None]:
    """The test that holds when the task itself is being cancelled, the import it needs, and why it
    may be unsafe."""
    settings = context.analysis.settings
    if settings.python_at_least(*OWN_CANCELLATION_FROM):
        current = imported_name(context, "asyncio", "current_task")
        if current is not None:
            return f"{current}().cancelling()", (), None
        module, needed = module_reference(context, "asyncio")
        return f"{module}.current_task().cancelling()", needed, None
    indicator = _flag_set_where_the_task_is_cancelled(handler, context)
    if indicator is None:
        target = settings.target_version
        where = (f"the code targets Python {target[0]}.{target[1]} ({spell(target)})" if target is not None
                 else "neither target-version nor requires-python says the code runs on Python 3.11 or newer")
        raise CannotFix(
            f"{where}, and before 3.11 only a stop flag that the code sets where it cancels this task can tell "
            "its own cancellation from that of a task it awaits; none was found, and re-raising every "
            "`CancelledError` would also end the loop when something it awaits is cancelled")
    return indicator.stop_test, (), indicator.caveat


def _flag_set_where_the_task_is_cancelled(handler: Handler, context: FixContext) -> Indicator | None:
    """The stop flag the code sets before it cancels the task that runs the handler's loop, as an
    indicator the loop can read; None when there is no single one."""
    function = handler.function.node
    if function is None:
        return None
    set_before = flags_set_where_cancelled(function, context.analysis)
    if not set_before:
        return None
    candidates = indicator_candidates(handler.loop, context.tree, context.parents)
    found = {candidate.expression: candidate for flag in set_before for candidate in candidates
             if candidate.expression == flag.flag and candidate.is_event == flag.is_event
             and flag.value == candidate.stops_when_true}
    return next(iter(found.values())) if len(found) == 1 else None


def _refuse_an_exit_that_is_not_a_stop(handler: Handler, context: FixContext) -> None:
    """A ``SystemExit`` that is the failure of other people's code, or the outcome the handler expects
    (it reads the exit's ``code``: a command line run under a test, argparse's ``--help``)."""
    read = _exit_code_read(handler)
    if read is not None:
        raise CannotFix(
            f"the handler reads the exit's code (`{spelled(read, 40)}`, line {read.lineno}): this `SystemExit` is "
            "the outcome it expects of the code it runs, not a request to stop; re-raising it would change that")
    call = runs_foreign_code(handler.protected_body, handler.function.node, context.analysis)
    if call is not None:
        raise CannotFix(_OTHER_PEOPLES_EXIT.format(call=spelled(call, 50), line=call.lineno))


def policy_caveat(kinds: frozenset[str], function: ast.AST | None, context: FixContext) -> str | None:
    """Why no longer retrying the stop requests ``kinds`` (FSR004's safe half) may change a normal run of
    ``function``, the function a retry policy retries; CannotFix where it must not be done at all.

    A policy is not a handler: it has no place for a guard, so the task's own cancellation cannot
    be told from that of a task the call awaited, and a ``KeyboardInterrupt`` in a thread is the
    code's own; both make the fix unsafe. A ``SystemExit`` of other people's code is refused.
    """
    is_function = isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
    if SYSTEM_EXIT in kinds and is_function:
        call = runs_foreign_code(function.body, function, context.analysis)
        if call is not None:
            raise CannotFix(_OTHER_PEOPLES_EXIT.format(call=spelled(call, 50), line=call.lineno))
    if CANCELLATION in kinds:
        return ("a `CancelledError` that reaches the policy may be the outcome of a task the call awaited (a cancelled "
                "job, a pre-empted operation), which it retried; a policy cannot tell it from the caller's own")
    if KEYBOARD_INTERRUPT in kinds and is_function and context.analysis.contexts.of(function).in_thread:
        return "no Ctrl-C reaches a thread, so a `KeyboardInterrupt` the policy retried there was raised by the code"
    return None


_OTHER_PEOPLES_EXIT = ("`{call}` (line {line}) loads or runs other people's code, so a `SystemExit` there may be "
                       "that code's failure rather than a request to stop; re-raising it would end the program when "
                       "that code exits, so the fix is left to a person")


def _exit_code_read(handler: Handler) -> ast.Attribute | None:
    """``e.code`` in a handler that binds the exception as ``e``."""
    name = None if handler.is_suppress else handler.node.name
    if name is None:
        return None
    for node in walk_local(handler.body):
        if isinstance(node, ast.Attribute) and node.attr == "code" and isinstance(node.value, ast.Name) \
                and node.value.id == name:
            return node
    return None


def _interrupt_raised_by_code(handler: Handler, context: FixContext) -> str | None:
    """Why a re-raised KeyboardInterrupt may not be a Ctrl-C: the code runs where none arrives."""
    if handler.loop.context.in_thread:
        return ("no Ctrl-C reaches a thread, so a `KeyboardInterrupt` there was raised by code the thread runs, "
                "and re-raising it ends the thread")
    if context.analysis.sigint_recorded is not None:
        return ("the program's SIGINT handler raises no `KeyboardInterrupt`, so one here was raised by code, "
                "and re-raising it ends the loop")
    return None
