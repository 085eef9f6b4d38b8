"""One Settings object, built once at start and passed down (never read at import time)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from qazai.config_rules import (
    DEFAULT_DATA_DIR,
    DEFAULT_ENVIRONMENT,
    ENV_PREFIX,
    QUERY_DEFAULTS,
    default_database_url,
    default_object_store_url,
    secret_key_problem,
)
from qazai.config_rules import PLACEHOLDER_SECRET as PLACEHOLDER_SECRET  # noqa: PLC0414 - re-exported
from qazai.config_rules import Environment as Environment  # noqa: PLC0414 - re-exported
from qazai.core.errors import ConfigError


class Settings(BaseSettings):
    """Every setting of the platform. Environment variables use the ``QAZAI_`` prefix."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    environment: Environment = DEFAULT_ENVIRONMENT
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: a SQLite file under data_dir"
    )
    object_store_url: str | None = Field(
        default=None, description="a folder path or s3://bucket/prefix; default: data_dir/objects"
    )
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_presigned_downloads: bool = Field(
        default=False,
        description="version files on an S3 store: answer a redirect to a presigned URL (after the "
        "tier checks and the audit) instead of streaming the bytes through the app",
    )
    s3_presign_seconds: int = Field(default=60, ge=5, le=3600, description="lifetime of those URLs")
    accel_redirect: str | None = Field(
        default=None,
        pattern=r"^/[A-Za-z0-9._~/-]*/$",
        description="an nginx internal location mapped to the object folder, e.g. /_qazai/objects/: "
        "version files are answered with X-Accel-Redirect after the checks and nginx sends the bytes",
    )
    public_files_dir: Path | None = Field(
        default=None,
        description="with accel_redirect: a folder of links to open version files that nginx serves "
        "by itself (try_files), made when the app first serves such a file, removed on withdrawal",
    )
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    upload_max_bytes: int = 5 * 1024**3
    request_max_bytes: int = 1024**2
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=0, description="in-process job workers started by `serve`")
    job_lease_seconds: int = Field(default=60, ge=1)
    raw_retention_days: int = Field(default=30, ge=0)
    session_max_age_seconds: int = 14 * 24 * 3600
    base_url: str | None = None
    # Notices to people outside the platform (a complainant's contact address; docs/registry.md).
    smtp_url: str | None = Field(
        default=None,
        description="smtp://[user:password@]host:port (smtps:// for TLS); "
        "default: .eml files in data_dir/outbox",
    )
    mail_from: str = Field(default="noreply@qazai.kz", description="sender of the platform's notices")
    audit_head_interval_seconds: int = Field(
        default=3600, ge=0, description="how often a job exports a signed audit head; 0: only on verify"
    )
    sign_in_window_seconds: int = Field(default=900, ge=1, description="sliding window of sign-in failures")
    sign_in_max_failures_per_account: int = Field(default=5, ge=1)
    sign_in_max_failures_per_address: int = Field(default=20, ge=1)
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    log_json: bool = True
    # The SQL query API (docs/catalog.md, "Query limits"): each query runs in a worker process.
    query_workers: int = Field(
        default=QUERY_DEFAULTS.query_workers,
        ge=0,
        description="query worker processes = queries at once; 0: 2 per core, at most 8",
    )
    query_memory_bytes: int = Field(
        default=QUERY_DEFAULTS.query_memory_bytes, ge=32 * 1024**2, description="memory per query"
    )
    query_timeout_ms: int = Field(
        default=QUERY_DEFAULTS.query_timeout_ms, ge=100, description="time limit (and the default)"
    )
    query_kill_grace_ms: int = Field(
        default=QUERY_DEFAULTS.query_kill_grace_ms, ge=0, description="then the worker is killed"
    )
    query_max_result_bytes: int = Field(
        default=QUERY_DEFAULTS.query_max_result_bytes, ge=1024, description="result size"
    )
    query_max_per_caller: int = Field(
        default=QUERY_DEFAULTS.query_max_per_caller, ge=1, description="queries at once per user or address"
    )
    query_anonymous_per_minute: int = Field(
        default=QUERY_DEFAULTS.query_anonymous_per_minute, ge=0, description="per address; 0: no limit"
    )
    query_anonymous_burst: int = Field(default=QUERY_DEFAULTS.query_anonymous_burst, ge=1)
    # Compute next to the data (docs/compute.md): which executor runs jobs, and where runs live.
    compute_backend: str = Field(default="local", description="executor of jobs: local or slurm")
    compute_dir: Path | None = Field(default=None, description="runs' folders; default: data_dir/compute")
    compute_sandbox: str = Field(
        default="auto", description="local backend: auto (bubblewrap if it works), bwrap, or none"
    )
    compute_python: str | None = Field(
        default=None, description="the job environment's python; default: the platform's own"
    )
    compute_external_infrastructure: bool = Field(
        default=False,
        description="the backend runs outside the platform's own infrastructure (a cloud, a third party's "
        "cluster): jobs of systems under the state information-security regime are refused",
    )
    # A job's limits (its defaults, and the most a submission may ask for).
    compute_job_cpu_seconds: int = Field(default=3600, ge=1)
    compute_job_memory_mib: int = Field(default=2048, ge=64)
    compute_job_wall_seconds: int = Field(default=3600, ge=1)
    compute_job_processes: int = Field(default=64, ge=1)
    compute_job_output_bytes: int = Field(default=1024**3, ge=0)
    compute_script_max_bytes: int = Field(default=1024**2, ge=1024, description="a script or notebook")
    # An organisation's quota unless an operator set another (docs/compute.md, "Quotas").
    compute_quota_cpu_seconds: int = Field(default=360_000, ge=0, description="CPU-seconds per period")
    compute_quota_period_days: int = Field(default=30, ge=1)
    compute_quota_concurrent_jobs: int = Field(default=4, ge=0)
    compute_quota_output_bytes: int = Field(default=10 * 1024**3, ge=0, description="outputs kept")
    # The airlock's disclosure checks of job outputs (docs/compute.md, "Airlock").
    airlock_min_count: int = Field(default=10, ge=1, description="contributors a table cell needs")
    airlock_dominance_k: float = Field(default=0.9, gt=0, le=1, description="share the 2 largest may reach")
    airlock_p_percent: float = Field(default=0.10, ge=0, le=1, description="the p % rule's p, a share")
    airlock_round_to: int | None = Field(default=None, ge=2, description="round counts in safe versions")
    # The slurm backend (docs/compute.md, "Slurm"): a cluster behind slurmrestd, JWT authentication.
    compute_slurm_rest_url: str = Field(default="http://127.0.0.1:6820", description="slurmrestd")
    compute_slurm_api_version: str = Field(default="v0.0.38", description="slurmrestd's API (Slurm 22.05)")
    compute_slurm_user: str = Field(default="qazai", description="the cluster account jobs run as")
    compute_slurm_jwt_key_file: Path | None = Field(
        default=None, description="the cluster's JWT key: tokens are signed here (or set compute_slurm_token)"
    )
    compute_slurm_token: SecretStr | None = Field(default=None, description="a token from `scontrol token`")
    compute_slurm_partition: str | None = None
    compute_slurm_account: str | None = None
    compute_slurm_shared_dir: Path | None = Field(
        default=None, description="runs' folders on the filesystem the nodes share; default: compute_dir/runs"
    )
    compute_slurm_inputs: str = Field(
        default="stage", description="stage: copy inputs into the shared run folder; shared: nodes see them"
    )
    compute_slurm_python: str = Field(default="/usr/bin/python3", description="the job environment on nodes")
    compute_slurm_sandbox: str = Field(default="bwrap", description="bwrap on the nodes, or none")
    compute_slurm_cpus: int = Field(default=1, ge=1, le=1024, description="CPUs a job asks Slurm for")
    compute_slurm_memory_enforced: bool = Field(
        default=True, description="Slurm confines job memory (task/cgroup); false: the runner's rlimit"
    )
    compute_environment_check_seconds: float = Field(
        default=60.0, ge=0, le=3600, description="wait for the check job of the nodes' job environment"
    )

    @property
    def effective_compute_dir(self) -> Path:
        return (self.compute_dir or self.data_dir / "compute").resolve()

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        problem = secret_key_problem(self.environment, self.secret_key.get_secret_value())
        if problem:
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _public_files_need_nginx(self) -> Settings:
        if self.public_files_dir is not None:
            if not self.accel_redirect:
                raise ValueError(
                    "QAZAI_PUBLIC_FILES_DIR is for a deployment behind nginx: set QAZAI_ACCEL_REDIRECT "
                    "too (docs/operations.md, 'Serving files')"
                )
            if self.effective_object_store_url.startswith("s3://"):
                raise ValueError(
                    "QAZAI_PUBLIC_FILES_DIR links files of a local object folder; with an S3 store "
                    "use QAZAI_S3_PRESIGNED_DOWNLOADS instead"
                )
        return self

    @property
    def effective_database_url(self) -> str:
        return self.database_url or default_database_url(self.data_dir)

    @property
    def effective_object_store_url(self) -> str:
        return self.object_store_url or default_object_store_url(self.data_dir)

    @property
    def public_base_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    def redacted(self) -> dict[str, Any]:
        """The effective settings with secrets (and passwords inside URLs) hidden."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                out[name] = "********" if value.get_secret_value() else ""
            elif isinstance(value, StrEnum):
                out[name] = value.value
            elif isinstance(value, Path):
                out[name] = str(value)
            else:
                out[name] = value
        out["database_url"] = _hide_password(self.effective_database_url)
        if self.smtp_url:
            out["smtp_url"] = _hide_password(self.smtp_url)
        out["object_store_url"] = self.effective_object_store_url
        return out


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.rsplit("@", maxsplit=1)[-1]


def load_settings(**overrides: Any) -> Settings:
    """Build the settings from the environment plus explicit overrides; a bad value is a ConfigError."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        raise ConfigError(f"invalid setting {where}: {first.get('msg')}") from None
