"""The project's exceptions live in ``errors.py`` and keep their cause; nothing caught is dropped in
silence: each handler of ``Exception`` re-raises or records the failure with :mod:`logging`."""

from __future__ import annotations

import ast
import builtins
import codecs
import gzip
import logging
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from backstride.errors import BadFileError, FitHeaderError, StravaError, ValidationError
from backstride.importers import read_activity_file
from backstride.importers.fit import read_fit
from backstride.ingest.files import import_paths
from backstride.log.textfile import decode_text
from backstride.sync.strava_api import StravaClient
from tests.conftest import fixtures_dir

SRC = Path(__file__).resolve().parents[1] / "src" / "backstride"
FIT = "fit/geoactivity__2022-05-29-15-53-35_Laufen_Landal_Park.fit"


def _trees() -> list[tuple[str, ast.AST]]:
    return [
        (str(p.relative_to(SRC)), ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(SRC.rglob("*.py"))
    ]


def _exception_names() -> set[str]:
    """Built-in exception names and the classes of ``errors.py``."""
    errors = ast.parse((SRC / "errors.py").read_text(encoding="utf-8"))
    own = {n.name for n in ast.walk(errors) if isinstance(n, ast.ClassDef)}
    builtin = {
        name
        for name, value in vars(builtins).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    }
    return own | builtin


def test_every_exception_class_is_in_errors_py() -> None:
    names = _exception_names()
    assert {"BackstrideError", "StravaError", "LoginRequired", "ConvergenceError"} <= names
    elsewhere = []
    for where, tree in _trees():
        if where == "errors.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases}
                if bases & names or any(b.endswith(("Error", "Exception")) for b in bases):
                    elsewhere.append(f"{where}: {node.name}")
    assert not elsewhere, f"define exceptions in backstride/errors.py: {elsewhere}"


def _handlers(tree: ast.AST) -> list[ast.ExceptHandler]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler)]


def _caught(handler: ast.ExceptHandler) -> set[str]:
    if handler.type is None:
        return {"<bare>"}
    parts = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {ast.unparse(p).rsplit(".", 1)[-1] for p in parts}


def _records_or_raises(handler: ast.ExceptHandler) -> bool:
    for node in (n for stmt in handler.body for n in ast.walk(stmt)):
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name.startswith("logger.") or name.endswith("log_failure"):
                return True
    return False


#: Broad handlers that record the failure for another place to log, by module and function.
RECORDED_ELSEWHERE = {
    # In a worker process: the error with its causes travels back as text (Decoded.detail) and the
    # importing process logs it (ingest.files._record, ingest.saving.log_failure).
    ("ingest/files.py", "_read"),
}


def test_no_broad_handler_carries_on_silently() -> None:
    silent = []
    for where, tree in _trees():
        enclosing: dict[ast.ExceptHandler, str] = {}
        for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
            enclosing.update((h, function.name) for h in _handlers(function))  # the innermost comes last
        for h in _handlers(tree):
            broad = _caught(h) & {"Exception", "BaseException", "<bare>"}
            allowed = (where, enclosing.get(h, "<module>")) in RECORDED_ELSEWHERE
            if broad and not _records_or_raises(h) and not allowed:
                silent.append(f"{where}:{h.lineno}")
    assert not silent, f"an `except Exception` must re-raise or log the failure: {silent}"
    probe = ast.parse("def f():\n    try:\n        g()\n    except Exception:\n        pass\n")
    assert not _records_or_raises(_handlers(probe)[0])  # the check sees a silent handler


def test_no_import_guards_and_no_dropped_causes() -> None:
    guards, dropped = [], []
    for where, tree in _trees():
        guards += [
            f"{where}:{h.lineno}"
            for h in _handlers(tree)
            if _caught(h) & {"ImportError", "ModuleNotFoundError"}
        ]
        dropped += [
            f"{where}:{n.lineno}"
            for n in ast.walk(tree)
            if isinstance(n, ast.Raise) and isinstance(n.cause, ast.Constant) and n.cause.value is None
        ]
    assert not guards, f"every dependency ships: no `except ImportError` guards: {guards}"
    assert not dropped, f"keep the cause (`raise ... from exc`), not `from None`: {dropped}"


def _corrupt_fit() -> bytes:
    data = bytearray((fixtures_dir() / FIT).read_bytes())
    data[0] = 13  # the header's size: a FIT header is 12 or 14 bytes
    return bytes(data)


def test_a_corrupt_file_keeps_the_decoders_error_as_its_cause(tmp_path: Path) -> None:
    with pytest.raises(BadFileError, match="not a valid FIT file") as caught:
        read_fit(_corrupt_fit(), "corrupt.fit")
    assert isinstance(caught.value.__cause__, FitHeaderError)
    assert str(caught.value.__cause__) == "header size 13 is not 12 or 14"
    broken = tmp_path / "run.fit.gz"
    broken.write_bytes(gzip.compress((fixtures_dir() / FIT).read_bytes())[:-40])  # cut short
    with pytest.raises(BadFileError) as gz:
        read_activity_file(str(broken))
    assert isinstance(gz.value.__cause__, EOFError | OSError)


def test_a_text_file_in_the_wrong_encoding_keeps_the_unicode_error() -> None:
    with pytest.raises(ValidationError, match="not valid UTF-8-SIG text") as caught:
        decode_text(codecs.BOM_UTF8 + b"distance\n1.5 km \xff\n", "sheet.csv")
    assert isinstance(caught.value.__cause__, UnicodeDecodeError)


def test_a_strava_network_error_keeps_httpx_error_as_its_cause() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = StravaClient(
        "4242", "s3cret-of-the-app", base="http://127.0.0.1:9", transport=httpx.MockTransport(refuse)
    )
    try:
        with pytest.raises(StravaError, match="cannot reach Strava") as caught:
            client.exchange_code("a-code")
    finally:
        client.close()
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_an_import_records_a_failed_file_with_its_cause(
    sqlite_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = tmp_path / "corrupt.fit"
    bad.write_bytes(_corrupt_fit())
    with caplog.at_level(logging.DEBUG, logger="backstride"):
        summary = import_paths(sqlite_engine, [str(bad)], workers=1)
    assert [(o.status, o.reason) for o in summary.outcomes] == [
        ("failed", "not a valid FIT file: header size 13 is not 12 or 14")
    ]
    (record,) = [r for r in caplog.records if r.name == "backstride.ingest.saving"]
    assert record.levelno == logging.INFO and str(bad) in record.getMessage()
    assert "FitHeaderError" in record.getMessage()
    assert "direct cause of the following exception" in record.getMessage()
