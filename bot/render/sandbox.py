"""Owner-written templates, rendered on a budget in a worker process: never on the event loop's
thread, never for long, never big.

An owner, admin or partner can write a template (/话术 设置). jinja2's sandbox stops attribute escapes,
but not work: nested loops, a recursive macro, `x|center(3000000)`, a string doubled in a loop. A
thread cannot be stopped, so those templates render in one worker process (started on first use):

- CPU: the worker arms a CPU timer (`Budget.cpu`, 200 ms) around each render; Python-level loops are
  interrupted there. The parent waits at most `Budget.wall` (1 s) and kills the worker if it did not
  answer (a long C call, a machine stalled): the next render starts a new one.
- Memory: the worker's address space is capped (`Budget.memory`), so a huge allocation is a
  MemoryError in the worker, not the bot's.
- Code: `range` is capped, `*`, `%` and `+` on strings and lists are checked before they allocate, every
  filter and call with a huge number (padding, width, count) is refused, and calls nest at most
  `MAX_DEPTH` deep (a recursive macro), each with the reason the owner is told.
- Output: at most `Budget.chars` characters come back (the caller allows more when the built-in
  template's own text is that long, e.g. a 500-line 接龙 list).

Trusted templates (the built-in ones) render in-process, as before: the normal path, every
acknowledgement, pays nothing for this. The worker gets plain data (dataclasses, dicts, lists):
whatever a template can see is pickled to it.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import re
import signal
import threading
import traceback
import types
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

log = logging.getLogger("bot.render.sandbox")

MAX_RANGE = 1_000  # items a template's range() may have
MAX_NUMBER = 10_000  # a number given to a filter or call (a width, a count, a padding)
MAX_STRING = 20_000  # characters (or items) any one value may grow to
MAX_EXPONENT = 64
MAX_DEPTH = 30  # calls inside calls: a macro calling itself
HARD_CHARS = 200_000  # nothing longer ever crosses the pipe


@dataclass(frozen=True)
class Budget:
    cpu: float = 0.2  # seconds of CPU per render
    wall: float = 1.0  # seconds the parent waits before it kills the worker
    chars: int = 4_000  # characters of output
    memory: int = 768 * 1024 * 1024  # bytes of the worker's address space


class Refused(Exception):
    """The template broke its budget or failed; the message says why, in the owner's words."""


# --- the worker's side ---------------------------------------------------------------------------


class _OverTime(BaseException):
    """Raised by the CPU timer inside a render (a BaseException: a template's own code cannot catch it)."""


def _too_big(value: Any) -> bool:
    return isinstance(value, str | list | tuple | dict) and len(value) > MAX_STRING


def _capped_range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise SecurityError(f"range 太大：最多{MAX_RANGE}个")
    return rng


def _check_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """A width, count or padding a template passes on: small enough to do no harm."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
            raise SecurityError(f"数字太大：{value}（宽度、次数等最多{MAX_NUMBER}）")


_WIDTH = re.compile(r"%[-+ #0]*(\d+)")


def check_power_and_repetition(operator: str, left: Any, right: Any) -> None:
    """`9**9**9` and `'a' * 50000000` are refused before they run (the built-in templates' sandbox too)."""
    if operator == "**" and (not isinstance(right, int | float) or abs(right) > MAX_EXPONENT
                             or (isinstance(left, int | float) and abs(left) > 10**6)):
        raise SecurityError("乘方太大")
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple) and isinstance(times, int) and len(seq) * times > MAX_STRING:
                raise SecurityError(f"重复太多（最多{MAX_STRING}字）")


class Budgeted(SandboxedEnvironment):
    """jinja2's sandbox, less able to work for long or grow big (see the module's docstring)."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                         keep_trailing_newline=False, autoescape=False)
        self.depth = 0
        self.globals["range"] = _capped_range
        self.filters = {name: self._guarded(f) for name, f in self.filters.items()}

    @staticmethod
    def _guarded(f: Callable[..., Any]) -> Callable[..., Any]:
        # The value a filter works on may be any number (an amount); what it is given besides may not.
        given = 2 if hasattr(f, "jinja_pass_arg") else 1

        def guarded(*args: Any, **kwargs: Any) -> Any:
            _check_args(args[given:], kwargs)
            result = f(*args, **kwargs)
            if _too_big(result):
                raise SecurityError(f"结果太长（最多{MAX_STRING}字）")
            return result

        # Filters that take the context or environment keep their marks (jinja2 reads them from the function).
        for mark in ("jinja_pass_arg",):
            if hasattr(f, mark):
                setattr(guarded, mark, getattr(f, mark))
        return guarded

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        check_power_and_repetition(operator, left, right)
        if operator == "%" and isinstance(left, str) and any(int(w) > MAX_NUMBER for w in _WIDTH.findall(left)):
            raise SecurityError("格式宽度太大")
        if operator == "+" and isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple) \
                and len(left) + len(right) > MAX_STRING:
            raise SecurityError(f"结果太长（最多{MAX_STRING}字）")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(__obj, types.BuiltinFunctionType | types.BuiltinMethodType):
            _check_args(args, kwargs)  # "x".ljust(10**7), lipsum(10**6); a macro may be given an amount
        if __self.depth >= MAX_DEPTH:
            raise SecurityError(f"调用套得太深（最多{MAX_DEPTH}层，是不是自己调用了自己？）")
        __self.depth += 1
        try:
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            __self.depth -= 1
        if _too_big(result):
            raise SecurityError(f"结果太长（最多{MAX_STRING}字）")
        return result


def _line_of(exc: BaseException) -> int | None:
    if isinstance(exc, TemplateSyntaxError):
        return exc.lineno
    # jinja2 rewrites tracebacks so the template's own lines appear as frames.
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == "<template>":
            return frame.lineno
    return None


def _reason(exc: BaseException) -> str:
    line = _line_of(exc)
    where = f"第{line}行：" if line else ""
    if isinstance(exc, RecursionError):
        return f"{where}RecursionError: 套得太深"
    if isinstance(exc, MemoryError):
        return f"{where}MemoryError: 用的内存太多"
    return f"{where}{type(exc).__name__}: {exc}"


class _Renderer:
    """The worker's loop: compiled templates kept by source, each render on the CPU timer."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.env = Budgeted()
        self.env.filters["money"] = self.env._guarded(_money)
        self.env.filters["when"] = self.env._guarded(_when)
        self.env.filters["duration"] = self.env._guarded(_duration)
        self.compiled: OrderedDict[str, Template] = OrderedDict()

    def template(self, source: str) -> Template:
        found = self.compiled.get(source)
        if found is None:
            found = self.env.from_string(source)
            self.compiled[source] = found
            if len(self.compiled) > 256:
                self.compiled.popitem(last=False)
        else:
            self.compiled.move_to_end(source)
        return found

    def render(self, source: str, context: dict[str, Any]) -> tuple[str, str]:
        """("ok", text) or ("refused", why)."""
        global _armed
        self.env.depth = 0
        _armed = True
        _timer(self.budget.cpu)
        try:
            out: list[str] = []
            size = 0
            for chunk in self.template(source).generate(**context):
                size += len(chunk)
                if size > HARD_CHARS:
                    raise SecurityError(f"输出太长（超过{HARD_CHARS}字）")
                out.append(chunk)
            _armed = False
            return "ok", "".join(out)
        except _OverTime:
            return "refused", f"TimeoutError: 渲染超过{int(self.budget.cpu * 1000)}毫秒"
        except (Exception, RecursionError, MemoryError) as exc:  # every failure of her template is a refusal
            return "refused", _reason(exc)
        finally:
            _armed = False
            _timer(0)


# The filters the built-in templates have, imported when the worker first renders: templates.py
# imports this module, so importing it at the top would be a cycle.
def _money(cents: int | None) -> str:
    from bot.render.templates import money

    return money(cents)


def _duration(minutes: int | None) -> str:
    from bot.render.templates import duration

    return duration(minutes)


def _when(value: Any, now: Any = None) -> str:
    from bot.render.templates import when

    return when(value, now)


_armed = False  # a render is under way: the timer may interrupt it (never the pipe around it)


def _timer(seconds: float) -> None:
    """Arms (or, with 0, disarms) the CPU timer; where there is none, the parent's wait bounds a render."""
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_VIRTUAL, seconds)


def _on_timer(signum: int, frame: Any) -> None:
    if _armed:
        raise _OverTime()


def serve(conn: Connection, budget: Budget) -> None:
    """The worker process: renders what it is sent until the pipe closes."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (budget.memory, budget.memory))
    except (ImportError, ValueError, OSError):
        pass  # not on this system: the CPU timer and the parent's wait still bound it
    if hasattr(signal, "SIGVTALRM"):
        signal.signal(signal.SIGVTALRM, _on_timer)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the bot's to handle, not the worker's
    renderer = _Renderer(budget)
    conn.send(("ready", ""))
    while True:
        try:
            source, context = conn.recv()
        except (EOFError, OSError):
            return
        try:
            conn.send(renderer.render(source, context))
        except Exception as exc:  # what it rendered cannot be sent back: her template's doing
            conn.send(("refused", _reason(exc)))


# --- the bot's side -----------------------------------------------------------------------------


class Worker:
    """The parent's handle on the worker process: one render at a time, started when first needed
    and again after it was killed."""

    def __init__(self, budget: Budget | None = None) -> None:
        self.budget = budget or Budget()
        self._lock = threading.Lock()
        self._process: Any = None
        self._conn: Connection | None = None
        self.started = 0  # how many worker processes were started (a runaway costs one)

    def _start(self) -> Connection:
        context = multiprocessing.get_context("spawn")  # never fork a process that runs threads
        parent, child = context.Pipe()
        process = context.Process(target=serve, args=(child, self.budget), daemon=True,
                                  name="jielong-template-worker")
        try:
            process.start()
        except Exception as exc:  # no worker, no owner template: the built-in text is used
            log.exception("the template worker could not start")
            parent.close()
            raise Refused(f"模板进程没有启动（{type(exc).__name__}）") from exc
        finally:
            child.close()
        # Starting Python takes a moment; it is not the template's time.
        if not parent.poll(30):
            process.kill()
            raise Refused("模板进程没有启动")
        parent.recv()
        self._process, self._conn = process, parent
        self.started += 1
        return parent

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(5)
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = None

    def render(self, source: str, context: dict[str, Any]) -> str:
        """Her template's text; Refused with the reason when it breaks the budget or fails. Blocks
        (at most `Budget.wall` once the worker runs): call `arender` from the event loop."""
        with self._lock:
            running = self._conn is not None and self._process is not None and self._process.is_alive()
            conn = self._conn if running and self._conn is not None else self._start()
            try:
                conn.send((source, context))
            except (OSError, ValueError) as exc:
                self._stop()
                raise Refused(f"模板进程出错：{exc}") from exc
            if not conn.poll(self.budget.wall):
                self._stop()
                raise Refused(f"TimeoutError: 渲染超过{int(self.budget.wall * 1000)}毫秒，已停止")
            try:
                status, text = conn.recv()
            except (EOFError, OSError) as exc:
                self._stop()
                raise Refused("MemoryError: 模板进程崩溃了（用的内存太多？）") from exc
        if status != "ok":
            raise Refused(str(text))
        return str(text)

    async def arender(self, source: str, context: dict[str, Any]) -> str:
        """`render` off the event loop: other groups' messages go on while her template renders."""
        return await asyncio.to_thread(self.render, source, context)

    def close(self) -> None:
        with self._lock:
            self._stop()


_shared: Worker | None = None
_shared_lock = threading.Lock()


def shared_worker() -> Worker:
    """The process's one worker: every Templates renders owner templates through it."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Worker()
        return _shared

