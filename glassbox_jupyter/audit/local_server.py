"""A small OpenAI-compatible chat server for a local causal LM, so the black-box audit can ask a real model.

``POST /v1/chat/completions`` turns the messages into the model's prompt with its chat template, generates
(greedy at ``temperature`` 0) and answers in OpenAI's shape, with ``logprobs``/``top_logprobs`` when asked;
``GET /v1/models`` lists the one model served. Bad requests get HTTP 400 with OpenAI's error body naming the
field. The server binds to the loopback interface (127.0.0.1) and refuses any other address unless
``allow_remote=True`` (``--allow-remote``); with ``api_key_env`` it requires ``Authorization: Bearer <key>``
with the key in that environment variable (never logged). Requests are answered one at a time.

From a shell (``--port 0`` picks a free port; the address is printed when the server is ready)::

    python -m glassbox_jupyter.audit.local_server --model smollm2 --port 8765

then, from Python, audit it like any endpoint::

    provider = OpenAIProvider("http://127.0.0.1:8765/v1", "SmolLM2-135M-Instruct.Q4_1", api_key_env=None)

Example (in a notebook: the server runs in a thread until the block ends):
    >>> with LocalChatServer("smollm2") as server:  # doctest: +SKIP
    ...     provider = OpenAIProvider(server.base_url, server.model_name, api_key_env=None, max_tokens=8)
    ...     provider.complete("What is the capital of France?")
    'The capital of France is Paris.'
"""

from __future__ import annotations

import argparse
import hmac
import ipaddress
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from glassbox_jupyter.audit.chat_model import MAX_TOP_LOGPROBS, ChatModel, ChatRequestError
from glassbox_jupyter.audit.errors import AuditInputError

DEFAULT_PORT = 8765
LOOPBACK_NAMES = frozenset({"localhost"})


# ---------------------------------------------------------------------------------------------- request models
class TextPart(BaseModel):
    type: Literal["text"]
    text: str = Field(max_length=200_000)


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str | list[TextPart] = Field(max_length=200_000)

    def text(self) -> str:
        return self.content if isinstance(self.content, str) else "".join(part.text for part in self.content)


class ChatRequest(BaseModel):
    """The fields of OpenAI's chat-completions request that a local model honours (others are ignored)."""

    model: str
    messages: list[ChatMessage] = Field(min_length=1, max_length=256)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    temperature: float = Field(1.0, ge=0.0, le=2.0)  # OpenAI's default; audits send 0
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    seed: int | None = None
    stop: str | list[str] | None = Field(None, max_length=4)
    n: int = Field(1, ge=1, le=1)
    stream: Literal[False] = False
    logprobs: bool = False
    top_logprobs: int | None = Field(None, ge=0, le=MAX_TOP_LOGPROBS)


# ---------------------------------------------------------------------------------------------- the app
def _error(status: int, message: str, *, param: str | None = None, kind: str = "invalid_request_error") -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": param, "code": None}}
    return JSONResponse(body, status_code=status)


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    """A readable summary of what was wrong (field names and reasons; never the values sent)."""
    parts, first = [], None
    for error in exc.errors():
        loc = [p for p in error.get("loc", ()) if p != "body"]
        where = ".".join(str(p) for p in loc) if loc and error.get("type") != "json_invalid" else "body"
        reason = error.get("msg", "invalid")
        if error.get("type") == "json_invalid":
            reason = "not valid JSON"
        elif where == "stream":
            reason = "streaming is not supported here; send stream=false"
        first = first or where
        parts.append(f"{where}: {reason}")
    return "invalid request: " + "; ".join(parts[:5]), first


def create_app(chat: ChatModel, *, api_key: str | None = None) -> FastAPI:
    """The ASGI app serving ``chat`` (requests need ``Authorization: Bearer <api_key>`` when ``api_key`` is set).

    Example:
        >>> app = create_app(ChatModel.load("smollm2"))  # doctest: +SKIP
        >>> sorted(route.path for route in app.routes if route.path.startswith("/v1"))  # doctest: +SKIP
        ['/v1/chat/completions', '/v1/models']
    """
    app = FastAPI(title=f"GlassBox local chat server: {chat.name}", docs_url=None, redoc_url=None, openapi_url=None)
    created = int(time.time())

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, param = _validation_message(exc)
        return _error(400, message, param=param)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {401: "authentication_error", 404: "not_found_error"}.get(exc.status_code, "invalid_request_error")
        return _error(exc.status_code, str(exc.detail), kind=kind)

    def authorised(request: Request) -> None:
        if api_key is None:
            return
        sent = request.headers.get("authorization", "")
        scheme, _, token = sent.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), api_key.encode()):
            raise HTTPException(401, "missing or wrong API key: send Authorization: Bearer <key>")

    @app.get("/v1/models", dependencies=[Depends(authorised)])
    def list_models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": chat.name, "object": "model", "created": created, "owned_by": "local"}],
        }

    @app.post("/v1/chat/completions", dependencies=[Depends(authorised)])
    def chat_completions(body: ChatRequest) -> JSONResponse:
        # a plain def: FastAPI runs it in a worker thread, and the model's lock makes requests take turns
        if body.model != chat.name:
            raise HTTPException(404, f"this server serves only the model {chat.name} (the request named {body.model})")
        stop = [body.stop] if isinstance(body.stop, str) else list(body.stop or [])
        try:
            answer = chat.complete(
                [{"role": m.role, "content": m.text()} for m in body.messages],
                max_tokens=body.max_completion_tokens or body.max_tokens,
                temperature=body.temperature,
                top_p=body.top_p,
                seed=body.seed,
                stop=stop,
                top_logprobs=(body.top_logprobs or 0) if body.logprobs else None,
            )
        except ChatRequestError as exc:
            return _error(400, str(exc))
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": answer.text},
            "logprobs": {"content": answer.logprobs} if answer.logprobs is not None else None,
            "finish_reason": answer.finish_reason,
        }
        return JSONResponse(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": chat.name,
                "choices": [choice],
                "usage": {
                    "prompt_tokens": answer.prompt_tokens,
                    "completion_tokens": answer.completion_tokens,
                    "total_tokens": answer.prompt_tokens + answer.completion_tokens,
                },
            }
        )

    return app


# ---------------------------------------------------------------------------------------------- binding
def check_host(host: str, *, allow_remote: bool = False) -> None:
    """Refuse an address other than the loopback interface unless ``allow_remote`` (anyone who can reach it
    could use the model, and read what it is asked).

    Example:
        >>> check_host("127.0.0.1"), check_host("::1"), check_host("localhost")
        (None, None, None)
        >>> check_host("0.0.0.0")
        Traceback (most recent call last):
        ...
        glassbox_jupyter.audit.errors.AuditInputError: refusing to listen on '0.0.0.0', which is not the loopback ...
    """
    if host in LOOPBACK_NAMES or allow_remote:
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise AuditInputError(
            f"refusing to listen on {host!r}, which is not the loopback interface: other machines could ask the "
            "model. Use 127.0.0.1, or pass allow_remote=True (--allow-remote), ideally with api_key_env= "
            "(--api-key-env) so that requests need a key"
        )


def _api_key(api_key_env: str | None) -> str | None:
    if api_key_env is None:
        return None
    key = os.environ.get(api_key_env)
    if not key:
        raise AuditInputError(
            f"the environment variable ${api_key_env} that should hold the server's API key is not set"
        )
    return key


def bind(host: str, port: int, *, allow_remote: bool = False) -> socket.socket:
    """A listening socket on ``host:port`` (``port`` 0: a free one), after :func:`check_host`."""
    check_host(host, allow_remote=allow_remote)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, int(port)))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/v1"


def _uvicorn_server(app: FastAPI, log_level: str) -> Any:
    import uvicorn

    config = uvicorn.Config(app, log_level=log_level, access_log=log_level in ("debug", "info"), lifespan="off")
    return uvicorn.Server(config)


class LocalChatServer:
    """The server running in a background thread of this process (for notebooks and tests).

    Args:
        model: a :class:`ChatModel`, or what :meth:`ChatModel.load` accepts (a folder, a ``.gguf`` file, ``"smollm2"``).
        host, port: where to listen (port 0: a free port); only loopback unless ``allow_remote``.
        api_key_env: require the key held in this environment variable.
        log_level: uvicorn's log level (``"info"`` logs each request line; headers are never logged).

    ``base_url`` and ``model_name`` are what :class:`~glassbox_jupyter.audit.OpenAIProvider` needs.
    """

    def __init__(
        self,
        model: ChatModel | str | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        allow_remote: bool = False,
        api_key_env: str | None = None,
        log_level: str = "warning",
    ):
        check_host(host, allow_remote=allow_remote)
        key = _api_key(api_key_env)
        self.chat = model if isinstance(model, ChatModel) else ChatModel.load(model)
        self._socket = bind(host, port, allow_remote=allow_remote)
        self.base_url = _url(self._socket)
        self._server = _uvicorn_server(create_app(self.chat, api_key=key), log_level)
        self._thread: threading.Thread | None = None

    @property
    def model_name(self) -> str:
        return self.chat.name

    def start(self, timeout: float = 30.0) -> LocalChatServer:
        """Start serving; returns once the server accepts requests."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True, name="glassbox-chat-server"
            )
            self._thread.start()
            deadline = time.monotonic() + timeout
            while not self._server.started:
                if not self._thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"the local chat server did not start within {timeout:g} s")
                time.sleep(0.02)
        return self

    def close(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._thread = None
        self._socket.close()

    def __enter__(self) -> LocalChatServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------- command line
def main(argv: Sequence[str] | None = None) -> int:
    """``python -m glassbox_jupyter.audit.local_server --model smollm2 [--port 8765]`` (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m glassbox_jupyter.audit.local_server",
        description="Serve a local causal LM through an OpenAI-compatible chat API (POST /v1/chat/completions).",
    )
    parser.add_argument("--model", required=True, help="a Hugging Face model folder, a .gguf file, or smollm2")
    parser.add_argument("--name", help="the model name clients send (default: the folder or file name)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0 picks a free one")
    parser.add_argument("--allow-remote", action="store_true", help="allow an address other than loopback")
    parser.add_argument("--api-key-env", help="require the API key held in this environment variable")
    parser.add_argument("--device", help="torch device (default: cuda when available, else cpu)")
    parser.add_argument(
        "--threads", type=int, help="CPU threads for torch (default: torch's choice; 1 is steadier on a busy machine)"
    )
    parser.add_argument("--max-tokens-limit", type=int, default=512, help="the most tokens one answer may have")
    parser.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    args = parser.parse_args(argv)
    try:
        check_host(args.host, allow_remote=args.allow_remote)
        key = _api_key(args.api_key_env)
        sock = bind(args.host, args.port, allow_remote=args.allow_remote)
    except (AuditInputError, OSError) as exc:
        parser.error(str(exc))
    if args.threads is not None:
        import torch

        torch.set_num_threads(max(1, args.threads))
    try:
        chat = ChatModel.load(args.model, name=args.name, device=args.device, max_tokens_limit=args.max_tokens_limit)
    except (FileNotFoundError, AuditInputError, ValueError) as exc:
        sock.close()
        parser.error(str(exc))
    server = _uvicorn_server(create_app(chat, api_key=key), args.log_level)
    # the socket already listens, so a client that reads this line may connect at once
    print(f"serving {chat.name} at {_url(sock)} (Ctrl-C stops)", flush=True)
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
