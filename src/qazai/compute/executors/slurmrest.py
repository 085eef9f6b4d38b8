"""What the Slurm executor needs from slurmrestd, independent of the REST API version.

slurmrestd changes its JSON between API versions (``/slurm/v0.0.38/`` on Debian 12's Slurm 22.05,
``v0.0.40``+ on current clusters): one small client module per version implements
:class:`SlurmRestClient` (``slurmrest_v0038``), and :func:`open_client` picks one by the
``slurm_api_version`` setting. Authentication is slurmrestd's JWT: ``X-SLURM-USER-NAME`` and
``X-SLURM-USER-TOKEN`` on every request, the token either signed here with the cluster's JWT key
(HS256, claims ``iat``/``exp``/``sun``, as ``scontrol token`` makes them) or given as a fixed
token minted by the cluster's administrators.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from qazai.core.errors import AppError, ConfigError, Unavailable


class SlurmUnreachable(Unavailable):
    """slurmrestd (or slurmctld behind it) did not answer: nothing changed, try again later."""

    code = "executor_unavailable"


class SlurmRefused(AppError):
    """slurmrestd answered with an error (bad token, bad job description, unknown partition)."""

    code = "slurm_refused"
    status = 502


@dataclass(frozen=True)
class SlurmJobRequest:
    """One batch job: the script and where Slurm writes its output (a folder the node can write)."""

    name: str
    script: str
    working_directory: str
    log_path: str
    partition: str | None = None
    account: str | None = None
    cpus: int = 1
    memory_mib: int = 2048
    time_limit_minutes: int = 60
    environment: dict[str, str] = field(default_factory=lambda: {"PATH": "/usr/bin:/bin"})


@dataclass(frozen=True)
class SlurmJobInfo:
    """What slurmctld knows of one job. Times are Unix seconds (``None`` until they happen)."""

    slurm_job_id: int
    name: str
    state: str  # Slurm's code, e.g. "PENDING", "RUNNING", "COMPLETED", "TIMEOUT"
    reason: str
    exit_code: int | None
    cpus: int
    submit_time: int | None
    start_time: int | None
    end_time: int | None

    @property
    def elapsed_seconds(self) -> float:
        if self.start_time is None:
            return 0.0
        end = self.end_time if self.end_time is not None else int(time.time())
        return float(max(0, end - self.start_time))


class SlurmRestClient(Protocol):
    """The few calls the executor makes. Network trouble raises :class:`SlurmUnreachable`, an
    answer with errors :class:`SlurmRefused`."""

    api_version: str

    def ping(self) -> None:
        """Returns when slurmctld answers through slurmrestd."""

    def submit(self, request: SlurmJobRequest) -> int:
        """Submits a batch job; returns Slurm's job id."""

    def job(self, slurm_job_id: int) -> SlurmJobInfo | None:
        """The job, or ``None`` when slurmctld no longer (or never) knew it."""

    def jobs_named(self, name: str) -> list[SlurmJobInfo]:
        """Jobs still known to slurmctld with this exact name (finds a submit whose answer was lost)."""

    def cancel(self, slurm_job_id: int) -> None:
        """Sends SIGKILL to the job; a finished or unknown job is not an error."""

    def close(self) -> None: ...


class TokenSource(Protocol):
    def token(self) -> str: ...


@dataclass
class FixedToken:
    """A token minted elsewhere (``scontrol token username=<user> lifespan=<s>``)."""

    value: str

    def token(self) -> str:
        return self.value


class SignedToken:
    """Signs short-lived HS256 tokens with the cluster's JWT key (``AuthAltParameters=jwt_key=``),
    as a site's token service does; one token is reused until a fifth of its life remains."""

    def __init__(self, key_file: Path, user: str, lifespan_seconds: int = 900) -> None:
        try:
            self._key = key_file.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read the Slurm JWT key file {key_file}: {exc.strerror}") from None
        if len(self._key) < 32:
            raise ConfigError(f"the Slurm JWT key file {key_file} holds fewer than 32 bytes")
        self._user = user
        self._lifespan = lifespan_seconds
        self._lock = threading.Lock()
        self._cached: tuple[str, float] | None = None

    def token(self) -> str:
        with self._lock:
            now = time.time()
            if self._cached and self._cached[1] - now > self._lifespan / 5:
                return self._cached[0]
            issued = int(now)
            claims = {"iat": issued, "exp": issued + self._lifespan, "sun": self._user}
            signing_input = f"{_b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}))}.{_b64(json.dumps(claims))}"
            signature = hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest()
            value = f"{signing_input}.{_b64(signature)}"
            self._cached = (value, float(issued + self._lifespan))
            return value


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


SUPPORTED_API_VERSIONS = ("v0.0.38",)


def open_client(
    api_version: str, base_url: str, user: str, tokens: TokenSource, timeout_seconds: float = 10.0
) -> SlurmRestClient:
    """The client for ``api_version``; a version this platform has no client for is a ConfigError."""
    if api_version == "v0.0.38":
        from qazai.compute.executors.slurmrest_v0038 import SlurmRestV0038

        return SlurmRestV0038(base_url, user, tokens, timeout_seconds)
    raise ConfigError(
        f"no client for slurmrestd API {api_version!r}; supported: {', '.join(SUPPORTED_API_VERSIONS)}"
    )
