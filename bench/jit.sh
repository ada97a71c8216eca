# The JIT compiler's part of a JVM's CPU, for bench/ab and the scripts that source bench/lib.sh.
# Sourced, not run.
# shellcheck shell=bash

# CPU ticks (user + system) of a JVM's JIT compiler threads ("C1 CompilerThre", "C2 CompilerThre"),
# read per thread from /proc/<pid>/task; 0 for a process that has none. A compiler thread that ends
# meanwhile takes all its ticks out of the sum (a difference of two readings is then too low);
# HotSpot ends compiler threads only where it started more than one of a kind, not on a 2-core
# machine.
jit_ticks() {
  local t comm total=0
  for t in /proc/"$1"/task/*; do
    comm=$(cat "$t/comm" 2> /dev/null) || continue
    case $comm in
      C1\ CompilerThre* | C2\ CompilerThre*)
        total=$((total + $(awk '{sub(/^[0-9]+ \(.*\) /, ""); print $12 + $13}' "$t/stat" 2> /dev/null || echo 0))) ;;
    esac
  done
  echo "$total"
}
