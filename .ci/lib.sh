# Shared by the consumer checks: timing, and running each check in a subshell that counts PASS and FAIL.
# The sourcing script sets `work` (the folder of the throwaway projects) and `check_label` (e.g. "consumer"), and
# defines a function check_<name> per check.

usec() { local t=${EPOCHREALTIME//[!0-9]/}; echo "$t"; }
since() { local d=$(( $(usec) - $1 )); printf '%d.%d' $((d / 1000000)) $((d % 1000000 / 100000)); }

passed=0
failed=0
# run_check <name> <what>: runs check_<name>, prints PASS or FAIL with its time, and counts it.
run_check() {
  local name=$1 what=$2 start rc
  start=$(usec)
  echo "--- $check_label $name: $what"
  set +e
  (set -e; "check_$name")
  rc=$?
  set -e
  if ((rc == 0)); then
    passed=$((passed + 1))
    echo "PASS $check_label $name ($(since "$start")s)"
  else
    failed=$((failed + 1))
    echo "FAIL $check_label $name (exit $rc, $(since "$start")s; project kept in $work/$name)"
  fi
}
