# Benchmark: the full connection-sync scenario (sync-failover.sh) with the numbers —
# 1,000 established connections (keepalive 3 s) and 10 idle long-lived ones (keepalive 10 s)
# per set, `ipvsadm --set 30 10 30`, each set held 73 s before its failover. Not part of
# `make test` (about 10 minutes under TCG); `make bench-sync` runs it, docs/benchmarks.md
# records the figures.
#@ timeout 1800
#@ daemon off
#@ default no
SF_COUNT=1000
SF_IDLE=10
SF_EST_MS=3000
SF_IDLE_MS=10000
SF_T=30
SF_HOLD=73
# 2 s adverts (Master_Down_Interval 6.8 s): with 2 x 2,020 connections the starved TCG guest delayed
# adverts beyond 3.6 s and the rebooted master took over on a false Master_Down (P4) before its table was in.
SF_ADVERT=2
. /lab/scenarios/sync-failover.sh
