"""Start and stop a real ``jupyter server`` (or ``jupyter lab``) for tests, isolated from the user's config."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
START_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class JupyterServer:
    process: subprocess.Popen[bytes]
    url: str
    token: str
    home: Path
    log: Path

    def api(self, path: str) -> str:
        return f"{self.url}/mechanic/api{path}"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers (one `jupyter lab` here ignored the first signal)."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def start_jupyter(tmp: Path, *, app: str = "server", base_url: str = "/", extra: list[str] | None = None,
                  token: str = "test-token-123") -> JupyterServer:
    """A fresh Jupyter server on a free port with the mechanic-kernel extension auto-enabled from the venv."""
    tmp.mkdir(parents=True, exist_ok=True)
    home = tmp / "mechanic-home"
    port = free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTER_DATA_DIR": str(tmp / "data"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "lab-workspaces"),
        "MECHANIC_HOME": str(home),
    }
    log = tmp / f"jupyter-{app}.log"
    process = subprocess.Popen(
        [str(BIN / "jupyter"), app, "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.base_url={base_url}", f"--ServerApp.root_dir={tmp}", *(extra or [])],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}{base_url.rstrip('/')}"
    server = JupyterServer(process, url, token, home, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter {app} exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/api/status", headers=server.auth, timeout=2, trust_env=False).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    server.stop()
    raise RuntimeError(f"jupyter {app} did not start in {START_TIMEOUT} s: {log.read_text()[-3000:]}")
