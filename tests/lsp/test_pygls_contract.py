"""The contract with pygls internals (lsp/protocol.py): each one exists with the shape torchls expects.

A pygls upgrade that renames or reshapes one fails here, by name, instead of bringing back an
unanswered request, a per-keystroke leak or a wrong exit code.
"""

from __future__ import annotations

import inspect

from pygls.protocol import LanguageServerProtocol

from torchls.lsp.protocol import TorchlsProtocol, shutdown_requested
from torchls.lsp.server import create_server


def test_protocol_internals_exist_with_their_shape() -> None:
    parameters = list(inspect.signature(LanguageServerProtocol._execute_handler).parameters)
    assert parameters == ["self", "msg_id", "handler", "callback", "args", "kwargs"]
    assert callable(LanguageServerProtocol._check_handler_result)
    assert list(inspect.signature(LanguageServerProtocol._send_response).parameters)[:3] == ["self", "msg_id", "result"]
    assert "error" in inspect.signature(LanguageServerProtocol._send_response).parameters


def test_server_state_internals() -> None:
    server = create_server()
    protocol = server.protocol
    assert isinstance(protocol, TorchlsProtocol)
    assert isinstance(protocol._request_futures, dict)
    assert protocol._shutdown is False and shutdown_requested(server) is False
    protocol._shutdown = True
    assert shutdown_requested(server) is True
