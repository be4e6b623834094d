#!/bin/bash
# A real single-node Slurm for the sweep tests (root only): installs slurmctld,
# slurmd and munge from Debian if missing, writes a minimal slurm.conf (no
# accounting, no cgroups) and starts the daemons. Idempotent: returns at once
# when a node is already idle. Facts behind it: ../shared/reference/ecosystem.md 1.
set -euo pipefail
# Brian2 leaves LD_BIND_NOW=1 behind; Slurm's commands cannot load their plugins with it
unset LD_BIND_NOW
# Up means the node takes jobs. (No `sinfo | grep -q` here: under pipefail
# grep's early exit makes sinfo die of SIGPIPE and the test fail at random.)
node_up() {
  local state
  state=$(sinfo -h -o '%T' 2>/dev/null || true)
  case "$state" in idle*|mixed*|allocated*|completing*) return 0 ;; *) return 1 ;; esac
}
if node_up; then exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "needs root to install and start Slurm" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
command -v slurmctld >/dev/null || {
  apt-get update -qq && apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null; }
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
chown munge:munge /run/munge && chmod 755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then mungekey --create --force; fi
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
NCPU=$(nproc)
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
MailProg=/bin/true
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,bf_interval=1,sched_min_interval=100000
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=${NCPU} RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd -N localhost
for _ in $(seq 1 60); do
  node_up && exit 0
  sleep 0.5
done
echo "slurm node never became idle" >&2
tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2
sinfo 2>&1 | tail -n 5 >&2 || true
exit 1
