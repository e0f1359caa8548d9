# The IPVS benchmark of docs/benchmarks.md (guest side; run with `make bench-ipvs`, which
# runs tests/lab/ipvs-bench.sh to generate the rule files into tests/lab/cache/bench first).
# Every figure is the wall-clock time of the whole command (process start, reading the file,
# netlink) measured by timeit; 5 interleaved runs, median. Both tools run from the guest's
# initramfs: the appliance is the image's /usr/bin/appliance, ipvsadm the lab archive's.
#@ timeout 2400
#@ daemon off
#@ mem 1024
#@ default no
B=/tmp/bench-in
T=/lab/cache/timeit
APP=/usr/bin/appliance
S=/run/bench-owned
R=/tmp/bench

t() { # t NAME [timeit options] -- CMD...: appends the ms to $R/NAME
  name=$1; shift
  $T "$@" 2> $R/last; rc=$?
  sed -n 's/^ms=\([0-9.]*\) .*/\1/p' $R/last >> $R/$name
  [ $rc = 0 ] || { echo "$name failed (rc $rc):"; cat $R/last; bad=$((bad + 1)); }
}
median() { sort -n $R/$1 | sed -n 3p; }
check() { # check WHAT CONDITION...: counts a failed condition (the figures would mean nothing)
  what=$1; shift
  "$@" || { echo "BENCH CHECK FAILED: $what"; bad=$((bad + 1)); }
}

scenario_main() {
  set +e
  bad=0
  mkdir -p $R
  [ -x $T ] && [ -s /lab/cache/bench/full.rules ] || lab_fail "no $T or /lab/cache/bench/full.rules: run tests/lab/ipvs-bench.sh (make bench-ipvs), not lab.sh alone"
  modprobe ip_vs; modprobe ip_vs_wlc
  # Inputs from tmpfs, not over 9p: both tools read their files from memory, as the appliance
  # reads its configuration from the boot partition.
  mkdir -p $B && cp /lab/cache/bench/*.rules $B/
  for i in 1 2 3 4 5; do
    ipvsadm -C; rm -f $S
    t app_full -o $R/app_full.out -- $APP ipvs restore --state $S $B/full.rules
    check "app full load leaves 11000 rules" [ "$(ipvsadm -Sn | wc -l)" = 11000 ]
    # One-shot CLI: a new process, so it reads the whole kernel table (the cold reconcile).
    t app_change_cli -o $R/app_change.out -- $APP ipvs restore --state $S $B/change.full.rules
    check "one-shot 1% change: 100 changes: $(cat $R/app_change.out)" grep -q "100 change(s) planned, 100 applied" $R/app_change.out
    ipvsadm -Sn > $R/app_table
    t app_list -o $R/app_list.out -- $APP ipvs list
    ipvsadm -C; rm -f $S
    # The daemon's reload path: the full load, then the change, reading only the changed services.
    $APP ipvs restore --state $S $B/full.rules $B/change.full.rules > $R/reload.out
    grep '(reload)' $R/reload.out
    sed -n 's/.*(reload): .* in \([0-9.]*\) ms (\([0-9.]*\) ms with reading.*/\1 \2/p' $R/reload.out > $R/reload.last
    cut -d' ' -f1 $R/reload.last >> $R/app_reload_apply; cut -d' ' -f2 $R/reload.last >> $R/app_reload_total
    check "reload: 100 changes, 100 services read" grep -q "(reload): 100 change(s) planned, 100 applied, 0 refused .*changed services read: 100 service(s)" $R/reload.out
    ipvsadm -C
    t ipvsadm_full -i $B/full.rules -- ipvsadm -R
    t ipvsadm_change -i $B/change.rules -- ipvsadm -R
    ipvsadm -Sn > $R/ipvsadm_table
    check "run $i: both tools leave the same table" cmp -s $R/app_table $R/ipvsadm_table
    t ipvsadm_list -o $R/ipvsadm_list.out -- ipvsadm -Ln
    check "run $i: appliance ipvs list == ipvsadm -Ln" cmp -s $R/ipvsadm_list.out $R/app_list.out
    echo "run $i done: $(wc -l < $R/app_table) rules, $(wc -l < $R/app_list.out) listing lines"
  done
  echo "RESULTS (ms, median of 5; all runs in brackets)"
  for n in app_full ipvsadm_full app_change_cli app_reload_apply app_reload_total ipvsadm_change app_list ipvsadm_list; do
    echo "RESULT $n $(median $n) [$(tr '\n' ' ' < $R/$n)]"
  done
  [ $bad = 0 ] || lab_fail "$bad benchmark check(s) failed"
}
