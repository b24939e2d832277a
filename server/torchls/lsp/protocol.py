"""Every pygls internal torchls relies on, in one place: protocol workarounds for pygls 2.1.

pygls is pinned to 2.1.x; ``tests/lsp/test_pygls_contract.py`` checks that each internal used here
exists with the expected shape, so an upgrade fails there instead of silently bringing back a
hang or a leak.
"""

from __future__ import annotations

import functools
from typing import Any

from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification


class TorchlsProtocol(LanguageServerProtocol):
    """pygls's protocol, answering requests whose parameters it cannot decode, and forgetting
    notifications once handled.

    pygls raises InvalidParams while decoding, before it dispatches, so such a request got no
    response at all and the editor waited forever; JSON-RPC requires an error response.
    pygls 2.1 also files the future of every notification it hands to a generator or async handler
    (``didOpen``, ``didChange``, ...) under a fresh id and never removes it: ~1 KB per keystroke
    for the life of the server.
    """

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Any,
        callback: Any,
        args: Any = None,
        kwargs: Any = None,
    ) -> None:
        if callback == self._check_handler_result:  # a notification: nobody will ever answer it
            callback = functools.partial(self._notification_done, msg_id=msg_id)
        super()._execute_handler(msg_id, handler, callback, args, kwargs)

    def _notification_done(self, future: Any, *, msg_id: Any) -> None:
        self._request_futures.pop(msg_id, None)
        self._check_handler_result(future)

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Decode one message; for an undecodable request, send the error and skip it."""
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if "id" not in data or "method" not in data:
                raise
            self._send_response(data["id"], error=error.to_response_error())
            return JsonRPCNotification(method="$/torchls/undecodable", jsonrpc="2.0", params=None)


def shutdown_requested(server: LanguageServer) -> bool:
    """Whether the client sent ``shutdown`` before ``exit`` (LSP: then the exit code is 0)."""
    return bool(server.protocol._shutdown)
