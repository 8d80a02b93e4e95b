# Sourced by scripts/test, scripts/fuzz and .ci/run. timed FILE NAME CMD...: runs CMD, prints how
# long it took and appends "<UTC time>\tNAME\t<seconds>\t<exit status>" to FILE, which
# scripts/timings reads. Returns CMD's exit status.
timed() {
  local file=$1 name=$2 start=$SECONDS rc=0
  shift 2
  "$@" || rc=$?
  mkdir -p "$(dirname "$file")"
  printf '%s\t%s\t%d\t%s\n' "$(date -u +%FT%TZ)" "$name" $((SECONDS - start)) "exit $rc" >>"$file"
  echo "== $name: $((SECONDS - start)) s (exit $rc)"
  return $rc
}
