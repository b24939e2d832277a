"""The shared editor session: torchls started over stdio by pytest-lsp, and the ``initialize`` handshake.

A test module shapes the session by overriding the fixture it needs (pytest takes the nearest
definition; an override may be parametrized, and may take the fixture it overrides to build on it):

- ``workspace_folders``: the folders the editor opens (one empty folder; fill it in an override);
- ``diagnostics``: ``"push"`` or ``"pull"`` (the client advertises pull diagnostics or not);
- ``capabilities``: another editor's (pytest-lsp's recorded profiles, ``client_capabilities``);
- ``initialization_options``: what the editor sends as its settings at start;
- ``server_command``, ``server_env``: another server or environment variables
  (``@pytest.mark.parametrize("server_env", [...])`` sets them for one test).

The ``client`` fixture is a plain pytest-asyncio fixture over pytest-lsp's ``ClientServerConfig``, not
``@pytest_lsp.fixture``: that one fixes the server's command and environment when the module is
imported and asks for its other fixtures with ``request.getfixturevalue``, which cannot parametrize.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities

from .helpers import SERVER_COMMAND, EditorClient, initialize, make_editor_client, with_pull_diagnostics


@pytest.fixture
def workspace_folders(tmp_path: Path) -> list[Path]:
    """The folders the editor opens; the first is the root."""
    return [tmp_path]


@pytest.fixture
def diagnostics() -> str:
    return "push"


@pytest.fixture
def capabilities(diagnostics: str) -> types.ClientCapabilities:
    """VS Code's capabilities, with pull diagnostics when ``diagnostics`` says so."""
    return with_pull_diagnostics(client_capabilities("visual-studio-code"), pull=diagnostics == "pull")


@pytest.fixture
def initialization_options() -> Any:
    return None


@pytest.fixture
def server_command() -> list[str]:
    return SERVER_COMMAND


@pytest.fixture
def server_env() -> dict[str, str] | None:
    """None: the server inherits the test process's environment."""
    return None


@pytest_asyncio.fixture
async def client(
    request: pytest.FixtureRequest,
    workspace_folders: list[Path],
    capabilities: types.ClientCapabilities,
    initialization_options: Any,
    server_command: list[str],
    server_env: dict[str, str] | None,
) -> AsyncIterator[EditorClient]:
    """An editor that has opened ``workspace_folders``, past ``initialize`` and ``initialized``."""
    config = ClientServerConfig(server_command=server_command, client_factory=make_editor_client, server_env=server_env)
    editor = await config.start(devtools=request.config.getoption("devtools"))
    assert isinstance(editor, EditorClient)
    try:
        editor.initialize_result = await initialize(editor, workspace_folders, capabilities, initialization_options)
        yield editor
        await editor.shutdown_session()
    finally:
        await editor.stop()
