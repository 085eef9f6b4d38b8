#!/usr/bin/env bash
# A real single-node Slurm (slurmctld + slurmd + munge + slurmrestd with JWT) for the `slurm` tests,
# as /work/shared/recipes/slurm-single-node.md describes: as root, no systemd.
#
# Idempotent: when slurmrestd already answers it starts nothing. On success it writes the variables
# the tests read (tests/compute/backends.py) to $QAZAI_TEST_SLURM_ENV_FILE (default
# /run/qazai-slurm/env) and prints them; on failure it exits non-zero and .ci/run carries on (the
# `slurm` tests are then skipped with the reason).
set -euo pipefail

REST_ADDR="${QAZAI_CI_SLURM_REST:-127.0.0.1:6820}"
JOB_USER="${QAZAI_CI_SLURM_USER:-qazai}"        # jobs run as this (non-root, non-SlurmUser) account
STATE=/var/lib/qazai-slurm                       # JWT key and the shared job folder
ENV_FILE="${QAZAI_TEST_SLURM_ENV_FILE:-/run/qazai-slurm/env}"
CONF=/etc/slurm/slurm.conf
MARK="# written by qazai .ci/slurm-up.sh"

rest_answers() {
  # slurmrestd answers 401 without a token: any HTTP status means it is up.
  python3 - "$REST_ADDR" <<'PY' >/dev/null 2>&1
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(f"http://{sys.argv[1]}/slurm/v0.0.38/ping", timeout=3)
except urllib.error.HTTPError:
    pass
PY
}

# The job environment on the nodes (python with the job packages, readable by the job account):
# the platform's own venv lives under /root here, which the job account cannot enter. The list is
# the platform's own (src/qazai/compute/jobfiles/job-environment.txt, one source for the platform's
# check, the nodes' check and this script). An environment missing a package gets it added in
# place (never rebuilt: a running cluster and its jobs keep theirs).
JOB_ENV=/opt/qazai-jobenv
JOBFILES="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/src/qazai/compute/jobfiles"
# Daemons started below inherit the working folder: start them from / so that deleting the checkout
# (a CI clone) does not pull the folder from under slurmrestd (it then fails every submit: getcwd).
cd /
job_env_complete() {
  [ -x "$JOB_ENV/bin/python" ] && "$JOB_ENV/bin/python" -I "$JOBFILES/probe_environment.py" \
    "$JOBFILES/job-environment.txt" 2>/dev/null | grep -q '"missing": \[\]'
}
ensure_job_env() {
  job_env_complete && return 0
  [ "$(id -u)" = 0 ] || return 1
  echo "== building the nodes' job environment in $JOB_ENV ($JOBFILES/job-environment.txt)"
  local began; began=$(date +%s)
  [ -x "$JOB_ENV/bin/pip" ] || /usr/bin/python3 -m venv "$JOB_ENV"
  "$JOB_ENV/bin/pip" install -q -r "$JOBFILES/job-environment.txt" 2>&1 \
    | grep -v "is ignored: it is neither" >&2 || true
  echo "== job environment ready in $(($(date +%s) - began)) s"
  job_env_complete
}

write_env() {
  local python_line=""
  if ensure_job_env; then
    python_line="QAZAI_TEST_SLURM_PYTHON=$JOB_ENV/bin/python"
  else
    echo "slurm-up: no job environment in $JOB_ENV (the tests that run Python jobs on Slurm skip)" >&2
  fi
  local memory_enforced=0
  grep -q '^TaskPlugin=task/cgroup' "$CONF" 2>/dev/null && memory_enforced=1
  mkdir -p "$(dirname "$ENV_FILE")"
  cat >"$ENV_FILE" <<EOF
$python_line
QAZAI_TEST_SLURM_MEMORY_ENFORCED=$memory_enforced
QAZAI_TEST_SLURM_REST_URL=http://$REST_ADDR
QAZAI_TEST_SLURM_USER=$JOB_USER
QAZAI_TEST_SLURM_JWT_KEY_FILE=$STATE/jwt_hs256.key
QAZAI_TEST_SLURM_SHARED_DIR=$STATE/jobs
QAZAI_TEST_SLURM_PARTITION=debug
EOF
  echo "== Slurm answers at http://$REST_ADDR; test settings in $ENV_FILE:"
  sed 's/^/   /' "$ENV_FILE"
}

if rest_answers && [ -s "$STATE/jwt_hs256.key" ]; then
  write_env
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "slurm-up: not root, cannot install or start Slurm" >&2
  exit 1
fi

started=$(date +%s)
if ! [ -x /usr/sbin/slurmctld ] || ! [ -x /usr/sbin/slurmrestd ] || ! [ -e /usr/lib/x86_64-linux-gnu/slurm-wlm/auth_jwt.so ] \
  || ! [ -x /usr/bin/bwrap ]; then
  echo "== installing Slurm 22.05 and bubblewrap from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge slurmrestd \
    slurm-wlm-jwt-plugin bubblewrap >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends slurmctld slurmd \
      slurm-client munge slurmrestd slurm-wlm-jwt-plugin bubblewrap >/dev/null; }
fi

host=$(hostname -s)
cpus=$(nproc)
mem_mib=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)

id -u "$JOB_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$JOB_USER"

mkdir -p /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/slurm "$STATE/jobs" /run/munge
chown slurm:slurm /var/spool/slurmctld /var/log/slurm /run/slurm
chown munge:munge /run/munge
chmod 755 "$STATE"
# The shared folder: the platform writes each job's script and inputs here, the job (as JOB_USER)
# writes its outputs; 1777 like /tmp so both can create their own entries.
chmod 1777 "$STATE/jobs"
if ! [ -s "$STATE/jwt_hs256.key" ]; then
  head -c 32 /dev/urandom >"$STATE/jwt_hs256.key"
fi
chown slurm:slurm "$STATE/jwt_hs256.key"
chmod 600 "$STATE/jwt_hs256.key"

# Slurm enforces each job's memory with task/cgroup, as production clusters do. Slurm 22.05 drives
# cgroup v2 only through systemd, so without systemd that needs the v1 memory controller; elsewhere
# task/none (memory then limited by the runner's RLIMIT_AS only).
if [ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/freezer ]; then
  TASK_PLUGIN=task/cgroup PROCTRACK=proctrack/cgroup
  cat >/etc/slurm/cgroup.conf <<EOF
$MARK
CgroupPlugin=cgroup/v1
ConstrainRAMSpace=yes
ConstrainSwapSpace=yes
AllowedSwapSpace=0
EOF
else
  TASK_PLUGIN=task/none PROCTRACK=proctrack/linuxproc
  echo "slurm-up: no cgroup v1 memory controller: Slurm will not enforce job memory (task/none)" >&2
fi

if ! [ -e "$CONF" ] || grep -qF "$MARK" "$CONF"; then
  cat >"$CONF" <<EOF
$MARK
ClusterName=qazai-ci
SlurmctldHost=$host(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$STATE/jwt_hs256.key
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=$PROCTRACK
TaskPlugin=$TASK_PLUGIN
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
# Finished jobs stay visible to GET /job/{id} for 10 minutes (the executor reads their CPU time).
MinJobAge=600
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mib State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=2-00:00:00 State=UP
EOF
fi

# (a daemon counts when it answers or runs, not when a zombie of an earlier start is left)
munge -n >/dev/null 2>&1 || runuser -u munge -- /usr/sbin/munged
scontrol ping 2>/dev/null | grep -q UP || pgrep -x -r R,S,D slurmctld >/dev/null || /usr/sbin/slurmctld
pgrep -x -r R,S,D slurmd >/dev/null || /usr/sbin/slurmd

for _ in $(seq 1 30); do
  sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)' && break
  scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
  sleep 1
done
sinfo -h -o %t | grep -qE '^(idle|mix|alloc)' || { echo "slurm-up: the node did not become idle" >&2; sinfo >&2; exit 1; }

if ! rest_answers; then
  SLURM_JWT=daemon setsid runuser -u nobody -- /usr/sbin/slurmrestd -a rest_auth/jwt -s openapi/v0.0.38 \
    "$REST_ADDR" >/var/log/slurm/slurmrestd.log 2>&1 </dev/null &
  for _ in $(seq 1 20); do rest_answers && break; sleep 0.5; done
fi
rest_answers || { echo "slurm-up: slurmrestd does not answer at $REST_ADDR" >&2; tail /var/log/slurm/slurmrestd.log >&2; exit 1; }

echo "== Slurm installed and started in $(($(date +%s) - started)) s"
write_env
