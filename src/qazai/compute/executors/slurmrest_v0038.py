"""slurmrestd's ``/slurm/v0.0.38/`` API (Slurm 22.05, Debian 12).

slurmrestd answers 500 with an ``errors`` list both for a refused request (bad partition, unknown
job) and when slurmctld itself cannot be reached; the Slurm error number tells them apart: 2017 is
"invalid job id", numbers 1000-1999 and -1 are communication failures (a bad token also shows up as
-1, "slurmctld config is unable to load").
"""

from __future__ import annotations

from typing import Any

import httpx

from qazai.compute.executors.slurmrest import (
    SlurmJobInfo,
    SlurmJobRequest,
    SlurmRefused,
    SlurmUnreachable,
    TokenSource,
)

INVALID_JOB_ID = 2017


class SlurmRestV0038:
    api_version = "v0.0.38"

    def __init__(self, base_url: str, user: str, tokens: TokenSource, timeout_seconds: float = 10.0) -> None:
        self._base = base_url.rstrip("/")
        self._user = user
        self._tokens = tokens
        self._http = httpx.Client(timeout=timeout_seconds)

    def close(self) -> None:
        self._http.close()

    def ping(self) -> None:
        self._call("GET", "/ping")

    def submit(self, request: SlurmJobRequest) -> int:
        job: dict[str, Any] = {
            "name": request.name,
            "current_working_directory": request.working_directory,
            "standard_output": request.log_path,
            "standard_error": request.log_path,
            "environment": dict(request.environment),
            "cpus_per_task": request.cpus,
            "tasks": 1,
            "nodes": 1,
            "memory_per_node": request.memory_mib,
            "time_limit": request.time_limit_minutes,
            # a node that fails must not silently run the job a second time over the same outputs
            "requeue": False,
        }
        if request.partition:
            job["partition"] = request.partition
        if request.account:
            job["account"] = request.account
        body = self._call("POST", "/job/submit", json={"script": request.script, "job": job})
        job_id = body.get("job_id")
        if not isinstance(job_id, int):
            raise SlurmRefused(f"slurmrestd accepted the job but returned no job id: {body!r:.200}")
        return job_id

    def job(self, slurm_job_id: int) -> SlurmJobInfo | None:
        body = self._call("GET", f"/job/{slurm_job_id}", missing_ok=True)
        jobs = body.get("jobs") or []
        return _job_info(jobs[0]) if jobs else None

    def jobs_named(self, name: str) -> list[SlurmJobInfo]:
        body = self._call("GET", "/jobs")
        return [_job_info(j) for j in body.get("jobs") or [] if j.get("name") == name]

    def cancel(self, slurm_job_id: int) -> None:
        self._call("DELETE", f"/job/{slurm_job_id}", params={"signal": "KILL"}, missing_ok=True)

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        missing_ok: bool = False,
    ) -> dict[str, Any]:
        url = f"{self._base}/slurm/v0.0.38{path}"
        headers = {"X-SLURM-USER-NAME": self._user, "X-SLURM-USER-TOKEN": self._tokens.token()}
        try:
            response = self._http.request(method, url, json=json, params=params, headers=headers)
        except httpx.TransportError as exc:
            raise SlurmUnreachable(
                f"slurmrestd at {self._base} did not answer: {type(exc).__name__}: {exc}"
            ) from None
        if response.status_code in (401, 403):
            raise SlurmRefused(
                f"slurmrestd refused the credentials of user {self._user!r} ({response.status_code})"
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if response.status_code >= 500:
                raise SlurmUnreachable(f"slurmrestd at {self._base} answered {response.status_code}")
            raise SlurmRefused(f"slurmrestd answered {response.status_code} without JSON on {path}")
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        if errors:
            numbers = {_error_number(e) for e in errors}
            if missing_ok and numbers == {INVALID_JOB_ID}:
                return {}
            text = "; ".join(str(e.get("description") or e.get("error") or e) for e in errors)
            if numbers & {-1} or any(1000 <= n < 2000 for n in numbers):
                raise SlurmUnreachable(f"Slurm at {self._base} could not answer: {text}")
            raise SlurmRefused(f"Slurm refused {method} {path}: {text}", details={"slurm_errors": text})
        if response.status_code >= 400:
            raise SlurmRefused(f"slurmrestd answered {response.status_code} on {path}")
        return body


def _error_number(error: dict[str, Any]) -> int:
    value = error.get("error_number", error.get("error_code", -1))
    return value if isinstance(value, int) else -1


def _job_info(raw: dict[str, Any]) -> SlurmJobInfo:
    def when(key: str) -> int | None:
        value = raw.get(key)
        return value if isinstance(value, int) and value > 0 else None

    exit_code = raw.get("exit_code")
    return SlurmJobInfo(
        slurm_job_id=int(raw["job_id"]),
        name=str(raw.get("name") or ""),
        state=str(raw.get("job_state") or ""),
        reason=str(raw.get("state_reason") or ""),
        exit_code=exit_code if isinstance(exit_code, int) else None,
        cpus=int(raw.get("cpus") or 0),
        submit_time=when("submit_time"),
        start_time=when("start_time"),
        end_time=when("end_time"),
    )
