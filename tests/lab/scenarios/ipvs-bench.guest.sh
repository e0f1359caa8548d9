# Guest: one benchmark run (see ipvs-bench.sh). Every figure is the wall-clock time of the whole
# command (process start, reading the file, netlink) measured by timeit; median of 5.
set -u
B=/host/tests/lab/cache/bench
T=/host/tests/lab/cache/timeit
APP=/host/out/bin/appliance
S=/run/bench-owned
R=/tmp/bench; mkdir -p $R
modprobe ip_vs; modprobe ip_vs_wlc
# The binary and files come over 9p: read them once so no run pays for a cold cache.
cat $APP $B/full.rules $B/change.rules $B/change.full.rules > /dev/null
t() { # t NAME [timeit options] -- CMD...: appends the ms to $R/NAME
  name=$1; shift
  $T "$@" 2> $R/last; rc=$?
  sed -n 's/^ms=\([0-9.]*\) .*/\1/p' $R/last >> $R/$name
  [ $rc = 0 ] || { echo "$name failed (rc $rc):"; cat $R/last; }
}
median() { sort -n $R/$1 | sed -n 3p; }
for i in 1 2 3 4 5; do
  ipvsadm -C; rm -f $S
  t app_full -o $R/app_full.out -- $APP ipvs restore --state $S $B/full.rules
  [ "$(ipvsadm -Sn | wc -l)" = 11000 ] || echo "app full load: table has $(ipvsadm -Sn | wc -l) rules, want 11000"
  t app_change_cli -o $R/app_change.out -- $APP ipvs restore --state $S $B/change.full.rules
  grep -q "100 change(s) planned, 100 applied" $R/app_change.out || { echo "app 1% change:"; cat $R/app_change.out; }
  ipvsadm -Sn > $R/app_table
  t app_list -o $R/app_list.out -- $APP ipvs list
  ipvsadm -C; rm -f $S
  # The daemon's reload path: the full load, then the change against the view it keeps in memory.
  $APP ipvs restore --state $S $B/full.rules $B/change.full.rules > $R/reload.out
  sed -n 's/.*(reload): .* in \([0-9.]*\) ms (\([0-9.]*\) ms with reading.*/\1 \2/p' $R/reload.out > $R/reload.last
  cut -d' ' -f1 $R/reload.last >> $R/app_reload_apply; cut -d' ' -f2 $R/reload.last >> $R/app_reload_total
  grep -q "(reload): 100 change(s) planned, 100 applied" $R/reload.out || { echo "reload:"; cat $R/reload.out; }
  ipvsadm -C
  t ipvsadm_full -i $B/full.rules -- ipvsadm -R
  t ipvsadm_change -i $B/change.rules -- ipvsadm -R
  ipvsadm -Sn > $R/ipvsadm_table
  cmp -s $R/app_table $R/ipvsadm_table && echo "run $i: both tools left the same table ($(wc -l < $R/app_table) rules)" || echo "run $i: tables differ"
  t ipvsadm_list -o $R/ipvsadm_list.out -- ipvsadm -Ln
  cmp -s $R/ipvsadm_list.out $R/app_list.out && echo "run $i: appliance ipvs list == ipvsadm -Ln ($(wc -l < $R/app_list.out) lines)" || echo "run $i: listings differ"
done
echo "RESULTS (ms, median of 5; all runs in brackets)"
for n in app_full ipvsadm_full app_change_cli app_reload_apply app_reload_total ipvsadm_change app_list ipvsadm_list; do
  echo "$n $(median $n) [$(tr '\n' ' ' < $R/$n)]"
done
